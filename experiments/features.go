package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/atomicfile"
	"flipcert/dataset"
	"flipcert/features"
	"flipcert/progress"
	"flipcert/radius"
	"flipcert/ridge"
	"flipcert/tables"
)

// prepared holds everything the certificate units share: features, one ridge
// fit per λ and one radius table per q.
type prepared struct {
	*inputs
	trainF, testF *mat.Dense
	intercept     bool // the features' last column is the unpenalised constant 1
	models        map[float64]*ridge.Model
	radii         map[float64]*radius.Table // q → the radius table of docs/science.md §5, §8
	smoothingQ    []float64                 // the config's q, in its order
	block         int                       // test points per block of kernel vectors
}

// smoothedRow is the row of a smoothed certificate at noise level q.
func (p *prepared) smoothedRow(cert analytic.Certificate, q float64) point {
	return smoothedPoint(cert.Class, cert.Abstain(), cert.LogEps, p.radii[q])
}

// embed maps the training and test inputs to their label-free features
// (docs/science.md §2), before the intercept column, and describes the
// embedder it trained or read from the cache (nil for other kinds).
func embed(c Config, in *inputs, env runEnv) (train, test *mat.Dense, info *EmbedderInfo, err error) {
	switch c.Features.Kind {
	case "pca":
		stage := env.progress.Start("features pca", 1)
		pca, err := features.FitPCA(in.train.X, c.Features.Dim)
		if err != nil {
			return nil, nil, nil, inputErrorf("features: %v", err)
		}
		train, test = pca.Transform(in.train.X), pca.Transform(in.test.X)
		stage.Add(1)
		env.stageDone("features pca", stage.Finish())
		return train, test, nil, nil
	case "cnn": // cnnFeatures reports its own stages: training and embedding
		return cnnFeatures(c, in, env)
	case "contrastive":
		return contrastiveFeatures(c, in, env)
	}
	return in.train.X, in.test.X, nil, nil // pixels, none
}

// FeatureSets computes the feature matrices a run of c certifies on, before the
// intercept column, with the labels: the training set and the points
// certified (the test set, or the validation split). It trains the embedder
// or reads it from the cache as a run would, reporting to p (nil for none).
func FeatureSets(c Config, p *progress.Reporter) (train, test dataset.Set, err error) {
	in, err := loadInputs(c)
	if err != nil {
		return train, test, err
	}
	var stages []tables.Stage
	trainF, testF, _, err := embed(c, in, runEnv{progress: p, stages: &stages})
	if err != nil {
		return train, test, err
	}
	return dataset.Set{X: trainF, Y: in.train.Y}, dataset.Set{X: testF, Y: in.test.Y}, nil
}

// EmbedderInfo describes the embedder a run used (features.kind cnn or
// contrastive).
type EmbedderInfo struct {
	Kind    string `json:"kind"`              // cnn (trained on labelled images) or contrastive (label-free)
	Digits  []int  `json:"digits,omitempty"`  // cnn: the digits it learnt, labelled by position
	Holdout int    `json:"holdout,omitempty"` // cnn: 0 when it trained on the digits not certified
	Images  int    `json:"images"`            // training images
	Epochs  int    `json:"epochs"`
	// Losses is a contrastive encoder's mean training loss per epoch.
	Losses []float64 `json:"losses,omitempty"`
	// TestAccuracy is its accuracy on the test split's images of Digits;
	// absent in validation mode, which never reads the test split.
	TestAccuracy *float64 `json:"test_accuracy,omitempty"`
	Cache        string   `json:"cache"`
	Trained      bool     `json:"trained"`
	// Features is the file beside the cached model that keeps its
	// embedding of this run's images.
	Features string `json:"features_cache"`
}

// prepare computes the features and fits every λ before any unit runs, so a
// singular λ is reported at once rather than after hours of work.
func prepare(c Config, in *inputs, env runEnv) (*prepared, error) {
	p := &prepared{inputs: in, intercept: c.Features.Intercept, models: make(map[float64]*ridge.Model),
		radii: make(map[float64]*radius.Table), smoothingQ: c.Smoothing.Q, block: kernelBlock}
	var info *EmbedderInfo
	var err error
	if p.trainF, p.testF, info, err = embed(c, in, env); err != nil {
		return nil, err
	}
	if info != nil {
		if err := writeEmbedderInfo(env.out, info); err != nil {
			return nil, err
		}
	}
	if c.Features.Intercept {
		p.trainF, p.testF = features.WithIntercept(p.trainF), features.WithIntercept(p.testF)
	}
	stage := env.progress.Start("ridge Gram matrix", 1)
	design := ridge.NewDesign(p.trainF, c.Features.Intercept)
	stage.Add(1)
	env.stageDone("ridge Gram matrix", stage.Finish())
	for i, l := range c.Ridge.Lambda {
		start := time.Now()
		m, err := design.Fit(l)
		env.stageDone("ridge fit λ="+tables.FormatFloat(l), time.Since(start))
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
		p.radii[q] = t
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
