package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"flipcert/atomicfile"
	"flipcert/tables"
)

// assemble concatenates the unit files in plan order into points.csv,
// baseline.csv, mc_vs_analytic.csv and attack.csv, and collects the units'
// costs for the manifest. Everything derived from the rows is the results
// stage's.
func assemble(c Config, out string, in *inputs) ([]tables.Cost, error) {
	points := tables.AppendHeader(nil, tables.PointsHeader)
	baseline := tables.AppendHeader(nil, tables.BaselineHeader)
	mc := tables.AppendHeader(nil, tables.MCHeader)
	attackHeader := tables.AppendHeader(nil, tables.AttackHeader)
	attack := bytes.Clone(attackHeader)
	var costs []tables.Cost
	m := in.test.Len()
	for _, u := range Plan(c) {
		f := filesOf(out, u)
		data, err := os.ReadFile(f.marker)
		if err != nil {
			return nil, err
		}
		if u.isNet() {
			baseline = append(baseline, data...)
			continue
		}
		want := m
		if u.Method.Kind == tables.Sampled {
			want *= len(c.Sampler.N)
		}
		if rows := bytes.Count(data, []byte{'\n'}); rows != want {
			return nil, fmt.Errorf("%s: %d rows, want %d: remove the file to recompute it", f.marker, rows, want)
		}
		points = append(points, data...)
		if rows, err := os.ReadFile(f.mc); err == nil {
			mc = append(mc, rows...)
		}
		if c.Attack.Enabled {
			rows, err := os.ReadFile(f.attack)
			if err != nil {
				return nil, fmt.Errorf("%s: %v: remove %s to recompute the unit", f.attack, err, f.marker)
			}
			attack = append(attack, rows...)
		}
		var unitCosts []tables.Cost
		if data, err := os.ReadFile(f.cost); err == nil && json.Unmarshal(data, &unitCosts) == nil {
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
		{tables.AttackFile, attack, c.Attack.Enabled && len(attack) > len(attackHeader)},
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
