package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"flipcert/atomicfile"

	"flipcert/dataset"
	"flipcert/features"
	"flipcert/radius"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// inputs are the data of a run: the training and test sets as the learners
// see them (pixels in [0,1], or the CSV's columns).
type inputs struct {
	train, test dataset.Set
	mnistTrain  dataset.Digits // mnist only: every training digit, for the embedder
	mnistTest   dataset.Digits
}

// loadInputs reads the data the config names. Missing or malformed files are
// input errors.
func loadInputs(c Config) (*inputs, error) {
	in := &inputs{}
	switch c.Data.Source {
	case "mnist":
		dir := c.Path(c.Data.MNISTDir)
		if dir == "" {
			var err error
			if dir, err = dataset.MNISTDir(); err != nil {
				return nil, err
			}
		}
		train, test, err := dataset.LoadMNIST(dir)
		if err != nil {
			return nil, inputErrorf("data: %v", err)
		}
		a, b := c.Data.Classes[0], c.Data.Classes[1]
		in.train, in.test = train.Pair(a, b), test.Pair(a, b)
		in.mnistTrain, in.mnistTest = train, test
	case "csv":
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
	}
	if l := c.Data.TestLimit; l > 0 && l < in.test.Len() {
		in.test = dataset.Set{X: in.test.X.Slice(0, l, 0, in.test.X.RawMatrix().Cols).(*mat.Dense), Y: in.test.Y[:l]}
	}
	return in, nil
}

// prepared holds everything the certificate units share: features, one ridge
// fit per λ and one radius table per q.
type prepared struct {
	*inputs
	trainF, testF *mat.Dense
	models        map[float64]*ridge.Model
	tables        map[float64]*radius.Table
}

// EmbedderInfo describes the CNN embedder a run used (features.kind: cnn).
type EmbedderInfo struct {
	Digits       []int   `json:"digits"`
	Epochs       int     `json:"epochs"`
	TestAccuracy float64 `json:"test_accuracy"`
	Cache        string  `json:"cache"`
	Trained      bool    `json:"trained"`
}

// prepare computes the features and fits every λ before any unit runs, so a
// singular λ is reported at once rather than after hours of work.
func prepare(c Config, in *inputs, env runEnv) (*prepared, error) {
	p := &prepared{inputs: in, models: make(map[float64]*ridge.Model), tables: make(map[float64]*radius.Table)}
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
		t, err := radius.NewTable(q, n)
		if err != nil {
			return nil, fmt.Errorf("radius table for q = %v: %w", q, err)
		}
		p.tables[q] = t
	}
	return p, nil
}

// embedderFile keeps the embedder's description beside the units, so that a
// resumed run that skips the features stage still reports it.
const embedderFile = "embedder.json"

func writeEmbedderInfo(out string, info *EmbedderInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, unitsDir, embedderFile), append(data, '\n'))
}

func readEmbedderInfo(out string) *EmbedderInfo {
	data, err := os.ReadFile(filepath.Join(out, unitsDir, embedderFile))
	if err != nil {
		return nil
	}
	var info EmbedderInfo
	if json.Unmarshal(data, &info) != nil {
		return nil
	}
	return &info
}
