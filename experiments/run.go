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
	if len(todo) > 0 {
		opt.Progress.SetUnits(len(todo))
		if err := runUnits(c, in, todo, opt, env, &out); err != nil {
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
	if err := assemble(c, opt.Out, in); err != nil {
		return out, err
	}
	env.stageDone("assemble", time.Since(asm))
	out.Assembled = true
	return out, writeManifest(c, opt.Out, in, start, stages, out, readEmbedderInfo(opt.Out))
}

func runUnits(c Config, in *inputs, todo []Unit, opt Options, env runEnv, out *Outcome) error {
	var p *prepared
	var b *baselineRunner
	for _, batch := range batches(todo) {
		var err error
		if batch[0].Method == "baseline" && b == nil {
			b, err = newBaselineRunner(c, in)
		} else if batch[0].Method != "baseline" && p == nil {
			p, err = prepare(c, in, env)
		}
		if err != nil {
			return err
		}
		name := batchName(batch)
		var data [][]byte
		var stage *progress.Stage
		if u := batch[0]; u.Method == "baseline" {
			stage = env.progress.StartUnits(name, 1, 1)
			acc, err := b.accuracy(u)
			if err != nil {
				return err
			}
			stage.Add(1)
			data = [][]byte{encodeBaseline(u, acc)}
		} else {
			stage = env.progress.StartUnits(name, in.test.Len(), len(batch))
			pts, err := p.certify(batch, c, stage)
			if err != nil {
				return err
			}
			for j, u := range batch {
				data = append(data, encodePoints(u, in.test.Y, pts[j]))
			}
		}
		env.stageDone(name, stage.Finish())
		for j, u := range batch {
			if err := atomicfile.WriteBytes(unitPath(opt.Out, u), data[j]); err != nil {
				return err
			}
			out.Ran++
			if opt.Interrupt != nil {
				if err := opt.Interrupt(u); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// batches groups the units that share one pass over the kernel vectors α
// (every analytic and ridge-exact unit of one λ): α is the costly part of
// them. Every other unit is a batch of its own.
func batches(todo []Unit) [][]Unit {
	var out [][]Unit
	index := map[float64]int{} // λ → its batch of kernel units in out
	for _, u := range todo {
		if !u.usesKernel() {
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

// batchName is the unit's name, or for a kernel batch a summary such as
// "lambda=30000: analytic q=0.05,0.4 + ridge-exact".
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

// assemble concatenates the unit files in plan order into points.csv and
// baseline.csv. Everything derived from them is the results stage's.
func assemble(c Config, out string, in *inputs) error {
	points := tables.AppendHeader(nil, tables.PointsHeader)
	baseline := tables.AppendHeader(nil, tables.BaselineHeader)
	m := in.test.Len()
	for _, u := range Plan(c) {
		data, err := os.ReadFile(unitPath(out, u))
		if err != nil {
			return err
		}
		if u.Method == "baseline" {
			baseline = append(baseline, data...)
			continue
		}
		if rows := bytes.Count(data, []byte{'\n'}); rows != m {
			return fmt.Errorf("%s: %d rows, want %d: remove the file to recompute it", unitPath(out, u), rows, m)
		}
		points = append(points, data...)
	}
	if err := atomicfile.WriteBytes(filepath.Join(out, tables.PointsFile), points); err != nil {
		return err
	}
	if c.Baseline.Enabled {
		return atomicfile.WriteBytes(filepath.Join(out, tables.BaselineFile), baseline)
	}
	// A baseline.csv left by an earlier config would contradict this one.
	if err := os.Remove(filepath.Join(out, tables.BaselineFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
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
			src, err := os.ReadFile(unitPath(dir, u))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return copied, err
			}
			dst := unitPath(out, u)
			if have, err := os.ReadFile(dst); err == nil {
				if !bytes.Equal(have, src) {
					return copied, fmt.Errorf("merge: unit %s differs between %s and %s", u.Name(), dir, out)
				}
				continue
			}
			if err := atomicfile.WriteBytes(dst, src); err != nil {
				return copied, err
			}
			copied++
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
