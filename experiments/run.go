package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"flipcert/atomicfile"
	"flipcert/progress"
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
	stages   *[]Stage
	out      string
}

// Stage is the wall time of one stage, for the manifest.
type Stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func (e runEnv) stageDone(name string, d time.Duration) {
	*e.stages = append(*e.stages, Stage{Name: name, Seconds: d.Seconds()})
}

const (
	unitsDir  = "units"
	stateFile = "state.json"
	// layout versions the on-disk unit format: a change refuses old folders.
	layout = 1
)

// Run executes the config's units that Out does not hold yet (this shard's
// share of them), then, if every unit of the plan is present, writes
// points.csv, certified_accuracy.csv, baseline.csv and manifest.json.
func Run(c Config, opt Options) (Outcome, error) {
	start := time.Now()
	var stages []Stage
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
			stage = env.progress.Start(name, 1)
			acc, err := b.accuracy(u)
			if err != nil {
				return err
			}
			stage.Add(1)
			data = [][]byte{encodeBaseline(u, acc)}
		} else {
			stage = env.progress.Start(name, in.test.Len())
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
			qs = append(qs, formatFloat(u.Q))
		} else {
			exact = " + ridge-exact"
		}
	}
	name := "lambda=" + formatFloat(batch[0].Lambda) + ": "
	if len(qs) > 0 {
		return name + "analytic q=" + strings.Join(qs, ",") + exact
	}
	return name + strings.TrimPrefix(exact, " + ")
}

func unitPath(out string, u Unit) string {
	return filepath.Join(out, unitsDir, u.Name()+".csv")
}

// state is what state.json records of the config whose units a folder holds.
type state struct {
	Layout      int             `json:"layout"`
	Fingerprint string          `json:"fingerprint"`
	Config      json.RawMessage `json:"config"`
}

// computeConfig is the part of a config that determines the units' content:
// everything but the report section, which only shapes the assembled tables,
// and features.retrain, since a retrained embedder is the same embedder.
func computeConfig(c Config) ([]byte, string) {
	c.Report = Report{}
	c.Features.Retrain = false
	data, err := json.Marshal(c)
	if err != nil {
		panic("experiments: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// prepareOut creates the output folder and checks that units already in it
// come from the same config; they are never mixed with another config's.
func prepareOut(c Config, opt Options) error {
	if err := os.MkdirAll(filepath.Join(opt.Out, unitsDir), 0o755); err != nil {
		return inputErrorf("output: %v", err)
	}
	if err := atomicfile.Clean(filepath.Join(opt.Out, unitsDir)); err != nil {
		return inputErrorf("output: %v", err)
	}
	cfg, fp := computeConfig(c)
	path := filepath.Join(opt.Out, stateFile)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return inputErrorf("output: %v", err)
	default:
		var s state
		if err := json.Unmarshal(old, &s); err != nil {
			return inputErrorf("%s: not a flipcert state file (%v); remove it or choose another -out", path, err)
		}
		if s.Fingerprint == fp && s.Layout == layout {
			return nil
		}
		// A folder without finished units has nothing to protect.
		finished, _ := filepath.Glob(filepath.Join(opt.Out, unitsDir, "*.csv"))
		if !opt.Fresh && len(finished) > 0 {
			return inputErrorf("%s holds results of a different config (changed: %s); rerun with -fresh to discard them, or choose another -out",
				opt.Out, changedKeys(s.Config, cfg))
		}
		if err := os.RemoveAll(filepath.Join(opt.Out, unitsDir)); err != nil {
			return inputErrorf("output: %v", err)
		}
		if err := os.MkdirAll(filepath.Join(opt.Out, unitsDir), 0o755); err != nil {
			return inputErrorf("output: %v", err)
		}
	}
	data, _ := json.MarshalIndent(state{Layout: layout, Fingerprint: fp, Config: cfg}, "", "  ")
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
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
		return "file layout"
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// assemble concatenates the unit files in plan order into the output tables
// and derives certified accuracy from the points.
func assemble(c Config, out string, in *inputs) error {
	var points, certAcc, baseline bytes.Buffer
	points.WriteString(strings.Join(pointsHeader, ",") + "\n")
	certAcc.WriteString("method,radius_kind,q,lambda,flips,certified_accuracy\n")
	baseline.WriteString("attack,flips,seed,accuracy\n")
	m := in.test.Len()
	for _, u := range Plan(c) {
		data, err := os.ReadFile(unitPath(out, u))
		if err != nil {
			return err
		}
		if u.Method == "baseline" {
			baseline.Write(data)
			continue
		}
		points.Write(data)
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(rows) != m {
			return fmt.Errorf("%s: %d rows (%v), want %d: remove the file to recompute it", unitPath(out, u), len(rows), err, m)
		}
		kinds := []struct {
			name string
			col  int
		}{{"np", 7}, {"kl", 8}}
		if u.Method == "ridge-exact" || u.Method == "dpa" {
			kinds = kinds[:1]
			kinds[0].name = "exact"
		}
		for _, k := range kinds {
			// counts[r] = points correct and certified for exactly r flips.
			counts := make([]int, c.Report.MaxFlips+2)
			for _, row := range rows {
				r, err := strconv.Atoi(row[k.col])
				if err != nil {
					return fmt.Errorf("%s: %v", unitPath(out, u), err)
				}
				if row[9] == "1" && r >= 0 {
					counts[min(r, c.Report.MaxFlips+1)]++
				}
			}
			// Certified accuracy at r counts radii ≥ r: a suffix sum.
			acc := make([]int, c.Report.MaxFlips+1)
			atLeast := counts[c.Report.MaxFlips+1]
			for r := c.Report.MaxFlips; r >= 0; r-- {
				atLeast += counts[r]
				acc[r] = atLeast
			}
			q := rows[0][1]
			for r, a := range acc {
				fmt.Fprintf(&certAcc, "%s,%s,%s,%s,%d,%s\n", u.Label(), k.name, q, formatFloat(u.Lambda), r,
					formatFloat(float64(a)/float64(m)))
			}
		}
	}
	if err := atomicfile.WriteBytes(filepath.Join(out, "points.csv"), points.Bytes()); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(out, "certified_accuracy.csv"), certAcc.Bytes()); err != nil {
		return err
	}
	if c.Baseline.Enabled {
		return atomicfile.WriteBytes(filepath.Join(out, "baseline.csv"), baseline.Bytes())
	}
	// A baseline.csv left by an earlier config would contradict this one.
	if err := os.Remove(filepath.Join(out, "baseline.csv")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Merge copies the finished units of shard folders (runs of the same config
// with -shard on machines without a shared disk) into out. Run then assembles
// them as if one machine had done all the work.
func Merge(c Config, out string, shardDirs []string) (copied int, err error) {
	if err := prepareOut(c, Options{Out: out}); err != nil {
		return 0, err
	}
	_, fp := computeConfig(c)
	for _, dir := range shardDirs {
		data, err := os.ReadFile(filepath.Join(dir, stateFile))
		if err != nil {
			return copied, inputErrorf("merge: %s is not a flipcert output folder: %v", dir, err)
		}
		var s state
		if err := json.Unmarshal(data, &s); err != nil || s.Fingerprint != fp || s.Layout != layout {
			return copied, inputErrorf("merge: %s holds results of a different config than %s", dir, c.file)
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
	return copied, nil
}
