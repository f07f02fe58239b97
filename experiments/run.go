package experiments

import (
	"time"

	"flipcert/progress"
	"flipcert/tables"
)

// Options says where and how a config runs.
type Options struct {
	Out      string // output directory
	Shard    int    // this shard's index, 0 ≤ Shard < Shards
	Shards   int    // number of shards; 0 or 1 runs every unit
	Fresh    bool   // discard the units a previous run of another config left in Out
	Progress *progress.Reporter
	// Interrupt, when set, is called after each finished unit; a non-nil error
	// stops the run there (tests use it to simulate a crash).
	Interrupt func(u Unit) error
}

// Outcome says what a run did.
type Outcome struct {
	Ran, Skipped int  // units computed now / found finished from an earlier run
	Pending      int  // units of the plan still missing (other shards' work)
	Assembled    bool // every unit was present and the output tables were written
}

// runEnv is what the stages of one run share for reporting.
type runEnv struct {
	progress *progress.Reporter
	stages   *[]tables.Stage
	out      string
}

// warn reports something the run's tables will show too.
func (e runEnv) warn(msg string) { e.progress.Warn(msg) }

func (e runEnv) stageDone(name string, d time.Duration) {
	*e.stages = append(*e.stages, tables.Stage{Name: name, Seconds: d.Seconds()})
}

// Run executes the config's units that Out does not hold yet (this shard's
// share of them), then, if every unit of the plan is present, writes
// points.csv, certified_accuracy.csv, baseline.csv and manifest.json.
func Run(c Config, opt Options) (Outcome, error) {
	start := time.Now()
	var stages []tables.Stage
	env := runEnv{progress: opt.Progress, stages: &stages, out: opt.Out}
	shards := max(opt.Shards, 1)
	if opt.Shard < 0 || opt.Shard >= shards {
		return Outcome{}, inputErrorf("shard %d/%d: the index must be in [0, %d)", opt.Shard, shards, shards)
	}
	if err := prepareOut(c, opt); err != nil {
		return Outcome{}, err
	}
	loadStart := time.Now()
	in, err := loadInputs(c)
	if err != nil {
		return Outcome{}, err
	}
	env.stageDone("load data", time.Since(loadStart))

	plan := Plan(c)
	var todo []Unit
	out := Outcome{}
	for _, u := range Shard(plan, opt.Shard, shards) {
		if finished(opt.Out, u) {
			out.Skipped++
		} else {
			todo = append(todo, u)
		}
	}
	var p *prepared
	if len(todo) > 0 {
		opt.Progress.SetUnits(len(todo))
		if p, err = runUnits(c, in, todo, opt, env, &out); err != nil {
			return out, err
		}
	}
	for _, u := range plan {
		if !finished(opt.Out, u) {
			out.Pending++
		}
	}
	if out.Pending > 0 {
		return out, nil
	}
	asm := time.Now()
	costs, err := assemble(c, opt.Out, in)
	if err != nil {
		return out, err
	}
	env.stageDone("assemble", time.Since(asm))
	out.Assembled = true
	if c.Attack.Enabled && (c.Analytic.Enabled || c.RidgeExact.Enabled) {
		if p == nil { // every unit was resumed: prepare reports its own stages
			if p, err = prepare(c, in, env); err != nil {
				return out, err
			}
		}
		ex := time.Now()
		if err := explainExamples(c, opt.Out, p); err != nil {
			return out, err
		}
		env.stageDone("explain examples", time.Since(ex))
	}
	return out, writeManifest(c, opt.Out, in, start, stages, costs, out, readEmbedderInfo(opt.Out))
}

// runUnits computes the units of todo, and returns what the certificate
// units shared (nil if there were none).
func runUnits(c Config, in *inputs, todo []Unit, opt Options, env runEnv, out *Outcome) (*prepared, error) {
	var p *prepared
	var net *netRunner
	done := func(u Unit, o output) error {
		if err := writeUnit(opt.Out, u, o); err != nil {
			return err
		}
		out.Ran++
		if opt.Interrupt != nil {
			return opt.Interrupt(u)
		}
		return nil
	}
	for _, batch := range batches(todo) {
		u := batch[0]
		var err error
		if u.isNet() && net == nil {
			net, err = newNetRunner(c, in)
		} else if !u.isNet() && p == nil {
			p, err = prepare(c, in, env)
		}
		if err != nil {
			return nil, err
		}
		var o output
		switch {
		case u.isNet():
			if err := net.runSideBySide(batch, env, done); err != nil {
				return nil, err
			}
			continue
		case u.Method.Kind == tables.DPA:
			o, err = p.runDPA(u, c, env)
		default:
			if err := p.runLambda(batch, c, env, done); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := done(u, o); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// batches groups the units that share work or run together: every analytic,
// ridge-exact and sampled unit of one λ (one pass over the kernel vectors α
// serves the first two and gives the sampled ones the analytic certificates
// they are compared with), and the random baseline units (retrainings, run
// side by side). Every other unit is a batch of its own.
func batches(todo []Unit) [][]Unit {
	var out [][]Unit
	index := map[any]int{} // λ, or the random attack → its batch in out
	for _, u := range todo {
		var key any = u.Lambda
		switch {
		case u.isNet() && u.Net.Attack == "random":
			key = "random"
		case u.isNet() || u.Method.Kind == tables.DPA:
			out = append(out, []Unit{u})
			continue
		}
		if j, ok := index[key]; ok {
			out[j] = append(out[j], u)
			continue
		}
		index[key] = len(out)
		out = append(out, []Unit{u})
	}
	return out
}
