package experiments

import (
	"os"

	"gonum.org/v1/gonum/mat"

	"flipcert/dataset"
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
		if err := c.checkMinQ(i, q, k); err != nil {
			return err
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
