package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"flipcert/atomicfile"
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

// layout versions the on-disk unit format: a change refuses old folders.
const layout = 2

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
		if _, err := os.Stat(unitPath(opt.Out, u)); err == nil {
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
		if _, err := os.Stat(unitPath(opt.Out, u)); err != nil {
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
		ex := time.Now()
		if p == nil {
			if p, err = prepare(c, in, env); err != nil {
				return out, err
			}
		}
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
	var b *baselineRunner
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
		var err error
		if batch[0].Method == "baseline" && b == nil {
			b, err = newBaselineRunner(c, in)
		} else if batch[0].Method != "baseline" && p == nil {
			p, err = prepare(c, in, env)
		}
		if err != nil {
			return nil, err
		}
		var o output
		switch u := batch[0]; u.Method {
		case "baseline":
			o, err = b.run(u, env)
		case "dpa":
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
		if err := done(batch[0], o); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Files of a unit in the units folder, besides its rows of points.csv or
// baseline.csv (unitPath), which are written last and mark it finished.
const (
	mcSuffix     = ".mc.csv"     // rows of mc_vs_analytic.csv
	attackSuffix = ".attack.csv" // rows of attack.csv
	costSuffix   = ".cost.json"  // its tables.Cost records
)

// writeUnit writes a finished unit's files, each atomically, the file that
// marks it finished last.
func writeUnit(out string, u Unit, o output) error {
	base := unitPath(out, u)
	stem := strings.TrimSuffix(base, ".csv")
	for _, f := range []struct {
		suffix string
		rows   []byte
	}{{mcSuffix, o.mc}, {attackSuffix, o.attack}} {
		if f.rows == nil {
			continue
		}
		if err := atomicfile.WriteBytes(stem+f.suffix, f.rows); err != nil {
			return err
		}
	}
	costs, err := json.Marshal(o.costs)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(stem+costSuffix, append(costs, '\n')); err != nil {
		return err
	}
	rows := o.points
	if u.Method == "baseline" {
		rows = o.baseline
	}
	return atomicfile.WriteBytes(base, rows)
}

// unitFiles lists the files a finished unit may have, its marker first.
func unitFiles(out string, u Unit) []string {
	base := unitPath(out, u)
	stem := strings.TrimSuffix(base, ".csv")
	return []string{base, stem + mcSuffix, stem + attackSuffix, stem + costSuffix}
}

// batches groups the units that share work: every analytic, ridge-exact and
// sampled unit of one λ (one pass over the kernel vectors α serves the first
// two and gives the sampled ones the analytic certificates they are compared
// with). Every other unit is a batch of its own.
func batches(todo []Unit) [][]Unit {
	var out [][]Unit
	index := map[float64]int{} // λ → its batch in out
	for _, u := range todo {
		if u.Method == "dpa" || u.Method == "baseline" {
			out = append(out, []Unit{u})
			continue
		}
		if j, ok := index[u.Lambda]; ok {
			out[j] = append(out[j], u)
			continue
		}
		index[u.Lambda] = len(out)
		out = append(out, []Unit{u})
	}
	return out
}

// batchName names the kernel pass of a λ's analytic and ridge-exact units,
// such as "lambda=30000: analytic q=0.05,0.4 + ridge-exact".
func batchName(batch []Unit) string {
	if len(batch) == 1 {
		return batch[0].Name()
	}
	var qs []string
	exact := ""
	for _, u := range batch {
		if u.Method == "analytic" {
			qs = append(qs, tables.FormatFloat(u.Q))
		} else {
			exact = " + ridge-exact"
		}
	}
	name := "lambda=" + tables.FormatFloat(batch[0].Lambda) + ": "
	if len(qs) > 0 {
		return name + "analytic q=" + strings.Join(qs, ",") + exact
	}
	return name + strings.TrimPrefix(exact, " + ")
}

func unitPath(out string, u Unit) string {
	return filepath.Join(out, tables.UnitsDir, u.Name()+".csv")
}

// state is what state.json records of the config and code whose units a
// folder holds.
type state struct {
	Layout      int             `json:"layout"`
	Fingerprint string          `json:"fingerprint"`
	CodeVersion string          `json:"code_version"`
	Config      json.RawMessage `json:"config"`
}

// newState is the state of a folder that holds c's units computed by this code.
func newState(c Config) state {
	cfg, fp := computeConfig(c)
	return state{Layout: layout, Fingerprint: fp, CodeVersion: codeVersion(), Config: cfg}
}

// differs says how a folder's state differs from want, or "" when its units
// may be mixed with want's.
func (s state) differs(want state) string {
	var what []string
	if s.Fingerprint != want.Fingerprint || s.Layout != want.Layout {
		what = append(what, "a different config (changed: "+changedKeys(s.Config, want.Config)+")")
	}
	if s.CodeVersion != want.CodeVersion {
		what = append(what, fmt.Sprintf("another version of the code (%s; this is %s)", s.CodeVersion, want.CodeVersion))
	}
	return strings.Join(what, " and ")
}

// readState reads a folder's state.json.
func readState(dir string) (state, error) {
	var s state
	data, err := os.ReadFile(filepath.Join(dir, tables.StateFile))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, inputErrorf("%s: not a flipcert state file (%v); remove it or choose another -out", filepath.Join(dir, tables.StateFile), err)
	}
	return s, nil
}

// computeConfig is the part of a config that determines the units' content:
// everything but the report section, which only shapes the assembled tables,
// features.retrain, since a retrained embedder is the same embedder, and
// data.mnist_dir, since shards on different machines find the same files in
// different places.
func computeConfig(c Config) ([]byte, string) {
	c.Report = Report{}
	c.Features.Retrain = false
	c.Data.MNISTDir = "" // where the files are, not what they hold
	data, err := json.Marshal(c)
	if err != nil {
		panic("experiments: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// prepareOut creates the output folder and checks that units already in it
// come from the same config and code; they are never mixed with another's.
func prepareOut(c Config, opt Options) error {
	units := filepath.Join(opt.Out, tables.UnitsDir)
	if err := os.MkdirAll(units, 0o755); err != nil {
		return inputErrorf("output: %v", err)
	}
	if err := atomicfile.Clean(units); err != nil {
		return inputErrorf("output: %v", err)
	}
	want := newState(c)
	old, err := readState(opt.Out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		diff := old.differs(want)
		if diff == "" {
			return nil
		}
		// A folder without finished units has nothing to protect.
		finished, _ := filepath.Glob(filepath.Join(units, "*.csv"))
		if !opt.Fresh && len(finished) > 0 {
			return inputErrorf("%s holds results of %s; rerun with -fresh to discard them, or choose another -out", opt.Out, diff)
		}
		if err := os.RemoveAll(units); err != nil {
			return inputErrorf("output: %v", err)
		}
		if err := os.MkdirAll(units, 0o755); err != nil {
			return inputErrorf("output: %v", err)
		}
	}
	data, _ := json.MarshalIndent(want, "", "  ")
	if err := atomicfile.WriteBytes(filepath.Join(opt.Out, tables.StateFile), append(data, '\n')); err != nil {
		return inputErrorf("output: cannot write to %s: %v", opt.Out, err)
	}
	return nil
}

// changedKeys names the top-level config sections that differ.
func changedKeys(old, cur []byte) string {
	var a, b map[string]any
	if json.Unmarshal(old, &a) != nil || json.Unmarshal(cur, &b) != nil {
		return "unreadable old config"
	}
	var keys []string
	for k, v := range b {
		if !reflect.DeepEqual(a[k], v) {
			keys = append(keys, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "unit file layout"
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// assemble concatenates the unit files in plan order into points.csv,
// baseline.csv and mc_vs_analytic.csv, and collects the units' costs for the
// manifest. Everything derived from the rows is the results stage's.
func assemble(c Config, out string, in *inputs) ([]tables.Cost, error) {
	points := tables.AppendHeader(nil, tables.PointsHeader)
	baseline := tables.AppendHeader(nil, tables.BaselineHeader)
	mc := tables.AppendHeader(nil, tables.MCHeader)
	attack := tables.AppendHeader(nil, tables.AttackHeader)
	var costs []tables.Cost
	m := in.test.Len()
	for _, u := range Plan(c) {
		files := unitFiles(out, u)
		data, err := os.ReadFile(files[0])
		if err != nil {
			return nil, err
		}
		if u.Method == "baseline" {
			baseline = append(baseline, data...)
			continue
		}
		want := m
		if u.Method == "sampled" {
			want *= len(c.Sampler.N)
		}
		if rows := bytes.Count(data, []byte{'\n'}); rows != want {
			return nil, fmt.Errorf("%s: %d rows, want %d: remove the file to recompute it", files[0], rows, want)
		}
		points = append(points, data...)
		if rows, err := os.ReadFile(files[1]); err == nil {
			mc = append(mc, rows...)
		}
		if c.Attack.Enabled {
			rows, err := os.ReadFile(files[2])
			if err != nil {
				return nil, fmt.Errorf("%s: %v: remove %s to recompute the unit", files[2], err, files[0])
			}
			attack = append(attack, rows...)
		}
		var unitCosts []tables.Cost
		if data, err := os.ReadFile(files[3]); err == nil && json.Unmarshal(data, &unitCosts) == nil {
			costs = append(costs, unitCosts...)
		}
	}
	outputs := []struct {
		name string
		rows []byte
		keep bool
	}{
		{tables.PointsFile, points, true},
		{tables.BaselineFile, baseline, c.Baseline.Enabled},
		{tables.MCFile, mc, c.Sampler.Enabled && c.Analytic.Enabled},
		{tables.AttackFile, attack, c.Attack.Enabled && len(attack) > len(tables.AppendHeader(nil, tables.AttackHeader))},
	}
	for _, f := range outputs {
		path := filepath.Join(out, f.name)
		if f.keep {
			if err := atomicfile.WriteBytes(path, f.rows); err != nil {
				return nil, err
			}
			continue
		}
		// A table left by an earlier config would contradict this one.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return costs, nil
}

// mergeUnit copies one finished unit's files from a shard folder into out,
// the marker last, and returns 1 if it copied the unit. A unit out already
// holds must have the same rows.
func mergeUnit(dir, out string, u Unit) (int, error) {
	src, dst := unitFiles(dir, u), unitFiles(out, u)
	marker, err := os.ReadFile(src[0])
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if have, err := os.ReadFile(dst[0]); err == nil {
		if !bytes.Equal(have, marker) {
			return 0, fmt.Errorf("merge: unit %s differs between %s and %s", u.Name(), dir, out)
		}
		return 0, nil
	}
	for i := len(src) - 1; i > 0; i-- {
		data, err := os.ReadFile(src[i])
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := atomicfile.WriteBytes(dst[i], data); err != nil {
			return 0, err
		}
	}
	return 1, atomicfile.WriteBytes(dst[0], marker)
}

// Merge copies the finished units of shard folders (runs of the same config
// and code with -shard, on machines without a shared disk) into out. Units
// that no shard folder holds are an input error listing them, unless
// computeMissing is set; Run then computes them and assembles the tables as
// if one machine had done all the work.
func Merge(c Config, out string, shardDirs []string, computeMissing bool) (copied int, err error) {
	if err := prepareOut(c, Options{Out: out}); err != nil {
		return 0, err
	}
	want := newState(c)
	for _, dir := range shardDirs {
		s, err := readState(dir)
		if err != nil {
			return copied, inputErrorf("merge: %s is not a flipcert output folder: %v", dir, err)
		}
		if diff := s.differs(want); diff != "" {
			return copied, inputErrorf("merge: %s holds results of %s; every shard must run %s with this code", dir, diff, c.file)
		}
		for _, u := range Plan(c) {
			n, err := mergeUnit(dir, out, u)
			if err != nil {
				return copied, err
			}
			copied += n
		}
		if info := readEmbedderInfo(dir); info != nil && readEmbedderInfo(out) == nil {
			if err := writeEmbedderInfo(out, info); err != nil {
				return copied, err
			}
		}
	}
	var missing []string
	for _, u := range Plan(c) {
		if _, err := os.Stat(unitPath(out, u)); err != nil {
			missing = append(missing, u.Name())
		}
	}
	if len(missing) > 0 && !computeMissing {
		shown := missing[:min(len(missing), 10)]
		more := ""
		if len(missing) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(missing)-len(shown))
		}
		return copied, inputErrorf("merge: %d of %d units are in no shard folder: %s%s; run the shards that hold them, or pass -compute-missing to compute them here",
			len(missing), len(Plan(c)), strings.Join(shown, ", "), more)
	}
	return copied, nil
}
