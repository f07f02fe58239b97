package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"flipcert/tables"
)

// defaultHeatmapFlips are the flip budgets of the ablation heatmaps when the manifest names none.
var defaultHeatmapFlips = []int{0, 100, 500, 1000}

// manifest holds the fields of manifest.json that results relies on, and the raw bytes to show.
type manifest struct {
	name         string
	nTrain       int
	nTest        int
	classes      int
	digits       []int // MNIST: the digit of each class
	maxFlips     int
	heatmapFlips []int
	stages       []tables.Stage
	costs        []tables.Cost
	// alpha and sampleNs are the sampled certificate's alpha and its numbers of samples,
	// ascending, from the config; 0 and nil when the config does not name them.
	alpha    float64
	sampleNs []int
	raw      []byte
}

func readManifest(path string) (manifest, error) {
	m, raw, err := tables.ReadManifest(path)
	if err != nil {
		return manifest{}, err
	}
	hf := m.Report.HeatmapFlips
	if hf == nil {
		hf = defaultHeatmapFlips
	}
	alpha, ns, err := samplerConfig(m.Config)
	if err != nil {
		return manifest{}, &tables.ParseError{File: path, Column: "config.sampler", Err: err}
	}
	for _, c := range m.Costs {
		if _, err := tables.ParseMethod(c.Method); err != nil {
			return manifest{}, &tables.ParseError{File: path, Column: "costs", Err: err}
		}
		if c.Points < 1 || !(c.Seconds >= 0) {
			return manifest{}, &tables.ParseError{File: path, Column: "costs",
				Err: fmt.Errorf("%s: %d points in %v s, want at least 1 point and seconds ≥ 0", c.Method, c.Points, c.Seconds)}
		}
	}
	return manifest{
		name:         m.Name,
		nTrain:       m.Data.NTrain,
		nTest:        m.Data.NTest,
		classes:      m.Data.Classes,
		digits:       m.Data.Digits,
		maxFlips:     m.Report.MaxFlips,
		heatmapFlips: slices.Clone(hf),
		stages:       m.Stages,
		costs:        m.Costs,
		alpha:        alpha,
		sampleNs:     ns,
		raw:          raw,
	}, nil
}

// samplerConfig reads sampler.alpha and sampler.n (one number or a list) from the run's config;
// absent fields give 0 and nil.
func samplerConfig(config json.RawMessage) (alpha float64, ns []int, err error) {
	if len(config) == 0 {
		return 0, nil, nil
	}
	var c struct {
		Sampler struct {
			Alpha float64         `json:"alpha"`
			N     json.RawMessage `json:"n"`
		} `json:"sampler"`
	}
	if err := json.Unmarshal(config, &c); err != nil {
		return 0, nil, err
	}
	if n := c.Sampler.N; len(n) > 0 && string(n) != "null" {
		var one int
		if json.Unmarshal(n, &one) == nil {
			ns = []int{one}
		} else if err := json.Unmarshal(n, &ns); err != nil {
			return 0, nil, fmt.Errorf("n: %s is neither a count nor a list of counts", n)
		}
	}
	for _, n := range ns {
		if n < 1 {
			return 0, nil, fmt.Errorf("n: %d is below 1", n)
		}
	}
	slices.Sort(ns)
	return c.Sampler.Alpha, slices.Compact(ns), nil
}

// largestN is the largest number of samples the config names, 0 when it names none.
func (m manifest) largestN() int {
	if len(m.sampleNs) == 0 {
		return 0
	}
	return m.sampleNs[len(m.sampleNs)-1]
}

// optional reports whether the file name exists in dir; only a missing file gives false.
func optional(dir, name string) (string, bool, error) {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return path, false, nil
	} else if err != nil {
		return path, false, err
	}
	return path, true, nil
}

// readBaseline reads baseline.csv; a missing file means no baseline (nil rows, nil error).
func readBaseline(dir string) ([]tables.BaselineRow, error) {
	path, ok, err := optional(dir, tables.BaselineFile)
	if !ok {
		return nil, err
	}
	return tables.ReadBaseline(path)
}

// readMC reads mc_vs_analytic.csv; a missing file means no comparison (nil rows, nil error).
func readMC(dir string) ([]tables.MCRow, error) {
	path, ok, err := optional(dir, tables.MCFile)
	if !ok {
		return nil, err
	}
	return tables.ReadMC(path)
}

// readAttack reads attack.csv; a missing file means no attacks (nil rows, nil error).
func readAttack(dir string) ([]tables.AttackRow, string, error) {
	path, ok, err := optional(dir, tables.AttackFile)
	if !ok {
		return nil, path, err
	}
	rows, err := tables.ReadAttack(path)
	return rows, path, err
}
