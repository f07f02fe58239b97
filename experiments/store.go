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

	"flipcert/atomicfile"
	"flipcert/tables"
)

// The unit store: an output folder keeps every finished unit in its units
// folder, and state.json says which config and code they belong to, so that
// an interrupted run resumes where it stopped and shards can be merged.

// layout versions the on-disk unit format: a change refuses old folders.
const layout = 2

// output is what one unit writes: its rows of the run's tables, without
// headers, and what it cost.
type output struct {
	points   []byte // rows of points.csv
	baseline []byte // rows of baseline.csv
	mc       []byte // rows of mc_vs_analytic.csv (sampled units, with the analytic certificate on)
	attack   []byte // rows of attack.csv (certificate units, with attacks on)
	costs    []tables.Cost
}

// unitFiles are the files of one unit in the units folder. The marker holds
// its rows of points.csv (baseline.csv for baseline units); it is written
// last, so it marks the unit finished. The others are present when the unit
// has such rows.
type unitFiles struct {
	marker string
	mc     string // rows of mc_vs_analytic.csv
	attack string // rows of attack.csv
	cost   string // its tables.Cost records, as JSON
}

func filesOf(out string, u Unit) unitFiles {
	stem := filepath.Join(out, tables.UnitsDir, u.file())
	return unitFiles{marker: stem + ".csv", mc: stem + ".mc.csv", attack: stem + ".attack.csv", cost: stem + ".cost.json"}
}

// finished reports whether the folder holds u's finished files.
func finished(out string, u Unit) bool {
	_, err := os.Stat(filesOf(out, u).marker)
	return err == nil
}

// writeUnit writes a finished unit's files, each atomically, the marker last.
func writeUnit(out string, u Unit, o output) error {
	f := filesOf(out, u)
	for _, part := range []struct {
		path string
		rows []byte
	}{{f.mc, o.mc}, {f.attack, o.attack}} {
		if part.rows == nil {
			continue
		}
		if err := atomicfile.WriteBytes(part.path, part.rows); err != nil {
			return err
		}
	}
	costs, err := json.Marshal(o.costs)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(f.cost, append(costs, '\n')); err != nil {
		return err
	}
	rows := o.points
	if u.isNet() {
		rows = o.baseline
	}
	return atomicfile.WriteBytes(f.marker, rows)
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
		done, _ := filepath.Glob(filepath.Join(units, "*.csv"))
		if !opt.Fresh && len(done) > 0 {
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

// mergeUnit copies one finished unit's files from a shard folder into out,
// the marker last, and returns 1 if it copied the unit. A unit out already
// holds must have the same rows.
func mergeUnit(dir, out string, u Unit) (int, error) {
	src, dst := filesOf(dir, u), filesOf(out, u)
	marker, err := os.ReadFile(src.marker)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if have, err := os.ReadFile(dst.marker); err == nil {
		if !bytes.Equal(have, marker) {
			return 0, fmt.Errorf("merge: unit %s differs between %s and %s", u, dir, out)
		}
		return 0, nil
	}
	for _, p := range [][2]string{{src.mc, dst.mc}, {src.attack, dst.attack}, {src.cost, dst.cost}} {
		data, err := os.ReadFile(p[0])
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := atomicfile.WriteBytes(p[1], data); err != nil {
			return 0, err
		}
	}
	return 1, atomicfile.WriteBytes(dst.marker, marker)
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
	plan := Plan(c)
	for _, dir := range shardDirs {
		s, err := readState(dir)
		if err != nil {
			return copied, inputErrorf("merge: %s is not a flipcert output folder: %v", dir, err)
		}
		if diff := s.differs(want); diff != "" {
			return copied, inputErrorf("merge: %s holds results of %s; every shard must run %s with this code", dir, diff, c.file)
		}
		for _, u := range plan {
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
	for _, u := range plan {
		if !finished(out, u) {
			missing = append(missing, u.String())
		}
	}
	if len(missing) > 0 && !computeMissing {
		shown := missing[:min(len(missing), 10)]
		more := ""
		if len(missing) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(missing)-len(shown))
		}
		return copied, inputErrorf("merge: %d of %d units are in no shard folder: %s%s; run the shards that hold them, or pass -compute-missing to compute them here",
			len(missing), len(plan), strings.Join(shown, ", "), more)
	}
	return copied, nil
}
