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

// Manifest holds what the analysis reads from a run's manifest.json, and its raw bytes to show.
type Manifest struct {
	Name         string
	NTrain       int
	NTest        int
	Classes      int
	Digits       []int // MNIST: the digit of each class
	MaxFlips     int
	HeatmapFlips []int
	Stages       []tables.Stage
	Costs        []tables.Cost
	Wall         float64 // seconds from the run's start to its manifest: the last invocation's
	// Alpha and SampleNs are the sampled certificate's alpha and its numbers of samples,
	// ascending, from the config; 0 and nil when the config does not name them.
	Alpha    float64
	SampleNs []int
	Raw      []byte
}

// ReadManifest reads the manifest.json of the output folder dir.
func ReadManifest(dir string) (Manifest, error) {
	return readManifest(filepath.Join(dir, tables.ManifestFile))
}

func readManifest(path string) (Manifest, error) {
	m, raw, err := tables.ReadManifest(path)
	if err != nil {
		return Manifest{}, err
	}
	hf := m.Report.HeatmapFlips
	if hf == nil {
		hf = defaultHeatmapFlips
	}
	alpha, ns, err := samplerConfig(m.Config)
	if err != nil {
		return Manifest{}, &tables.ParseError{File: path, Column: "config.sampler", Err: err}
	}
	for _, c := range m.Costs {
		if _, err := tables.ParseMethod(c.Method); err != nil {
			return Manifest{}, &tables.ParseError{File: path, Column: "costs", Err: err}
		}
		if c.Points < 1 || !(c.Seconds >= 0) {
			return Manifest{}, &tables.ParseError{File: path, Column: "costs",
				Err: fmt.Errorf("%s: %d points in %v s, want at least 1 point and seconds ≥ 0", c.Method, c.Points, c.Seconds)}
		}
	}
	return Manifest{
		Name:         m.Name,
		NTrain:       m.Data.NTrain,
		NTest:        m.Data.NTest,
		Classes:      m.Data.Classes,
		Digits:       m.Data.Digits,
		MaxFlips:     m.Report.MaxFlips,
		HeatmapFlips: slices.Clone(hf),
		Stages:       m.Stages,
		Wall:         m.Finished.Sub(m.Started).Seconds(),
		Costs:        m.Costs,
		Alpha:        alpha,
		SampleNs:     ns,
		Raw:          raw,
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

// LargestN is the largest number of samples the config names, 0 when it names none.
func (m Manifest) LargestN() int {
	if len(m.SampleNs) == 0 {
		return 0
	}
	return m.SampleNs[len(m.SampleNs)-1]
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
