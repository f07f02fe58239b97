package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"flipcert/radius"

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
	Whitebox   Toggle     `yaml:"whitebox" json:"whitebox"`
	Sampler    Sampler    `yaml:"sampler" json:"sampler"`
	RidgeExact Toggle     `yaml:"ridge_exact" json:"ridge_exact"`
	DPA        DPA        `yaml:"dpa" json:"dpa"`
	Attack     Toggle     `yaml:"attack" json:"attack"`
	Baseline   Baseline   `yaml:"baseline" json:"baseline"`
	Report     Report     `yaml:"report" json:"report"`
	dir        string     // the config file's directory: relative paths resolve against it
	lines      *yaml.Node // the parsed document, to name the line of a bad value
	file       string
}

// Data says where the training and test sets come from.
type Data struct {
	Source  string `yaml:"source" json:"source"`   // mnist | csv | npz | npy
	Classes Digits `yaml:"classes" json:"classes"` // mnist: K ≥ 2 distinct digits, label = position; `all` = 0..9
	Train   string `yaml:"train" json:"train"`     // csv: training file
	Test    string `yaml:"test" json:"test"`       // csv: test file
	// Path is the .npz archive of source npz, holding x_train, y_train,
	// x_test and y_test (docs/science.md §16).
	Path string `yaml:"path" json:"path,omitempty"`
	// XTrain, YTrain, XTest and YTest are the four .npy files of source npy.
	XTrain string `yaml:"x_train" json:"x_train,omitempty"`
	YTrain string `yaml:"y_train" json:"y_train,omitempty"`
	XTest  string `yaml:"x_test" json:"x_test,omitempty"`
	YTest  string `yaml:"y_test" json:"y_test,omitempty"`
	// MNISTDir is the folder of the four IDX files; empty means the
	// FLIPCERT_MNIST_DIR environment variable, else the GoMNIST module's.
	MNISTDir  string `yaml:"mnist_dir" json:"mnist_dir"`
	TestLimit int    `yaml:"test_limit" json:"test_limit"` // certify only the first N test points; 0 = all
	// Holdout keeps the last N MNIST training images out of the attacked
	// training set: the CNN embedder trains on them (0 = it trains on the
	// digits not in Classes instead).
	Holdout int `yaml:"holdout" json:"holdout"`
	// Validation certifies the last N images of the attacked training set
	// against a ridge fitted on the rest, instead of the test set, which is
	// then never read (0 = certify the test set).
	Validation int `yaml:"validation" json:"validation"`
}

// Digits is data.classes: a list of digits, or `all` for 0..9.
type Digits []int

// UnmarshalYAML accepts `all`, one digit or a list.
func (d *Digits) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "all" {
		*d = Digits{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		return nil
	}
	return unmarshalScalarOrList(n, (*[]int)(d))
}

// Features chooses the label-free feature map.
type Features struct {
	Kind      string `yaml:"kind" json:"kind"`           // pixels | pca | cnn | contrastive | none (csv and npz/npy features as they are)
	Dim       int    `yaml:"dim" json:"dim"`             // pca components / cnn embedding width
	Intercept bool   `yaml:"intercept" json:"intercept"` // append an unpenalised constant 1
	Epochs    int    `yaml:"epochs" json:"epochs"`       // cnn, contrastive: training epochs
	Retrain   bool   `yaml:"retrain" json:"retrain"`     // cnn, contrastive: ignore the cached embedder
	// The label-free encoder of kind contrastive (docs/science.md §15):
	// filters of its first convolution, images per mini-batch, the
	// temperature τ of its loss and Adam's learning rate.
	Channels     int     `yaml:"channels" json:"channels"`
	Batch        int     `yaml:"batch" json:"batch"`
	Temperature  float64 `yaml:"temperature" json:"temperature"`
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
}

// needsImages reports whether the feature map reads 28×28 images.
func (f Features) needsImages() bool { return f.Kind == "cnn" || f.Kind == "contrastive" }

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
	Enabled bool `yaml:"enabled" json:"enabled"`
	N0      int  `yaml:"n0" json:"n0"`
	// N is the number of estimation samples, or an increasing list of them:
	// the samples are nested, so the list costs what its largest N costs.
	N     Ints    `yaml:"n" json:"n"`
	Alpha float64 `yaml:"alpha" json:"alpha"`
	// Q lists the noise levels to sample at, each one of smoothing.q; empty
	// means all of them. Sampling costs far more than the analytic
	// certificate, so large runs sample at a few.
	Q Floats `yaml:"q" json:"q"`
}

// sampledQ returns the noise levels the sampled certificate runs at.
func (c Config) sampledQ() []float64 {
	if len(c.Sampler.Q) > 0 {
		return c.Sampler.Q
	}
	return c.Smoothing.Q
}

// DPA configures Deep Partition Aggregation (docs/science.md §9).
type DPA struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Parts lists the numbers of partitions, k in the DPA paper and in the
	// config (dpa.k); K is the number of classes everywhere else.
	Parts Ints `yaml:"k" json:"k"`
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
		Data:       Data{Source: "mnist", Classes: Digits{1, 7}},
		Features:   Features{Kind: "pca", Dim: 50, Intercept: true, Epochs: 3, Channels: 10, Batch: 128, Temperature: 0.1, LearningRate: 0.001},
		Ridge:      Ridge{Lambda: Floats{3e4}},
		Smoothing:  Smoothing{Q: Floats{0.05, 0.1, 0.2, 0.4}},
		Analytic:   Toggle{Enabled: true},
		Whitebox:   Toggle{Enabled: true},
		Sampler:    Sampler{Enabled: true, N0: 100, N: Ints{10000}, Alpha: 0.001, Q: Floats{}},
		RidgeExact: Toggle{Enabled: true},
		DPA:        DPA{Enabled: false, Parts: Ints{50, 200, 1000}},
		Attack:     Toggle{Enabled: true},
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
	yamlTag      = regexp.MustCompile(`cannot unmarshal (!!\w+)`)
)

// valueMatch picks a value node on a line: by its text, by its tag, or
// (both empty) the first.
type valueMatch struct{ value, tag string }

func (m valueMatch) matches(n *yaml.Node) bool {
	return (m.value == "" || n.Kind == yaml.ScalarNode && n.Value == m.value) && (m.tag == "" || n.ShortTag() == m.tag)
}

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
		section, _, nested := strings.Cut(c.keyAtLine(n, valueMatch{}), ".")
		if !nested {
			return inputErrorf("%s:%s: unknown key %q", c.file, line, u[1])
		}
		return inputErrorf("%s:%s: unknown key %q in %s", c.file, line, u[1], section)
	}
	// Several keys can share a line (a flow mapping such as {enabled: true,
	// n0: [1, 2]}): the culprit is the one whose value go-yaml quotes, or
	// else whose value has the node tag it names (!!seq, !!map, …).
	var want valueMatch
	if v := quotedValue.FindStringSubmatch(what); v != nil {
		want.value = v[1]
	}
	if t := yamlTag.FindStringSubmatch(what); t != nil {
		want.tag = t[1]
	}
	if key := c.keyAtLine(n, want); key != "" {
		return inputErrorf("%s:%s: %s: wrong type: %s", c.file, line, key, what)
	}
	return inputErrorf("%s:%s: %s", c.file, line, what)
}

// keyAtLine returns the dotted key whose value sits on line n; among several
// on one line (a flow list or mapping), the one whose value matches want.
func (c Config) keyAtLine(n int, want valueMatch) string {
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
				if (val.Line == n || key.Line == n) && want.matches(val) {
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
			if node.Line == n && want.matches(node) {
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

// validate checks every section, in file order, and returns the first problem.
func (c Config) validate() error {
	for _, check := range []func() error{
		c.validateName, c.validateData, c.validateFeatures, c.validateRidge, c.validateSmoothing,
		c.validateSampler, c.validateDPA, c.validateBaseline, c.validateMethods, c.validateReport,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateName() error {
	if c.Name == "" || strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		return c.fieldError("name", -1, "= %q: must be a non-empty name without slashes (it names the output folder)", c.Name)
	}
	return nil
}

func (c Config) validateData() error {
	d := c.Data
	switch d.Source {
	case "mnist":
		if len(d.Classes) < 2 {
			return c.fieldError("data.classes", -1, "= %v: must be at least two distinct digits 0–9, or all", d.Classes)
		}
		for i, digit := range d.Classes {
			if digit < 0 || digit > 9 {
				return c.fieldError("data.classes", i, "= %d: must be a digit 0–9", digit)
			}
		}
		if err := checkDistinct(c, "data.classes", d.Classes); err != nil {
			return err
		}
		if c.Features.Kind == "none" {
			return c.fieldError("features.kind", -1, "= none needs data.source csv, npz or npy (MNIST pixels are not features of their own; use pixels)")
		}
	case "csv":
		if d.Train == "" || d.Test == "" {
			return c.fieldError("data", -1, "with source csv needs both train: and test: files")
		}
		if c.Features.needsImages() {
			return c.fieldError("features.kind", -1, "= %s needs images: data.source mnist, npz or npy (csv rows are features)", c.Features.Kind)
		}
		if d.Holdout != 0 {
			return c.fieldError("data.holdout", -1, "= %d needs data.source mnist, npz or npy (csv features come ready-made)", d.Holdout)
		}
	case "npz":
		if d.Path == "" {
			return c.fieldError("data", -1, "with source npz needs path: an .npz archive holding x_train, y_train, x_test and y_test")
		}
	case "npy":
		files := []struct{ key, v string }{{"x_train", d.XTrain}, {"y_train", d.YTrain}, {"x_test", d.XTest}, {"y_test", d.YTest}}
		if d.Validation > 0 {
			files = files[:2] // validation mode reads no test array
		}
		for _, f := range files {
			if f.v == "" {
				return c.fieldError("data", -1, "with source npy needs %s: the .npy file of that array", f.key)
			}
		}
	default:
		return c.fieldError("data.source", -1, "= %q: must be mnist, csv, npz or npy", d.Source)
	}
	if c.Features.Kind == "cnn" && d.Source != "mnist" && d.Holdout == 0 {
		return c.fieldError("features.kind", -1, "= %s on data.source %s needs data.holdout: the embedder learns from labelled images the attacker does not control", c.Features.Kind, d.Source)
	}
	if d.Source != "npy" && d.XTrain+d.YTrain+d.XTest+d.YTest != "" {
		return c.fieldError("data.source", -1, "= %s does not read x_train, y_train, x_test or y_test files (source npy does)", d.Source)
	}
	if d.Source != "npz" && d.Path != "" {
		return c.fieldError("data.path", -1, "is for source npz, not %s", d.Source)
	}
	for _, f := range []struct {
		key string
		v   int
	}{{"data.test_limit", d.TestLimit}, {"data.holdout", d.Holdout}, {"data.validation", d.Validation}} {
		if f.v < 0 {
			return c.fieldError(f.key, -1, "= %d: must be ≥ 0", f.v)
		}
	}
	return nil
}

func (c Config) validateFeatures() error {
	f := c.Features
	switch f.Kind {
	case "pixels", "none":
		return nil
	case "pca", "cnn", "contrastive":
		if f.Dim < 1 {
			return c.fieldError("features.dim", -1, "= %d: must be ≥ 1", f.Dim)
		}
	default:
		return c.fieldError("features.kind", -1, "= %q: must be pixels, pca, cnn, contrastive or none", f.Kind)
	}
	if f.Kind == "pca" {
		return nil
	}
	if f.Epochs < 1 {
		return c.fieldError("features.epochs", -1, "= %d: must be ≥ 1", f.Epochs)
	}
	if f.Kind == "cnn" {
		if c.Data.Source == "mnist" && c.Data.Holdout == 0 && len(c.Data.Classes) == 10 {
			return c.fieldError("features.kind", -1, "= cnn with all ten digits needs data.holdout: the embedder must train on images the attacker does not control, and no digit is left over (or use contrastive, which needs no label)")
		}
		return nil
	}
	switch {
	case f.Channels < 1:
		return c.fieldError("features.channels", -1, "= %d: must be ≥ 1", f.Channels)
	case f.Batch < 2:
		return c.fieldError("features.batch", -1, "= %d: must be ≥ 2 (an image is contrasted with the others of its batch)", f.Batch)
	case !(f.Temperature > 0) || math.IsInf(f.Temperature, 0):
		return c.fieldError("features.temperature", -1, "= %v: must be a finite number > 0", f.Temperature)
	case !(f.LearningRate > 0) || math.IsInf(f.LearningRate, 0):
		return c.fieldError("features.learning_rate", -1, "= %v: must be a finite number > 0", f.LearningRate)
	}
	return nil
}

func (c Config) validateRidge() error {
	if len(c.Ridge.Lambda) == 0 {
		return c.fieldError("ridge.lambda", -1, "is empty: give at least one λ")
	}
	for i, l := range c.Ridge.Lambda {
		if !(l >= 0) || math.IsInf(l, 0) {
			return c.fieldError("ridge.lambda", i, "= %v: must be a finite number ≥ 0", l)
		}
	}
	return checkDistinct(c, "ridge.lambda", c.Ridge.Lambda)
}

// checkMinQ refuses a noise level whose per-class part q/(K−1) is not a
// normal float64 (radius.MinQ): its logarithm would not be sound.
func (c Config) checkMinQ(i int, q float64, classes int) error {
	if q < radius.MinQ(classes) {
		return c.fieldError("smoothing.q", i, "= %v: must be at least %v for %d classes (q/(K−1) below 2⁻¹⁰²², the smallest normal float64, has no sound logarithm)", q, radius.MinQ(classes), classes)
	}
	return nil
}

// maxQ is the largest noise level the config's classes allow, (K−1)/K
// (docs/science.md §8); csv data, whose K is known only once read, is checked
// again after loading.
func (c Config) maxQ() (float64, string) {
	if c.Data.Source == "mnist" {
		k := len(c.Data.Classes)
		return float64(k-1) / float64(k), fmt.Sprintf("(0, %d/%d) for %d classes", k-1, k, k)
	}
	return 1, "(0, (K−1)/K) for K classes"
}

func (c Config) validateSmoothing() error {
	if (c.Analytic.Enabled || c.Whitebox.Enabled || c.Sampler.Enabled) && len(c.Smoothing.Q) == 0 {
		return c.fieldError("smoothing.q", -1, "is empty: give at least one q")
	}
	hi, interval := c.maxQ()
	for i, q := range c.Smoothing.Q {
		if !(q > 0 && q < hi) {
			return c.fieldError("smoothing.q", i, "= %v: must be in %s", q, interval)
		}
		if c.Data.Source == "mnist" {
			if err := c.checkMinQ(i, q, len(c.Data.Classes)); err != nil {
				return err
			}
		}
	}
	return checkDistinct(c, "smoothing.q", c.Smoothing.Q)
}

func (c Config) validateSampler() error {
	s := c.Sampler
	if !s.Enabled {
		return nil
	}
	if s.N0 < 1 {
		return c.fieldError("sampler.n0", -1, "= %d: must be ≥ 1", s.N0)
	}
	if len(s.N) == 0 {
		return c.fieldError("sampler.n", -1, "is empty: give a number of samples or an increasing list of them")
	}
	for i, n := range s.N {
		if n < 1 {
			if len(s.N) == 1 {
				i = -1
			}
			return c.fieldError("sampler.n", i, "= %d: must be ≥ 1", n)
		}
		if i > 0 && n <= s.N[i-1] {
			return c.fieldError("sampler.n", i, "= %d: the list must increase (the samples of a smaller N are the first of a larger one's)", n)
		}
	}
	if !(s.Alpha > 0 && s.Alpha < 1) {
		return c.fieldError("sampler.alpha", -1, "= %v: must be in (0, 1)", s.Alpha)
	}
	for i, q := range s.Q {
		if !slices.Contains(c.Smoothing.Q, q) {
			return c.fieldError("sampler.q", i, "= %v is not one of smoothing.q %v", q, []float64(c.Smoothing.Q))
		}
	}
	return checkDistinct(c, "sampler.q", s.Q)
}

func (c Config) validateDPA() error {
	if !c.DPA.Enabled {
		return nil
	}
	if len(c.DPA.Parts) == 0 {
		return c.fieldError("dpa.k", -1, "is empty: give at least one number of partitions")
	}
	for i, k := range c.DPA.Parts {
		if k < 1 {
			return c.fieldError("dpa.k", i, "= %d: must be ≥ 1", k)
		}
	}
	return checkDistinct(c, "dpa.k", c.DPA.Parts)
}

func (c Config) validateBaseline() error {
	b := c.Baseline
	if !b.Enabled {
		return nil
	}
	if c.Data.Source == "csv" {
		return c.fieldError("baseline.enabled", -1, "= true needs images: data.source mnist, npz or npy (the undefended network reads 28×28 images)")
	}
	if len(b.Attacks) == 0 {
		return c.fieldError("baseline.attacks", -1, "is empty: give random, pointwise or both")
	}
	for i, a := range b.Attacks {
		if a != "random" && a != "pointwise" {
			return c.fieldError("baseline.attacks", i, "= %q: must be random or pointwise", a)
		}
	}
	if err := checkDistinct(c, "baseline.attacks", b.Attacks); err != nil {
		return err
	}
	for i, f := range b.Flips {
		if f < 0 {
			return c.fieldError("baseline.flips", i, "= %d: must be ≥ 0", f)
		}
	}
	if err := checkDistinct(c, "baseline.flips", b.Flips); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		v   int
	}{{"baseline.points", b.Points}, {"baseline.epochs", b.Epochs}, {"baseline.seeds", b.Seeds}} {
		if f.v < 1 {
			return c.fieldError(f.key, -1, "= %d: must be ≥ 1", f.v)
		}
	}
	return nil
}

func (c Config) validateMethods() error {
	if !c.Analytic.Enabled && !c.Whitebox.Enabled && !c.Sampler.Enabled && !c.RidgeExact.Enabled && !c.DPA.Enabled && !c.Baseline.Enabled {
		return inputErrorf("%s: every method is disabled (analytic, whitebox, sampler, ridge_exact, dpa, baseline): nothing to run", c.file)
	}
	return nil
}

func (c Config) validateReport() error {
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
