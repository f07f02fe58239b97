package experiments

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseConfigDefaultsAndLists(t *testing.T) {
	c, err := ParseConfig([]byte("name: x\nridge: {lambda: 5}\nsmoothing: {q: [0.1, 0.2]}\n"), "x.yaml", "/cfg")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Ridge.Lambda) != 1 || c.Ridge.Lambda[0] != 5 {
		t.Errorf("lambda %v, want [5]", c.Ridge.Lambda)
	}
	if len(c.Smoothing.Q) != 2 || !slices.Equal(c.Sampler.N, Default().Sampler.N) || c.Data.Source != "mnist" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if got := c.Path("data/train.csv"); got != "/cfg/data/train.csv" {
		t.Errorf("relative path resolves to %q", got)
	}
	if got := c.Path("/abs/t.csv"); got != "/abs/t.csv" {
		t.Errorf("absolute path became %q", got)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", "name: x\nsmoothing:\n  qq: [0.1]\n", `c.yaml:3: unknown key "qq" in smoothing`},
		{"unknown top key", "name: x\nsede: 3\n", `c.yaml:2: unknown key "sede"`},
		{"unknown key in a toggle", "name: x\nridge_exact: {enable: true}\n", `c.yaml:2: unknown key "enable" in ridge_exact`},
		{"wrong type", "name: x\nsmoothing:\n  q: [0.1, abc]\n", "c.yaml:3: smoothing.q[1]: wrong type"},
		{"wrong type scalar", "name: x\nsampler: {n: many}\n", "c.yaml:2: sampler.n: wrong type"},
		{"q too big", "name: x\nsmoothing:\n  q: [0.1,\n      0.7]\n", "c.yaml:4: smoothing.q[1] = 0.7: must be in (0, 1/2) for 2 classes"},
		{"q zero", "name: x\nsmoothing: {q: 0}\n", "smoothing.q[0] = 0: must be in (0, 1/2)"},
		{"q half", "smoothing: {q: 0.5}\n", "must be in (0, 1/2)"},
		{"q for three classes", "data: {classes: [3, 5, 8]}\nsmoothing: {q: [0.5, 0.7]}\n", "c.yaml:2: smoothing.q[1] = 0.7: must be in (0, 2/3) for 3 classes"},
		// Below the smallest normal float64 log q is off by up to 35 nats: q = 5e-324 once certified a flip.
		{"q subnormal", "smoothing: {q: [0.1, 5e-324]}\n", "smoothing.q[1] = 5e-324: must be at least 2.2250738585072014e-308 for 2 classes"},
		// q/(K−1) underflowed to a subnormal (or 0) once panicked with "log ε is NaN".
		{"q per class subnormal", "data: {classes: [3, 5, 8]}\nsmoothing: {q: 3e-308}\n", "smoothing.q[0] = 3e-308: must be at least 4.450147717014403e-308 for 3 classes"},
		{"sampler q not swept", "smoothing: {q: [0.1, 0.2]}\nsampler: {q: [0.1, 0.3]}\n", "sampler.q[1] = 0.3 is not one of smoothing.q [0.1 0.2]"},
		{"n not increasing", "sampler: {n: [1000, 100]}\n", "sampler.n[1] = 100: the list must increase"},
		{"flow mapping culprit", "sampler: {enabled: true, n0: [1, 2]}\n", "c.yaml:1: sampler.n0: wrong type"},
		{"all digits cnn", "data: {classes: all}\nfeatures: {kind: cnn}\n", "features.kind = cnn with all ten digits needs data.holdout"},
		{"holdout csv", "data: {source: csv, train: a, test: b, holdout: 5}\nfeatures: {kind: none}\n", "data.holdout = 5 needs data.source mnist, npz or npy"},
		{"validation negative", "data: {validation: -1}\n", "data.validation = -1: must be ≥ 0"},
		{"lambda negative", "ridge:\n  lambda: [1, -2]\n", "c.yaml:2: ridge.lambda[1] = -2: must be a finite number ≥ 0"},
		{"lambda repeated", "ridge:\n  lambda: [1, 1]\n", "ridge.lambda[1] = 1 repeats ridge.lambda[0]"},
		{"n zero", "sampler: {n: 0}\n", "c.yaml:1: sampler.n = 0: must be ≥ 1"},
		{"n0 negative", "sampler: {n0: -5}\n", "sampler.n0 = -5: must be ≥ 1"},
		{"alpha one", "sampler: {alpha: 1}\n", "sampler.alpha = 1: must be in (0, 1)"},
		{"alpha zero", "sampler: {alpha: 0}\n", "sampler.alpha = 0: must be in (0, 1)"},
		{"one class", "data: {classes: [1]}\n", "data.classes = [1]: must be at least two distinct digits"},
		{"same classes", "data: {classes: [7, 7]}\n", "data.classes[1] = 7 repeats data.classes[0]"},
		{"class 12", "data: {classes: [1, 12]}\n", "data.classes[1] = 12: must be a digit"},
		{"source", "data: {source: imagenet}\n", `data.source = "imagenet": must be mnist, csv, npz or npy`},
		{"npz without path", "data: {source: npz}\nfeatures: {kind: none}\n", "with source npz needs path:"},
		{"npy without y_test", "data: {source: npy, x_train: a, y_train: b, x_test: c}\nfeatures: {kind: none}\n", "with source npy needs y_test:"},
		{"npz with npy keys", "data: {source: npz, path: a.npz, x_train: b.npy}\nfeatures: {kind: none}\n", "data.source = npz does not read x_train"},
		{"cnn npz without holdout", "data: {source: npz, path: a.npz}\nfeatures: {kind: cnn}\n", "features.kind = cnn on data.source npz needs data.holdout"},
		{"csv without files", "data: {source: csv}\nfeatures: {kind: none}\n", "needs both train: and test:"},
		{"kind", "features: {kind: fourier}\n", `features.kind = "fourier"`},
		{"pca dim", "features: {kind: pca, dim: 0}\n", "features.dim = 0: must be ≥ 1"},
		{"dpa k", "dpa: {enabled: true, k: [10, 0]}\n", "dpa.k[1] = 0: must be ≥ 1"},
		{"attack", "baseline: {enabled: true, attacks: [random, gradient]}\n", `baseline.attacks[1] = "gradient"`},
		{"nothing enabled", "analytic: {enabled: false}\nwhitebox: {enabled: false}\nsampler: {enabled: false}\nridge_exact: {enabled: false}\n", "nothing to run"},
		{"name with slash", "name: a/b\n", "name = \"a/b\""},
		{"not a mapping", "- 1\n- 2\n", "must be a mapping"},
		{"empty", "", "empty config"},
		{"max flips", "report: {max_flips: 0}\n", "report.max_flips = 0: must be ≥ 1"},
		{"syntax", "name: [x\n", "c.yaml:"},
	} {
		_, err := ParseConfig([]byte(tc.yaml), "c.yaml", "/")
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an InputError", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %q, want one line containing %q", tc.name, err, tc.want)
		}
	}
}

// TestHopelessSamplerIsRefused: sampler.n = 1e15 would sample for years; it is
// refused after loading the data, with the estimate, before any unit runs.
func TestHopelessSamplerIsRefused(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	c.Sampler.N = Ints{1000, 1e15}
	out := filepath.Join(dir, "out")
	_, err := Run(c, Options{Out: out})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "sampler.n asks for about") || !strings.Contains(err.Error(), "days of sampling") {
		t.Fatalf("err = %v, want an InputError with a time estimate", err)
	}
	if n, _ := filepath.Glob(filepath.Join(out, "units", "*.csv")); len(n) > 0 {
		t.Fatalf("%d units written before the refusal", len(n))
	}
}

// TestLimitsTheDataCannotMeet: a baseline budget above the training-set size,
// a test_limit above the test set, and validation or held-out splits that
// leave no training point are refused after loading, before any unit, naming
// the key.
func TestLimitsTheDataCannotMeet(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"baseline: {enabled: true, flips: [0, 20000]}\n", "baseline.flips[1] = 20000 is more than the 13007 training labels"},
		{"data: {test_limit: 5000}\n", "data.test_limit = 5000, but the test set has 2163 points"},
		{"data: {validation: 13007}\n", "data.validation = 13007 leaves no training point (the attacked training set of these classes has 13007)"},
		{"data: {holdout: 60000}\n", "data.holdout = 60000 leaves no training image (MNIST has 60000)"},
	} {
		c, err := ParseConfig([]byte("name: limits\n"+tc.yaml), "c.yaml", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		_, err = Run(c, Options{Out: out})
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want an InputError with %q", err, tc.want)
		}
		if n, _ := filepath.Glob(filepath.Join(out, "units", "*.csv")); len(n) > 0 {
			t.Errorf("%d units written before the refusal", len(n))
		}
	}
}
