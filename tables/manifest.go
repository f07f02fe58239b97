package tables

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Manifest is manifest.json: everything needed to say how a run's tables
// were made, and the sizes and settings the results stage needs.
type Manifest struct {
	Name   string          `json:"name"`
	Seed   uint64          `json:"seed"`
	Config json.RawMessage `json:"config"` // the resolved config, every default filled in
	Data   DataInfo        `json:"data"`
	Report ReportInfo      `json:"report"`
	// Embedder describes the CNN embedder, when the features came from one.
	Embedder json.RawMessage `json:"embedder,omitempty"`
	// CodeVersion identifies the code that computed the units: the VCS
	// revision, with a hash of uncommitted changes when the checkout is dirty.
	CodeVersion string            `json:"code_version"`
	GoVersion   string            `json:"go_version"`
	Module      string            `json:"module_version"`
	Modules     map[string]string `json:"modules"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	Units       UnitCounts        `json:"units"`
	Stages      []Stage           `json:"stages"`
	// Costs are the seconds each method spent per (q, λ), kept with its
	// unit so that resumed and merged runs still report them.
	Costs []Cost `json:"costs"`
}

// Cost is the wall time one method took at one (q, λ) over Points test
// points: for the sampled certificate at N samples, the time until the N-th
// sample; for a certificate computed from the kernel vectors, its share of
// the pass over them, kernel computation included.
type Cost struct {
	Method  string  `json:"method"` // as named in points.csv
	Q       float64 `json:"q,omitempty"`
	Lambda  float64 `json:"lambda"`
	Points  int     `json:"points"`
	Seconds float64 `json:"seconds"`
}

// DataInfo gives the sizes of a run's data: the top axis of Figure 1 is flips
// as a share of NTrain.
type DataInfo struct {
	Source  string `json:"source"`
	NTrain  int    `json:"n_train"`
	NTest   int    `json:"n_test"`
	Classes int    `json:"classes"`          // K
	Digits  []int  `json:"digits,omitempty"` // MNIST: the digit of each class
}

// ReportInfo is what the results stage draws: certified accuracy from 0 to
// MaxFlips flips, and ablation heatmaps at HeatmapFlips.
type ReportInfo struct {
	MaxFlips     int   `json:"max_flips"`
	HeatmapFlips []int `json:"heatmap_flips"`
}

// UnitCounts says how much of the plan the invocation that assembled the
// tables computed itself.
type UnitCounts struct {
	Total   int `json:"total"`
	Ran     int `json:"ran"`
	Resumed int `json:"resumed"`
}

// Stage is the wall time of one stage of a run.
type Stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Encode returns the manifest as indented JSON with a final newline.
func (m Manifest) Encode() []byte {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic("tables: " + err.Error()) // every field marshals
	}
	return append(data, '\n')
}

// ReadManifest parses manifest.json and checks the fields the results stage
// relies on. It returns the raw bytes too, for display.
func ReadManifest(path string) (Manifest, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Manifest{}, nil, &ParseError{File: path, Line: 1 + bytes.Count(raw[:se.Offset], []byte("\n")), Err: err}
		}
		return Manifest{}, nil, &ParseError{File: path, Err: err}
	}
	fail := func(field, format string, args ...any) (Manifest, []byte, error) {
		return Manifest{}, nil, &ParseError{File: path, Column: field, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case m.Name == "":
		return fail("name", "missing")
	case m.Data.NTrain < 1:
		return fail("data.n_train", "missing or below 1")
	case m.Data.NTest < 1:
		return fail("data.n_test", "missing or below 1")
	case m.Data.Classes < 2:
		return fail("data.classes", "missing or below 2")
	case m.Report.MaxFlips < 1:
		return fail("report.max_flips", "missing or below 1")
	}
	for _, f := range m.Report.HeatmapFlips {
		if f < 0 {
			return fail("report.heatmap_flips", "%d is negative", f)
		}
	}
	return m, raw, nil
}
