package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is one experiment, as written in a YAML file (see configs/ and the
// README's config reference). Zero values are replaced by Default's.
type Config struct {
	Name       string     `yaml:"name" json:"name"`
	Seed       uint64     `yaml:"seed" json:"seed"`
	Data       Data       `yaml:"data" json:"data"`
	Features   Features   `yaml:"features" json:"features"`
	Ridge      Ridge      `yaml:"ridge" json:"ridge"`
	Smoothing  Smoothing  `yaml:"smoothing" json:"smoothing"`
	Analytic   Toggle     `yaml:"analytic" json:"analytic"`
	Sampler    Sampler    `yaml:"sampler" json:"sampler"`
	RidgeExact Toggle     `yaml:"ridge_exact" json:"ridge_exact"`
	DPA        DPA        `yaml:"dpa" json:"dpa"`
	Baseline   Baseline   `yaml:"baseline" json:"baseline"`
	Report     Report     `yaml:"report" json:"report"`
	dir        string     // the config file's directory: relative paths resolve against it
	lines      *yaml.Node // the parsed document, to name the line of a bad value
	file       string
}

// Data says where the training and test sets come from.
type Data struct {
	Source    string `yaml:"source" json:"source"`         // mnist | csv
	Classes   []int  `yaml:"classes" json:"classes"`       // mnist: two digits, the first is label 0
	Train     string `yaml:"train" json:"train"`           // csv: training file
	Test      string `yaml:"test" json:"test"`             // csv: test file
	MNISTDir  string `yaml:"mnist_dir" json:"mnist_dir"`   // mnist: folder of the IDX files; empty = the GoMNIST module's
	TestLimit int    `yaml:"test_limit" json:"test_limit"` // certify only the first N test points; 0 = all
}

// Features chooses the label-free feature map.
type Features struct {
	Kind      string `yaml:"kind" json:"kind"`           // pixels | pca | cnn | none
	Dim       int    `yaml:"dim" json:"dim"`             // pca components / cnn embedding width
	Intercept bool   `yaml:"intercept" json:"intercept"` // append an unpenalised constant 1
	Epochs    int    `yaml:"epochs" json:"epochs"`       // cnn: embedder training epochs
	Retrain   bool   `yaml:"retrain" json:"retrain"`     // cnn: ignore the cached embedder
}

// Ridge holds the penalties to sweep.
type Ridge struct {
	Lambda Floats `yaml:"lambda" json:"lambda"`
}

// Smoothing holds the label-flip probabilities to sweep.
type Smoothing struct {
	Q Floats `yaml:"q" json:"q"`
}

// Toggle switches a method on or off.
type Toggle struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
}

// Sampler configures the Monte Carlo certificate (docs/science.md §3).
type Sampler struct {
	Enabled bool    `yaml:"enabled" json:"enabled"`
	N0      int     `yaml:"n0" json:"n0"`
	N       int     `yaml:"n" json:"n"`
	Alpha   float64 `yaml:"alpha" json:"alpha"`
}

// DPA configures Deep Partition Aggregation (docs/science.md §9).
type DPA struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	K       Ints `yaml:"k" json:"k"`
}

// Baseline configures the undefended network under attack (docs/science.md §6).
type Baseline struct {
	Enabled bool     `yaml:"enabled" json:"enabled"`
	Attacks []string `yaml:"attacks" json:"attacks"` // random | pointwise
	Flips   Ints     `yaml:"flips" json:"flips"`
	Points  int      `yaml:"points" json:"points"` // test points evaluated under the pointwise attack
	Epochs  int      `yaml:"epochs" json:"epochs"`
	Seeds   int      `yaml:"seeds" json:"seeds"` // repetitions with seeds 1..Seeds
}

// Report configures what the results stage draws.
type Report struct {
	MaxFlips     int  `yaml:"max_flips" json:"max_flips"`
	HeatmapFlips Ints `yaml:"heatmap_flips" json:"heatmap_flips"`
}

// Floats is a YAML number or list of numbers.
type Floats []float64

// UnmarshalYAML accepts a scalar as a one-element list.
func (f *Floats) UnmarshalYAML(n *yaml.Node) error {
	return unmarshalScalarOrList(n, (*[]float64)(f))
}

// Ints is a YAML integer or list of integers.
type Ints []int

// UnmarshalYAML accepts a scalar as a one-element list.
func (v *Ints) UnmarshalYAML(n *yaml.Node) error {
	return unmarshalScalarOrList(n, (*[]int)(v))
}

func unmarshalScalarOrList[T any](n *yaml.Node, dst *[]T) error {
	if n.Kind == yaml.ScalarNode {
		var one T
		if err := n.Decode(&one); err != nil {
			return err
		}
		*dst = []T{one}
		return nil
	}
	return n.Decode(dst)
}

// Default returns the configuration that keys absent from a file take.
func Default() Config {
	return Config{
		Name:       "flipcert",
		Seed:       1,
		Data:       Data{Source: "mnist", Classes: []int{1, 7}},
		Features:   Features{Kind: "pca", Dim: 50, Intercept: true, Epochs: 3},
		Ridge:      Ridge{Lambda: Floats{3e4}},
		Smoothing:  Smoothing{Q: Floats{0.05, 0.1, 0.2, 0.4}},
		Analytic:   Toggle{Enabled: true},
		Sampler:    Sampler{Enabled: true, N0: 100, N: 10000, Alpha: 0.001},
		RidgeExact: Toggle{Enabled: true},
		DPA:        DPA{Enabled: false, K: Ints{50, 200, 1000}},
		Baseline: Baseline{
			Enabled: false,
			Attacks: []string{"random", "pointwise"},
			Flips:   Ints{0, 100, 200, 300, 400, 520, 650, 800, 1000, 1300, 1600, 2000},
			Points:  50,
			Epochs:  5,
			Seeds:   1,
		},
		Report: Report{MaxFlips: 2000, HeatmapFlips: Ints{0, 100, 500, 1000}},
	}
}

// InputError is a problem with what the user gave: a config, a data file, an
// output path. The CLI prints it as one line and exits with status 2.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// LoadConfig reads, decodes strictly and validates a YAML config file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, inputErrorf("config: %v", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return Config{}, inputErrorf("config: %v", err)
	}
	return ParseConfig(data, path, dir)
}

// ParseConfig decodes a YAML document strictly (unknown keys and wrong types
// are errors that name the line) and validates it. name labels messages; dir
// is where relative paths in the config resolve.
func ParseConfig(data []byte, name, dir string) (Config, error) {
	c := Default()
	c.file, c.dir = name, dir
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, c.yamlError(err)
	}
	if len(root.Content) == 0 {
		return Config{}, inputErrorf("%s: empty config", name)
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return Config{}, inputErrorf("%s:%d: the config must be a mapping of keys (name:, seed:, data:, …)", name, root.Content[0].Line)
	}
	c.lines = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, c.yamlError(err)
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

var (
	yamlLine     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type experiments\.\w+$`)
	quotedValue  = regexp.MustCompile("`([^`]*)`")
)

// yamlError turns go-yaml's messages into one line "file:line: what".
func (c Config) yamlError(err error) error {
	var te *yaml.TypeError
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return inputErrorf("%s: %s", c.file, msg)
	}
	line, what := m[1], m[2]
	n, _ := strconv.Atoi(line)
	if u := unknownField.FindStringSubmatch(what); u != nil {
		// The section comes from the document, not go-yaml's type name:
		// analytic and ridge_exact share one Go type.
		section, _, nested := strings.Cut(c.keyAtLine(n, ""), ".")
		if !nested {
			return inputErrorf("%s:%s: unknown key %q", c.file, line, u[1])
		}
		return inputErrorf("%s:%s: unknown key %q in %s", c.file, line, u[1], section)
	}
	value := ""
	if v := quotedValue.FindStringSubmatch(what); v != nil {
		value = v[1]
	}
	if key := c.keyAtLine(n, value); key != "" {
		return inputErrorf("%s:%s: %s: wrong type: %s", c.file, line, key, what)
	}
	return inputErrorf("%s:%s: %s", c.file, line, what)
}

// keyAtLine returns the dotted key whose value sits on line n; among several
// on one line (a flow list), the one whose value is value.
func (c Config) keyAtLine(n int, value string) string {
	var walk func(node *yaml.Node, path string) string
	walk = func(node *yaml.Node, path string) string {
		switch node.Kind {
		case yaml.DocumentNode:
			for _, ch := range node.Content {
				if k := walk(ch, path); k != "" {
					return k
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(node.Content); i += 2 {
				key, val := node.Content[i], node.Content[i+1]
				p := joinKey(path, key.Value)
				if k := walk(val, p); k != "" {
					return k
				}
				if (val.Line == n || key.Line == n) && (value == "" || val.Kind != yaml.ScalarNode || val.Value == value) {
					return p
				}
			}
		case yaml.SequenceNode:
			for i, ch := range node.Content {
				if k := walk(ch, fmt.Sprintf("%s[%d]", path, i)); k != "" {
					return k
				}
			}
		case yaml.ScalarNode:
			if node.Line == n && (value == "" || node.Value == value) {
				return path
			}
		}
		return ""
	}
	if c.lines == nil {
		return ""
	}
	return walk(c.lines, "")
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lineOf returns the line of a dotted key such as "smoothing.q" (with an
// optional list index), or 0 when the key is not in the file (a default).
func (c Config) lineOf(key string, index int) int {
	if c.lines == nil || len(c.lines.Content) == 0 {
		return 0
	}
	node := c.lines.Content[0]
	for _, part := range strings.Split(key, ".") {
		next := (*yaml.Node)(nil)
		for i := 0; node.Kind == yaml.MappingNode && i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == part {
				next = node.Content[i+1]
			}
		}
		if next == nil {
			return 0
		}
		node = next
	}
	if index >= 0 && node.Kind == yaml.SequenceNode && index < len(node.Content) {
		return node.Content[index].Line
	}
	return node.Line
}

// fieldError names a bad value by file:line when the key is in the file, and
// says it is a default otherwise.
func (c Config) fieldError(key string, index int, format string, args ...any) error {
	name := key
	if index >= 0 {
		name = fmt.Sprintf("%s[%d]", key, index)
	}
	msg := fmt.Sprintf(format, args...)
	if line := c.lineOf(key, index); line > 0 {
		return inputErrorf("%s:%d: %s %s", c.file, line, name, msg)
	}
	return inputErrorf("%s: %s %s", c.file, name, msg)
}

func (c Config) validate() error {
	if c.Name == "" || strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		return c.fieldError("name", -1, "= %q: must be a non-empty name without slashes (it names the output folder)", c.Name)
	}
	switch c.Data.Source {
	case "mnist":
		if len(c.Data.Classes) != 2 || c.Data.Classes[0] == c.Data.Classes[1] {
			return c.fieldError("data.classes", -1, "= %v: must be two distinct digits 0–9", c.Data.Classes)
		}
		for i, d := range c.Data.Classes {
			if d < 0 || d > 9 {
				return c.fieldError("data.classes", i, "= %d: must be a digit 0–9", d)
			}
		}
		if c.Features.Kind == "none" {
			return c.fieldError("features.kind", -1, "= none needs data.source: csv (MNIST pixels are not features of their own; use pixels)")
		}
	case "csv":
		if c.Data.Train == "" || c.Data.Test == "" {
			return c.fieldError("data", -1, "with source csv needs both train: and test: files")
		}
		if c.Features.Kind == "cnn" {
			return c.fieldError("features.kind", -1, "= cnn needs data.source: mnist (the embedder trains on the other digits)")
		}
	default:
		return c.fieldError("data.source", -1, "= %q: must be mnist or csv", c.Data.Source)
	}
	if c.Data.TestLimit < 0 {
		return c.fieldError("data.test_limit", -1, "= %d: must be ≥ 0 (0 = every test point)", c.Data.TestLimit)
	}
	switch c.Features.Kind {
	case "pixels", "none":
	case "pca", "cnn":
		if c.Features.Dim < 1 {
			return c.fieldError("features.dim", -1, "= %d: must be ≥ 1", c.Features.Dim)
		}
		if c.Features.Kind == "cnn" && c.Features.Epochs < 1 {
			return c.fieldError("features.epochs", -1, "= %d: must be ≥ 1", c.Features.Epochs)
		}
	default:
		return c.fieldError("features.kind", -1, "= %q: must be pixels, pca, cnn or none", c.Features.Kind)
	}
	if len(c.Ridge.Lambda) == 0 {
		return c.fieldError("ridge.lambda", -1, "is empty: give at least one λ")
	}
	for i, l := range c.Ridge.Lambda {
		if !(l >= 0) || math.IsInf(l, 0) {
			return c.fieldError("ridge.lambda", i, "= %v: must be a finite number ≥ 0", l)
		}
	}
	if err := checkDistinct(c, "ridge.lambda", c.Ridge.Lambda); err != nil {
		return err
	}
	smoothed := c.Analytic.Enabled || c.Sampler.Enabled
	if smoothed && len(c.Smoothing.Q) == 0 {
		return c.fieldError("smoothing.q", -1, "is empty: give at least one q in (0, 0.5)")
	}
	for i, q := range c.Smoothing.Q {
		if !(q > 0 && q < 0.5) {
			return c.fieldError("smoothing.q", i, "= %v: must be in (0, 0.5)", q)
		}
	}
	if err := checkDistinct(c, "smoothing.q", c.Smoothing.Q); err != nil {
		return err
	}
	if c.Sampler.Enabled {
		if c.Sampler.N0 < 1 {
			return c.fieldError("sampler.n0", -1, "= %d: must be ≥ 1", c.Sampler.N0)
		}
		if c.Sampler.N < 1 {
			return c.fieldError("sampler.n", -1, "= %d: must be ≥ 1", c.Sampler.N)
		}
		if !(c.Sampler.Alpha > 0 && c.Sampler.Alpha < 1) {
			return c.fieldError("sampler.alpha", -1, "= %v: must be in (0, 1)", c.Sampler.Alpha)
		}
	}
	if c.DPA.Enabled {
		if len(c.DPA.K) == 0 {
			return c.fieldError("dpa.k", -1, "is empty: give at least one number of partitions")
		}
		for i, k := range c.DPA.K {
			if k < 1 {
				return c.fieldError("dpa.k", i, "= %d: must be ≥ 1", k)
			}
		}
		if err := checkDistinct(c, "dpa.k", c.DPA.K); err != nil {
			return err
		}
	}
	if c.Baseline.Enabled {
		if c.Data.Source != "mnist" {
			return c.fieldError("baseline.enabled", -1, "= true needs data.source: mnist (the undefended network reads 28×28 images)")
		}
		if len(c.Baseline.Attacks) == 0 {
			return c.fieldError("baseline.attacks", -1, "is empty: give random, pointwise or both")
		}
		for i, a := range c.Baseline.Attacks {
			if a != "random" && a != "pointwise" {
				return c.fieldError("baseline.attacks", i, "= %q: must be random or pointwise", a)
			}
		}
		if err := checkDistinct(c, "baseline.attacks", c.Baseline.Attacks); err != nil {
			return err
		}
		for i, f := range c.Baseline.Flips {
			if f < 0 {
				return c.fieldError("baseline.flips", i, "= %d: must be ≥ 0", f)
			}
		}
		if err := checkDistinct(c, "baseline.flips", c.Baseline.Flips); err != nil {
			return err
		}
		if c.Baseline.Points < 1 {
			return c.fieldError("baseline.points", -1, "= %d: must be ≥ 1", c.Baseline.Points)
		}
		if c.Baseline.Epochs < 1 {
			return c.fieldError("baseline.epochs", -1, "= %d: must be ≥ 1", c.Baseline.Epochs)
		}
		if c.Baseline.Seeds < 1 {
			return c.fieldError("baseline.seeds", -1, "= %d: must be ≥ 1", c.Baseline.Seeds)
		}
	}
	if !smoothed && !c.RidgeExact.Enabled && !c.DPA.Enabled && !c.Baseline.Enabled {
		return inputErrorf("%s: every method is disabled (analytic, sampler, ridge_exact, dpa, baseline): nothing to run", c.file)
	}
	if c.Report.MaxFlips < 1 {
		return c.fieldError("report.max_flips", -1, "= %d: must be ≥ 1 (the curves run from 0 to it)", c.Report.MaxFlips)
	}
	for i, f := range c.Report.HeatmapFlips {
		if f < 0 {
			return c.fieldError("report.heatmap_flips", i, "= %d: must be ≥ 0", f)
		}
	}
	return nil
}

// checkDistinct refuses repeated sweep values: they would be two work units
// with one name.
func checkDistinct[T comparable](c Config, key string, values []T) error {
	seen := make(map[T]int)
	for i, v := range values {
		if j, ok := seen[v]; ok {
			return c.fieldError(key, i, "= %v repeats %s[%d]", v, key, j)
		}
		seen[v] = i
	}
	return nil
}

// Path resolves a path from the config against the config file's directory.
func (c Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}
