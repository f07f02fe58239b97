package whitebox_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/features"
	"flipcert/internal/mnisttest"
	"flipcert/ridge"
	"flipcert/whitebox"
)

// equalKernel draws a kernel vector of one of several shapes: Gaussian
// weights, heavy-tailed ones, dyadic ones with exact ties and zeros, and
// weights scaled to the edges of float64 (subnormal and near 2¹⁰⁰⁰, where
// the buckets of |α| meet the ends of the exponent range).
func equalKernel(rng *rand.Rand, n, classes, shape int) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	major := rng.IntN(classes)
	lean := 0.4 + 0.6*rng.Float64()
	for i := range n {
		switch shape {
		case 0:
			alpha[i] = (1 + 2*rng.NormFloat64()) / float64(n)
		case 1:
			alpha[i] = (1 + rng.NormFloat64()) / float64(n)
			if rng.IntN(50) == 0 {
				alpha[i] *= 40 * rng.ExpFloat64()
			}
		case 2:
			alpha[i] = float64(rng.IntN(7)-1) / float64(4*n)
		case 3:
			alpha[i] = math.Ldexp((1+rng.NormFloat64())/float64(n), -1040)
		default:
			alpha[i] = math.Ldexp((1+rng.NormFloat64())/float64(n), 1000)
		}
		y[i] = rng.IntN(classes)
		if rng.Float64() < lean {
			y[i] = major
		}
	}
	return alpha, y
}

// sameWhite certifies with cz and the reference and fails unless the radius
// and the bounds at the radius, one further (with further) and at r agree
// bit for bit.
func sameWhite(t *testing.T, cz *whitebox.Certifier, ref *refCertifier, alpha []float64, y []int, classes int, q, alphaErr float64, class, r int, further bool, what string) int {
	t.Helper()
	got := cz.Radius(alpha, y, classes, q, alphaErr, class)
	want := ref.Radius(alpha, y, classes, q, alphaErr, class)
	if got != want {
		t.Fatalf("%s (K = %d, n = %d, q = %g, E = %g, class %d): radius %d, the reference %d", what, classes, len(alpha), q, alphaErr, class, got, want)
	}
	dst, refDst := make([]float64, classes), make([]float64, classes)
	ats := []int{max(got, 0), r}
	if further {
		ats = append(ats, got+1)
	}
	for _, at := range ats {
		for _, d := range [][2][]float64{{nil, nil}, {dst, refDst}} {
			u, v := cz.LogBounds(d[0], alpha, y, classes, q, alphaErr, class, at), ref.LogBounds(d[1], alpha, y, classes, q, alphaErr, class, at)
			if math.Float64bits(u) != math.Float64bits(v) || !slices.Equal(d[0], d[1]) {
				t.Fatalf("%s (K = %d, n = %d, q = %g, E = %g, class %d): bounds at %d are %v (%v), the reference's %v (%v)", what, classes, len(alpha), q, alphaErr, class, at, u, d[0], v, d[1])
			}
		}
	}
	return got
}

// TestEqualsReference holds the certifier to the reference (the white-box
// certificate as it was written before it was made faster) on random and
// adversarial problems: two, three and ten classes; Gaussian, heavy-tailed,
// tied and extreme weights with zeros; q from below the certificate's
// limit to near (K−1)/K; kernel errors from none to ones that make a rival
// trivial; the analytic certificate's class and others; the default
// Negligible and 10, as the smoothed attack sets it.
func TestEqualsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	var cz whitebox.Certifier
	var ref refCertifier
	trials := 600
	if testing.Short() {
		trials = 150
	}
	certified := 0
	for trial := range trials {
		classes := []int{2, 3, 10}[trial%3]
		n := []int{8, 60, 500, 3000}[rng.IntN(4)]
		alpha, y := equalKernel(rng, n, classes, rng.IntN(5))
		hi := float64(classes-1) / float64(classes)
		q := []float64{1e-160, 1e-6, 0.01, 0.1, 0.3, hi * 0.999}[rng.IntN(6)]
		alphaErr := []float64{0, 0, 0, 1e-12, 1e-12, 1e-4, 1e-4, 0.3}[rng.IntN(8)]
		class := analytic.Certify(alpha, y, classes, q, alphaErr).Class
		if rng.IntN(6) == 0 {
			class = rng.IntN(classes)
		}
		cz.Negligible = []float64{0, 10}[rng.IntN(2)]
		ref.Negligible = cz.Negligible
		if sameWhite(t, &cz, &ref, alpha, y, classes, q, alphaErr, class, rng.IntN(n+1), true, "random") >= 0 {
			certified++
		}
	}
	t.Logf("%d of %d certified", certified, trials)
	if certified < trials/4 {
		t.Fatalf("only %d of %d certified: the cases do not exercise the search", certified, trials)
	}
}

// TestEqualsReferenceMNIST holds the certifier to the reference on MNIST
// test points: the ten digits (ridge on PCA-50 features, fitted on the first
// 10,000 of 50,000 training images, and the intercept, λ = 3·10⁴) at the q
// of configs/mnist10.yaml and 0.4, and digits 1 and 7 on the same features
// at the q of configs/mnist17.yaml's range.
func TestEqualsReferenceMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("the MNIST fixtures take seconds to build")
	}
	var cz whitebox.Certifier
	var ref refCertifier
	check := func(name string, x *mat.Dense, y []int, test *mat.Dense, classes int, qs []float64) {
		model, err := ridge.NewDesign(x, true).Fit(3e4)
		if err != nil {
			t.Fatal(err)
		}
		points, _ := test.Dims()
		alpha := mat.NewDense(points, len(y), nil)
		errs := make([]float64, points)
		model.Kernel(alpha, test, errs)
		for _, q := range qs {
			for i := range points {
				a := alpha.RawRowView(i)
				class := analytic.Certify(a, y, classes, q, errs[i]).Class
				sameWhite(t, &cz, &ref, a, y, classes, q, errs[i], class, 0, false, name)
			}
		}
	}
	digits := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	x, y := mnisttest.Digits(t, false, 50000, digits...)
	tx, ty := mnisttest.Digits(t, true, 200, digits...)
	pca, err := features.FitPCA(x.Slice(0, 10000, 0, 784).(*mat.Dense), 50)
	if err != nil {
		t.Fatal(err)
	}
	phi, test := features.WithIntercept(pca.Transform(x)), features.WithIntercept(pca.Transform(tx))
	check("MNIST", phi, y, test.Slice(0, 12, 0, 51).(*mat.Dense), 10, []float64{0.001, 0.0125, 0.05, 0.4})
	// Digits 1 and 7 as labels 0 and 1, as configs/mnist17.yaml takes them.
	pick := func(phi *mat.Dense, y []int, most int) (*mat.Dense, []int) {
		var rows []int
		for i, d := range y {
			if (d == 1 || d == 7) && len(rows) < most {
				rows = append(rows, i)
			}
		}
		out, labels := mat.NewDense(len(rows), 51, nil), make([]int, len(rows))
		for r, i := range rows {
			out.SetRow(r, phi.RawRowView(i))
			labels[r] = y[i] / 7
		}
		return out, labels
	}
	phi17, y17 := pick(phi, y, len(y))
	test17, _ := pick(test, ty, 32)
	check("MNIST 1/7", phi17, y17, test17, 2, []float64{0.001, 0.05, 0.4})
}
