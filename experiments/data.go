package experiments

import (
	"os"

	"gonum.org/v1/gonum/mat"

	"flipcert/dataset"
)

// inputs are the data of a run: the training and test sets as the learners
// see them (pixels in [0,1], or the columns of a CSV or NumPy file), with
// labels 0..classes−1.
type inputs struct {
	train, test dataset.Set
	classes     int
	// images says that the rows are 28×28 grey-scale images, pixels in
	// [0, 1]: MNIST, or NumPy data of that shape.
	images bool
	// unlabeled holds every training image of the data, in file order,
	// whatever its role (attacked, held out, validation), and no test image:
	// what a label-free feature map may learn from (docs/science.md §15).
	unlabeled *mat.Dense
	// embed is what the CNN embedder (features.kind cnn) learns from: labelled
	// images the attacker does not control, and those it is scored on.
	embed embedSplit
}

// embedSplit holds the labelled images the CNN embedder trains on (never an
// attacked one, docs/science.md §2), those it is scored on (empty in
// validation mode, which never reads the test split), and what its classes
// are: MNIST digits, or the data's class indices.
type embedSplit struct {
	train, test dataset.Set
	digits      []int
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
	case "npz", "npy":
		in, err = loadNumPy(c)
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
	// Every training image of the classes, in file order: the attacked ones
	// come first, then those held out.
	all := train.Set(c.Data.Classes...)
	in := &inputs{classes: len(c.Data.Classes), unlabeled: all.X}
	in.train, _ = cut(all, train.Slice(0, train.Len()-c.Data.Holdout).Count(c.Data.Classes...))
	if in.train.Len() == 0 {
		return nil, c.fieldError("data.holdout", -1, "= %d leaves no training image of data.classes", c.Data.Holdout)
	}
	if validation {
		if err := c.splitValidation(in, "the attacked training set of these classes"); err != nil {
			return nil, err
		}
	} else {
		in.test = test.Set(c.Data.Classes...)
	}
	in.images = true
	if c.Features.Kind == "cnn" {
		embedTrain, embedTest, digits := embedderSplits(c, train, test)
		in.embed = embedSplit{train: embedTrain.Set(digits...), test: embedTest.Set(digits...), digits: digits}
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
	return in, c.splitValidation(in, c.Data.Train)
}

// splitValidation makes, in validation mode (docs/science.md §13), the last
// data.validation training points the points to certify and the rest the
// training set; what names the training set in messages.
func (c Config) splitValidation(in *inputs, what string) error {
	v := c.Data.Validation
	if v == 0 {
		return nil
	}
	n := in.train.Len()
	if v >= n {
		return c.fieldError("data.validation", -1, "= %d leaves no training point (%s has %d)", v, what, n)
	}
	in.train, in.test = cut(in.train, n-v)
	return nil
}

// cut splits a set before row i, sharing its memory; an empty part has an
// empty matrix.
func cut(s dataset.Set, i int) (head, tail dataset.Set) {
	n, d := s.X.Dims()
	rows := func(lo, hi int) dataset.Set {
		if lo == hi {
			return dataset.Set{X: &mat.Dense{}, Y: []int{}}
		}
		return dataset.Set{X: s.X.Slice(lo, hi, 0, d).(*mat.Dense), Y: s.Y[lo:hi]}
	}
	return rows(0, i), rows(i, n)
}

// loadNumPy reads NumPy data (docs/science.md §16): an .npz archive
// (data.path) or four .npy files. Rows that are 28×28 images are scaled to
// [0, 1] as MNIST's are. The last data.holdout training images are held out
// for the CNN embedder, as for MNIST; validation mode reads the training
// arrays only.
func loadNumPy(c Config) (*inputs, error) {
	validation := c.Data.Validation > 0
	var np dataset.NumPy
	var err error
	name := c.Data.Path
	if c.Data.Source == "npz" {
		read := dataset.ReadNPZ
		if validation {
			read = dataset.ReadNPZTrain
		}
		np, err = read(c.Path(c.Data.Path))
	} else {
		name = c.Data.XTrain
		files := dataset.NPYFiles{XTrain: c.Path(c.Data.XTrain), YTrain: c.Path(c.Data.YTrain)}
		if !validation {
			files.XTest, files.YTest = c.Path(c.Data.XTest), c.Path(c.Data.YTest)
		}
		np, err = dataset.ReadNPYFiles(files)
	}
	if err != nil {
		return nil, inputErrorf("data: %v", err)
	}
	in := &inputs{train: np.Train, test: np.Test, images: dataset.IsImage28(np.RowShape), unlabeled: np.Train.X}
	if in.images {
		if err := np.ScalePixels(); err != nil {
			return nil, inputErrorf("data: %s: x_train, x_test: %v", name, err)
		}
	} else if c.Features.needsImages() {
		return nil, c.fieldError("features.kind", -1, "= %s needs 28×28 grey-scale images, but the rows of %s have shape %v", c.Features.Kind, name, np.RowShape)
	}
	if in.classes, err = dataset.Classes(in.train, in.test); err != nil {
		return nil, inputErrorf("data: %s: %v", name, err)
	}
	if h := c.Data.Holdout; h > 0 {
		if h >= in.train.Len() {
			return nil, c.fieldError("data.holdout", -1, "= %d leaves no training point (%s has %d)", h, name, in.train.Len())
		}
		var held dataset.Set
		in.train, held = cut(in.train, in.train.Len()-h)
		digits := make([]int, in.classes)
		for k := range digits {
			digits[k] = k
		}
		in.embed = embedSplit{train: held, test: in.test, digits: digits}
	}
	return in, c.splitValidation(in, name)
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
		if !in.images {
			return c.fieldError("baseline.enabled", -1, "= true needs 28×28 grey-scale images (the undefended network reads them), and the data's rows are not")
		}
		for i, f := range c.Baseline.Flips {
			if f > in.train.Len() {
				return c.fieldError("baseline.flips", i, "= %d is more than the %d training labels", f, in.train.Len())
			}
		}
	}
	return nil
}
