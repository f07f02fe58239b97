package results

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Input file names and their exact headers: the contract with the experiment runner.
const (
	pointsFile   = "points.csv"
	certAccFile  = "certified_accuracy.csv"
	baselineFile = "baseline.csv"
	manifestFile = "manifest.json"
)

var (
	pointsHeader   = []string{"method", "q", "lambda", "index", "label", "prediction", "log_eps", "radius", "radius_kl", "correct"}
	certAccHeader  = []string{"method", "radius_kind", "q", "lambda", "flips", "certified_accuracy"}
	baselineHeader = []string{"attack", "flips", "seed", "accuracy"}
)

// defaultHeatmapFlips are the flip budgets of the ablation heatmaps when the manifest names none.
var defaultHeatmapFlips = []int{0, 100, 500, 1000}

// ParseError reports malformed or inconsistent input, located as precisely as possible.
type ParseError struct {
	File   string // path of the offending file
	Line   int    // 1-based line; 0 when the problem concerns the whole file
	Column string // column or field name; empty when the problem concerns the whole row
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// methodKind orders the methods as they appear in tables: smoothed ones first.
type methodKind int

const (
	kindAnalytic methodKind = iota
	kindSampled
	kindRidgeExact
	kindDPA
)

func (k methodKind) smoothed() bool { return k == kindAnalytic || k == kindSampled }

// parseMethod accepts analytic, sampled, ridge-exact and dpa-k<k> with k a canonical positive integer.
func parseMethod(s string) (methodKind, int, error) {
	switch s {
	case "analytic":
		return kindAnalytic, 0, nil
	case "sampled":
		return kindSampled, 0, nil
	case "ridge-exact":
		return kindRidgeExact, 0, nil
	}
	if rest, ok := strings.CutPrefix(s, "dpa-k"); ok {
		if k, err := strconv.Atoi(rest); err == nil && k > 0 && strconv.Itoa(k) == rest {
			return kindDPA, k, nil
		}
	}
	return 0, 0, fmt.Errorf("unknown method %q (want analytic, sampled, ridge-exact or dpa-k<k>)", s)
}

// setting identifies one certified-accuracy curve source: a method at one (q, λ).
// q is meaningful only for smoothed methods; λ may be absent only for DPA.
type setting struct {
	method    string
	kind      methodKind
	k         int // DPA partitions
	q         float64
	lambda    float64
	hasLambda bool
}

func (s setting) String() string {
	var b strings.Builder
	b.WriteString("method " + s.method)
	if s.kind.smoothed() {
		b.WriteString(", q " + strconv.FormatFloat(s.q, 'g', -1, 64))
	}
	if s.hasLambda {
		b.WriteString(", lambda " + strconv.FormatFloat(s.lambda, 'g', -1, 64))
	}
	return b.String()
}

// less orders settings by method (analytic, sampled, ridge-exact, dpa by k), then q, then λ
// (absent first).
func (s setting) less(t setting) bool {
	switch {
	case s.kind != t.kind:
		return s.kind < t.kind
	case s.k != t.k:
		return s.k < t.k
	case s.q != t.q:
		return s.q < t.q
	case s.hasLambda != t.hasLambda:
		return !s.hasLambda
	default:
		return s.lambda < t.lambda
	}
}

// pointRow is one row of points.csv.
type pointRow struct {
	setting
	line       int
	index      int
	label      int
	prediction int // -1: abstain
	radius     int // tight (Neyman-Pearson) or exact radius; -1: not certified
	radiusKL   int
	correct    bool
}

// certAccRow is one row of certified_accuracy.csv.
type certAccRow struct {
	setting
	line  int
	kind  string // np, kl or exact
	flips int
	value float64
}

// baselineRow is one row of baseline.csv.
type baselineRow struct {
	line     int
	attack   string
	flips    int
	seed     uint64
	accuracy float64
}

// manifest holds the fields of manifest.json that results relies on, and the raw bytes to show.
type manifest struct {
	name         string
	nTrain       int
	nTest        int
	maxFlips     int
	heatmapFlips []int
	raw          []byte
}

// cells parses the fields of one CSV record; the first error sticks, like bufio.Scanner's.
type cells struct {
	path   string
	line   int
	header []string
	rec    []string
	err    error
}

func (c *cells) fail(col int, format string, args ...any) {
	if c.err == nil {
		c.err = &ParseError{File: c.path, Line: c.line, Column: c.header[col], Err: fmt.Errorf(format, args...)}
	}
}

func (c *cells) empty(col int) bool { return c.rec[col] == "" }

// int parses an integer no smaller than lo.
func (c *cells) int(col, lo int) int {
	v, err := strconv.Atoi(c.rec[col])
	if err != nil {
		c.fail(col, "%q is not an integer", c.rec[col])
		return 0
	}
	if v < lo {
		c.fail(col, "%d is below %d", v, lo)
	}
	return v
}

// float parses a finite float in [lo, hi].
func (c *cells) float(col int, lo, hi float64) float64 {
	v, err := strconv.ParseFloat(c.rec[col], 64)
	if err != nil {
		c.fail(col, "%q is not a number", c.rec[col])
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		c.fail(col, "%s is outside [%g, %g]", c.rec[col], lo, hi)
	}
	return v
}

// mustBeEmpty rejects a value in a column the row's method leaves empty.
func (c *cells) mustBeEmpty(col int, why string) {
	if !c.empty(col) {
		c.fail(col, "%q must be empty %s", c.rec[col], why)
	}
}

// setting parses method, q and λ from the given columns, applying the contract's rules
// for which of them a method fills in.
func (c *cells) setting(methodCol, qCol, lambdaCol int) setting {
	kind, k, err := parseMethod(c.rec[methodCol])
	if err != nil {
		c.fail(methodCol, "%v", err)
		return setting{}
	}
	s := setting{method: c.rec[methodCol], kind: kind, k: k}
	if kind.smoothed() {
		s.q = c.float(qCol, 0, 0.5)
		if c.err == nil && (s.q == 0 || s.q == 0.5) {
			c.fail(qCol, "%s is outside (0, 0.5)", c.rec[qCol])
		}
	} else {
		c.mustBeEmpty(qCol, "for an unsmoothed method")
	}
	if kind != kindDPA || !c.empty(lambdaCol) {
		s.lambda = c.float(lambdaCol, 0, math.MaxFloat64)
		s.hasLambda = true
	}
	return s
}

// readCSV opens path, checks that its header equals header, and calls row for every data record
// with a cells ready to parse it. It returns the first error, located by file and line.
func readCSV(path string, header []string, row func(c *cells) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1 // ragged rows are reported below with the expected count
	rec, err := r.Read()
	if err == io.EOF {
		return &ParseError{File: path, Err: errors.New("empty file, want a header line")}
	}
	if err != nil {
		return csvError(path, err)
	}
	if !slices.Equal(rec, header) {
		return &ParseError{File: path, Line: 1, Column: "header",
			Err: fmt.Errorf("got %q, want %q", strings.Join(rec, ","), strings.Join(header, ","))}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			return &ParseError{File: path, Line: line, Err: fmt.Errorf("%d fields, want %d", len(rec), len(header))}
		}
		if err := row(&cells{path: path, line: line, header: header, rec: rec}); err != nil {
			return err
		}
	}
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// A broken quote is usually noticed lines later; the record's first line is where it is.
		return &ParseError{File: path, Line: pe.StartLine, Err: pe.Err}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// readPoints parses points.csv and checks each row against the contract: columns a method leaves
// empty are empty, abstentions have radius -1, correct agrees with prediction and label, unsmoothed
// methods have one radius in both columns, and no (method, q, λ, index) repeats.
func readPoints(path string) ([]pointRow, error) {
	type key struct {
		setting
		index int
	}
	seen := map[key]int{}
	var rows []pointRow
	err := readCSV(path, pointsHeader, func(c *cells) error {
		p := pointRow{line: c.line, setting: c.setting(0, 1, 2)}
		p.index = c.int(3, 0)
		p.label = c.int(4, 0)
		p.prediction = c.int(5, -1)
		if !p.kind.smoothed() {
			c.mustBeEmpty(6, "for an unsmoothed method")
		} else if !c.empty(6) {
			c.float(6, math.Inf(-1), 0) // log ε; shown nowhere, but it must be a log-probability
		}
		p.radius = c.int(7, -1)
		p.radiusKL = c.int(8, -1)
		correct := c.int(9, 0)
		if c.err != nil {
			return c.err
		}
		switch {
		case correct > 1:
			c.fail(9, "%d is not 0 or 1", correct)
		case (correct == 1) != (p.prediction == p.label):
			c.fail(9, "%d but prediction %d and label %d", correct, p.prediction, p.label)
		case p.prediction == -1 && p.radius != -1:
			c.fail(7, "%d for an abstention, want -1", p.radius)
		case p.prediction == -1 && p.radiusKL != -1:
			c.fail(8, "%d for an abstention, want -1", p.radiusKL)
		case !p.kind.smoothed() && p.radiusKL != p.radius:
			c.fail(8, "%d differs from radius %d for an unsmoothed method", p.radiusKL, p.radius)
		}
		p.correct = correct == 1
		k := key{p.setting, p.index}
		if first, ok := seen[k]; ok {
			c.fail(3, "index %d repeats line %d for the same method, q and lambda", p.index, first)
		}
		seen[k] = c.line
		rows = append(rows, p)
		return c.err
	})
	if err == nil && len(rows) == 0 {
		err = &ParseError{File: path, Err: errors.New("no data rows")}
	}
	return rows, err
}

// readCertAcc parses certified_accuracy.csv. Consistency with points.csv is checked by the caller.
func readCertAcc(path string, maxFlips int) ([]certAccRow, error) {
	var rows []certAccRow
	err := readCSV(path, certAccHeader, func(c *cells) error {
		r := certAccRow{line: c.line, setting: c.setting(0, 2, 3), kind: c.rec[1]}
		r.flips = c.int(4, 0)
		r.value = c.float(5, 0, 1)
		if c.err != nil {
			return c.err
		}
		switch {
		case r.flips > maxFlips:
			c.fail(4, "%d exceeds max_flips %d of %s", r.flips, maxFlips, manifestFile)
		case r.setting.kind.smoothed() && r.kind != "np" && r.kind != "kl":
			c.fail(1, "%q, want np or kl for a smoothed method", r.kind)
		case !r.setting.kind.smoothed() && r.kind != "exact":
			c.fail(1, "%q, want exact for an unsmoothed method", r.kind)
		}
		rows = append(rows, r)
		return c.err
	})
	return rows, err
}

// baselineAttacks lists the attacks in display order.
var baselineAttacks = []string{"random", "pointwise"}

// readBaseline parses baseline.csv; a missing file means no baseline (nil rows, nil error).
func readBaseline(path string) ([]baselineRow, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	type key struct {
		attack string
		flips  int
		seed   uint64
	}
	seen := map[key]int{}
	var rows []baselineRow
	err := readCSV(path, baselineHeader, func(c *cells) error {
		b := baselineRow{line: c.line, attack: c.rec[0]}
		if !slices.Contains(baselineAttacks, b.attack) {
			c.fail(0, "%q, want random or pointwise", b.attack)
		}
		b.flips = c.int(1, 0)
		seed, err := strconv.ParseUint(c.rec[2], 10, 64)
		if err != nil {
			c.fail(2, "%q is not an unsigned integer", c.rec[2])
		}
		b.seed = seed
		b.accuracy = c.float(3, 0, 1)
		k := key{b.attack, b.flips, b.seed}
		if first, ok := seen[k]; ok {
			c.fail(2, "seed %d repeats line %d for the same attack and flips", b.seed, first)
		}
		seen[k] = c.line
		rows = append(rows, b)
		return c.err
	})
	return rows, err
}

// readManifest parses the fields of manifest.json that results relies on and keeps the rest raw.
func readManifest(path string) (manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return manifest{}, err
	}
	var m struct {
		Name *string `json:"name"`
		Data struct {
			NTrain *int `json:"n_train"`
			NTest  *int `json:"n_test"`
		} `json:"data"`
		Config struct {
			Report struct {
				MaxFlips     *int  `json:"max_flips"`
				HeatmapFlips []int `json:"heatmap_flips"`
			} `json:"report"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return manifest{}, &ParseError{File: path, Line: 1 + bytes.Count(raw[:se.Offset], []byte("\n")), Err: err}
		}
		return manifest{}, &ParseError{File: path, Err: err}
	}
	fail := func(field, format string, args ...any) (manifest, error) {
		return manifest{}, &ParseError{File: path, Column: field, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case m.Name == nil:
		return fail("name", "missing")
	case m.Data.NTrain == nil || *m.Data.NTrain < 1:
		return fail("data.n_train", "missing or below 1")
	case m.Data.NTest == nil || *m.Data.NTest < 1:
		return fail("data.n_test", "missing or below 1")
	case m.Config.Report.MaxFlips == nil || *m.Config.Report.MaxFlips < 1:
		return fail("config.report.max_flips", "missing or below 1")
	}
	hf := m.Config.Report.HeatmapFlips
	if hf == nil {
		hf = defaultHeatmapFlips
	}
	for _, f := range hf {
		if f < 0 {
			return fail("config.report.heatmap_flips", "%d is negative", f)
		}
	}
	return manifest{
		name:         *m.Name,
		nTrain:       *m.Data.NTrain,
		nTest:        *m.Data.NTest,
		maxFlips:     *m.Config.Report.MaxFlips,
		heatmapFlips: slices.Clone(hf),
		raw:          raw,
	}, nil
}
