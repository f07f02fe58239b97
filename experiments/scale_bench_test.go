package experiments

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"flipcert/dataset"
	"flipcert/tables"
)

// scaleSizes are the sizes of BenchmarkScale: small enough by default for
// CI's single run of every benchmark; FLIPCERT_SCALE=full gives the size of a
// CIFAR-10 embedding (n = 50,000 training rows, m = 10,000 test rows, K = 10
// classes, d = 2,048 features), FLIPCERT_SCALE=full512 the same with d = 512.
func scaleSizes() (n, m, d int) {
	switch os.Getenv("FLIPCERT_SCALE") {
	case "full":
		return 50000, 10000, 2048
	case "full512":
		return 50000, 10000, 512
	}
	return 3000, 300, 128
}

// writeScaleNPZ writes a synthetic embedding as an .npz archive: ten class
// means on a sphere in d dimensions and unit Gaussian noise around them,
// float64 rows, from a fixed seed.
func writeScaleNPZ(b *testing.B, path string, n, m, d int) {
	rng := rand.New(rand.NewPCG(2026, 12))
	const classes = 10
	means := make([][]float64, classes)
	for c := range means {
		means[c] = make([]float64, d)
		for j := range means[c] {
			means[c][j] = 3 * rng.NormFloat64() / 8
		}
	}
	set := func(rows int) dataset.Set {
		x := mat.NewDense(rows, d, nil)
		y := make([]int, rows)
		for i := range rows {
			y[i] = i % classes
			row := x.RawRowView(i)
			for j := range row {
				row[j] = means[y[i]][j] + rng.NormFloat64()
			}
		}
		return dataset.Set{X: x, Y: y}
	}
	if err := dataset.WriteNPZ(path, map[string]dataset.Set{"train": set(n), "test": set(m)}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScale runs a whole K = 10 run on a synthetic embedding read from
// an .npz archive: the analytic certificate at one q, ridge-exact and their
// attacks, one λ. It reports the seconds of each stage of the manifest (the
// Gram matrix, the fit, the kernel vectors, each certificate, the attacks).
// See scaleSizes for the sizes.
func BenchmarkScale(b *testing.B) {
	n, m, d := scaleSizes()
	dir := b.TempDir()
	writeScaleNPZ(b, filepath.Join(dir, "scale.npz"), n, m, d)
	yaml := fmt.Sprintf("name: scale\ndata: {source: npz, path: scale.npz}\nfeatures: {kind: none, intercept: true}\n"+
		"ridge: {lambda: %d}\nsmoothing: {q: 0.05}\nsampler: {enabled: false}\n", n)
	c, err := ParseConfig([]byte(yaml), "scale.yaml", dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, "out"+strconv.Itoa(i))
		if _, err := Run(c, Options{Out: out}); err != nil {
			b.Fatal(err)
		}
		man, _, err := tables.ReadManifest(filepath.Join(out, tables.ManifestFile))
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range man.Stages {
			name := strings.NewReplacer(" ", "_", "λ=", "", ":", "").Replace(st.Name)
			b.ReportMetric(st.Seconds, name+"-s")
		}
	}
}
