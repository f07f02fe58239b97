package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"flipcert/atomicfile"
	"flipcert/tables"

	"flipcert/dataset"
	"flipcert/features"
	"flipcert/radius"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// inputs are the data of a run: the training and test sets as the learners
// see them (pixels in [0,1], or the CSV's columns), with labels 0..classes−1.
type inputs struct {
	train, test dataset.Set
	classes     int
	// mnist only: the images the CNN embedder may train on and those it is
	// scored on (the latter empty in validation mode, which never reads the
	// test split), with the digits it learns.
	embedTrain, embedTest dataset.Digits
	embedDigits           []int
}

// MNISTDirEnv names the environment variable that points runs at a folder
// of the four MNIST files when data.mnist_dir is empty (clusters, binaries
// without a Go module cache).
const MNISTDirEnv = "FLIPCERT_MNIST_DIR"

// loadInputs reads the data the config names and checks what only the data
// can tell (sizes, classes). Missing or malformed files are input errors.
func loadInputs(c Config) (*inputs, error) {
	var in *inputs
	var err error
	switch c.Data.Source {
	case "mnist":
		in, err = loadMNIST(c)
	case "csv":
		in, err = loadCSV(c)
	}
	if err != nil {
		return nil, err
	}
	if l := c.Data.TestLimit; l > 0 {
		if l > in.test.Len() {
			return nil, c.fieldError("data.test_limit", -1, "= %d, but the %s has %d points", l, in.testName(c), in.test.Len())
		}
		in.test = dataset.Set{X: in.test.X.Slice(0, l, 0, in.test.X.RawMatrix().Cols).(*mat.Dense), Y: in.test.Y[:l]}
	}
	return in, c.checkData(in)
}

// testName says what the points being certified are.
func (in *inputs) testName(c Config) string {
	if c.Data.Validation > 0 {
		return "validation split"
	}
	return "test set"
}

// mnistDir is the folder of the MNIST files: data.mnist_dir, else
// $FLIPCERT_MNIST_DIR, else the GoMNIST module's.
func mnistDir(c Config) (string, error) {
	if d := c.Path(c.Data.MNISTDir); d != "" {
		return d, nil
	}
	if d := os.Getenv(MNISTDirEnv); d != "" {
		return d, nil
	}
	d, err := dataset.MNISTDir()
	if err != nil {
		return "", inputErrorf("data: %v, or set %s", err, MNISTDirEnv)
	}
	return d, nil
}

// loadMNIST splits MNIST as the config says (docs/science.md §13): the last
// data.holdout training images are held out for the embedder, the rest of
// the training split is the attacked training set, and the points certified
// are the test split's images of the classes, or in validation mode the last
// data.validation images of the attacked set (the test split is not read).
func loadMNIST(c Config) (*inputs, error) {
	dir, err := mnistDir(c)
	if err != nil {
		return nil, err
	}
	validation := c.Data.Validation > 0
	var train, test dataset.Digits
	if validation {
		train, err = dataset.LoadMNISTTrain(dir)
	} else {
		train, test, err = dataset.LoadMNIST(dir)
	}
	if err != nil {
		return nil, inputErrorf("data: %v", err)
	}
	if h := c.Data.Holdout; h >= train.Len() {
		return nil, c.fieldError("data.holdout", -1, "= %d leaves no training image (MNIST has %d)", h, train.Len())
	}
	attacked := train.Slice(0, train.Len()-c.Data.Holdout)
	in := &inputs{classes: len(c.Data.Classes)}
	in.train = attacked.Set(c.Data.Classes...)
	if validation {
		n := in.train.Len()
		if v := c.Data.Validation; v >= n {
			return nil, c.fieldError("data.validation", -1, "= %d leaves no training point (the attacked training set of these classes has %d)", v, n)
		}
		d := in.train.X.RawMatrix().Cols
		cut := n - c.Data.Validation
		in.test = dataset.Set{X: in.train.X.Slice(cut, n, 0, d).(*mat.Dense), Y: in.train.Y[cut:]}
		in.train = dataset.Set{X: in.train.X.Slice(0, cut, 0, d).(*mat.Dense), Y: in.train.Y[:cut]}
	} else {
		in.test = test.Set(c.Data.Classes...)
	}
	if c.Features.Kind == "cnn" {
		in.embedTrain, in.embedTest, in.embedDigits = embedderSplits(c, train, test)
	}
	return in, nil
}

func loadCSV(c Config) (*inputs, error) {
	in := &inputs{}
	var trainNames, testNames []string
	var err error
	if in.train, trainNames, err = dataset.ReadCSVFile(c.Path(c.Data.Train)); err != nil {
		return nil, inputErrorf("data.train: %v", err)
	}
	if in.test, testNames, err = dataset.ReadCSVFile(c.Path(c.Data.Test)); err != nil {
		return nil, inputErrorf("data.test: %v", err)
	}
	if len(trainNames) != len(testNames) {
		return nil, inputErrorf("data: %s has %d feature columns but %s has %d",
			c.Data.Train, len(trainNames), c.Data.Test, len(testNames))
	}
	for j := range trainNames {
		if trainNames[j] != testNames[j] {
			return nil, inputErrorf("data: feature column %d is %q in %s but %q in %s",
				j+1, trainNames[j], c.Data.Train, testNames[j], c.Data.Test)
		}
	}
	if in.classes, err = dataset.Classes(in.train, in.test); err != nil {
		return nil, inputErrorf("data: %s and %s: %v", c.Data.Train, c.Data.Test, err)
	}
	if v := c.Data.Validation; v > 0 {
		n, d := in.train.Len(), len(trainNames)
		if v >= n {
			return nil, c.fieldError("data.validation", -1, "= %d leaves no training point (%s has %d)", v, c.Data.Train, n)
		}
		cut := n - v
		in.test = dataset.Set{X: in.train.X.Slice(cut, n, 0, d).(*mat.Dense), Y: in.train.Y[cut:]}
		in.train = dataset.Set{X: in.train.X.Slice(0, cut, 0, d).(*mat.Dense), Y: in.train.Y[:cut]}
	}
	return in, nil
}

// checkData refuses, before any work starts, what the config asks of data
// that cannot give it: a noise level too large for the number of classes, a
// baseline budget above the training-set size, a class without training
// points.
func (c Config) checkData(in *inputs) error {
	k := in.classes
	for i, q := range c.Smoothing.Q {
		if !(q < float64(k-1)/float64(k)) {
			return c.fieldError("smoothing.q", i, "= %v: must be in (0, %d/%d) for the %d classes of the data", q, k-1, k, k)
		}
	}
	count := make([]int, k)
	for _, y := range in.train.Y {
		count[y]++
	}
	for class, n := range count {
		if n == 0 {
			return inputErrorf("data: class %d has no training point", class)
		}
	}
	if err := c.checkSamplerCost(in); err != nil {
		return err
	}
	if c.Baseline.Enabled {
		for i, f := range c.Baseline.Flips {
			if f > in.train.Len() {
				return c.fieldError("baseline.flips", i, "= %d is more than the %d training labels", f, in.train.Len())
			}
		}
	}
	return nil
}

// prepared holds everything the certificate units share: features, one ridge
// fit per λ and one radius table per q.
type prepared struct {
	*inputs
	trainF, testF *mat.Dense
	models        map[float64]*ridge.Model
	tables        map[float64]*radius.Table
	smoothingQ    []float64 // the config's q, in its order
	block         int       // test points per block of kernel vectors
}

// EmbedderInfo describes the CNN embedder a run used (features.kind: cnn).
type EmbedderInfo struct {
	Digits  []int `json:"digits"`  // the digits it learnt, labelled by position
	Holdout int   `json:"holdout"` // 0: it trained on the digits not certified
	Images  int   `json:"images"`  // training images
	Epochs  int   `json:"epochs"`
	// TestAccuracy is its accuracy on the test split's images of Digits;
	// absent in validation mode, which never reads the test split.
	TestAccuracy *float64 `json:"test_accuracy,omitempty"`
	Cache        string   `json:"cache"`
	Trained      bool     `json:"trained"`
}

// prepare computes the features and fits every λ before any unit runs, so a
// singular λ is reported at once rather than after hours of work.
func prepare(c Config, in *inputs, env runEnv) (*prepared, error) {
	p := &prepared{inputs: in, models: make(map[float64]*ridge.Model), tables: make(map[float64]*radius.Table), smoothingQ: c.Smoothing.Q, block: kernelBlock}
	switch c.Features.Kind {
	case "pixels", "none":
		p.trainF, p.testF = in.train.X, in.test.X
	case "pca":
		stage := env.progress.Start("features pca", 1)
		pca, err := features.FitPCA(in.train.X, c.Features.Dim)
		if err != nil {
			return nil, inputErrorf("features: %v", err)
		}
		p.trainF, p.testF = pca.Transform(in.train.X), pca.Transform(in.test.X)
		stage.Add(1)
		env.stageDone("features pca", stage.Finish())
	case "cnn": // cnnFeatures reports its own stages: training and embedding
		var info *EmbedderInfo
		var err error
		if p.trainF, p.testF, info, err = cnnFeatures(c, in, env); err != nil {
			return nil, err
		}
		if err := writeEmbedderInfo(env.out, info); err != nil {
			return nil, err
		}
	}
	if c.Features.Intercept {
		p.trainF, p.testF = features.WithIntercept(p.trainF), features.WithIntercept(p.testF)
	}
	design := ridge.NewDesign(p.trainF, c.Features.Intercept)
	for i, l := range c.Ridge.Lambda {
		m, err := design.Fit(l)
		if errors.Is(err, ridge.ErrSingular) { // singular, or too ill-conditioned to trust α
			return nil, c.fieldError("ridge.lambda", i, "= %v with features.kind %s: %v; use a larger λ", l, c.Features.Kind, err)
		}
		if err != nil {
			return nil, err
		}
		p.models[l] = m
	}
	n := in.train.Len()
	for _, q := range c.Smoothing.Q {
		t, err := radius.NewTable(q, in.classes, n)
		if err != nil {
			return nil, fmt.Errorf("radius table for q = %v: %w", q, err)
		}
		p.tables[q] = t
	}
	return p, nil
}

// maxSamplerDays is the longest sampling a config may ask for: beyond it the
// run is almost surely a typo (sampler.n = 1e12), refused with the estimate.
const maxSamplerDays = 7

// nsPerSampleOp is the measured cost of one operation of a label sample
// (flip update, solve, scores) on one core, rounded up.
const nsPerSampleOp = 0.5

// checkSamplerCost estimates the sampled certificate's time from the sizes
// (docs/science.md §3: a sample costs about q·n·d + d² + m·d·K operations)
// and refuses a config that would sample for more than maxSamplerDays.
func (c Config) checkSamplerCost(in *inputs) error {
	if !c.Sampler.Enabled {
		return nil
	}
	n, m := float64(in.train.Len()), float64(in.test.Len())
	d := float64(c.featureDim(in) + 1)
	scores := float64(in.classes)
	if in.classes == 2 {
		scores = 1 // one score decides two classes
	}
	samples := float64(c.Sampler.N0) + float64(c.Sampler.N[len(c.Sampler.N)-1])
	var ops float64
	for _, q := range c.sampledQ() {
		ops += samples * (q*n*d + d*d + m*d*scores)
	}
	ops *= float64(len(c.Ridge.Lambda))
	cores := runtime.GOMAXPROCS(0)
	days := ops * nsPerSampleOp * 1e-9 / float64(cores) / 86400
	if days > maxSamplerDays {
		return c.fieldError("sampler.n", -1, "asks for about %.2g days of sampling on %d cores (%.3g samples × %d q × %d λ on n = %d, m = %d, d = %d); lower it",
			days, cores, samples, len(c.sampledQ()), len(c.Ridge.Lambda), in.train.Len(), in.test.Len(), int(d))
	}
	return nil
}

// featureDim is the width of the features the learners see, before the
// intercept.
func (c Config) featureDim(in *inputs) int {
	switch c.Features.Kind {
	case "pca", "cnn":
		return c.Features.Dim
	}
	return in.train.X.RawMatrix().Cols
}

// embedderFile keeps the embedder's description beside the units, so that a
// resumed run that skips the features stage still reports it.
const embedderFile = "embedder.json"

func writeEmbedderInfo(out string, info *EmbedderInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, tables.UnitsDir, embedderFile), append(data, '\n'))
}

func readEmbedderInfo(out string) *EmbedderInfo {
	data, err := os.ReadFile(filepath.Join(out, tables.UnitsDir, embedderFile))
	if err != nil {
		return nil
	}
	var info EmbedderInfo
	if json.Unmarshal(data, &info) != nil {
		return nil
	}
	return &info
}
