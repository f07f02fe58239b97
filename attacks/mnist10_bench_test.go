package attacks

import (
	"fmt"
	"sync"
	"testing"

	"flipcert/dataset"
	"flipcert/dpa"
	"flipcert/exact"
	"flipcert/features"
	"flipcert/internal/cputime"
	"flipcert/parallel"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// mnist10 is full MNIST at the size of the ten-class runs: the first 50,000
// training images with their digits as labels, and the first test images.
// The features are the images' 4×4-pooled pixels (49 sums in [0, 16]) plus
// the intercept: label-free and cheap to form, unlike the runs' CNN
// embedding, and with kernel vectors of the same kind (ridge at λ = 3·10⁴
// certifies a median radius of about 350 of 50,000 labels). alpha holds the
// kernel vectors of the first mnist10Points test points.
type mnist10 struct {
	phi, test *mat.Dense
	y         []int
	alpha     *mat.Dense
	errs      []float64
}

// mnist10Points is the number of test points whose kernel vectors the
// benchmarks use: 128 × 50,000 float64 is 51 MB. A run certifies 10,000.
const mnist10Points = 128

var loadMNIST10 = sync.OnceValues(func() (mnist10, error) {
	train, test, err := dataset.LoadModuleMNIST()
	if err != nil {
		return mnist10{}, err
	}
	digits := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	x, y := train.Slice(0, 50000).Select(0, digits...)
	tx, _ := test.Select(0, digits...)
	phi, tphi := features.WithIntercept(pool4(x)), features.WithIntercept(pool4(tx))
	model, err := ridge.NewDesign(phi, true).Fit(3e4)
	if err != nil {
		return mnist10{}, err
	}
	n, d := phi.Dims()
	alpha := mat.NewDense(mnist10Points, n, nil)
	errs := make([]float64, mnist10Points)
	model.Kernel(alpha, tphi.Slice(0, mnist10Points, 0, d).(*mat.Dense), errs)
	return mnist10{phi: phi, test: tphi, y: y, alpha: alpha, errs: errs}, nil
})

// pool4 sums each 4×4 block of 28×28 images (one per row of x).
func pool4(x *mat.Dense) *mat.Dense {
	n, _ := x.Dims()
	out := mat.NewDense(n, 49, nil)
	for i := range n {
		img, o := x.RawRowView(i), out.RawRowView(i)
		for r := range 28 {
			for c := range 28 {
				o[(r/4)*7+c/4] += img[r*28+c]
			}
		}
	}
	return out
}

func fixtureMNIST10(tb testing.TB) mnist10 {
	tb.Helper()
	f, err := loadMNIST10()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f mnist10) point(i int) RidgePoint {
	return RidgePoint{Alpha: f.alpha.RawRowView(i), Y: f.y, Classes: 10, AlphaErr: f.errs[i]}
}

// perPointRival reports CPU seconds per test point and ns per test point and
// rival (nine rivals at K = 10); a run's 10,000 points cost 10⁴ times the
// first.
func perPointRival(b *testing.B, points int, cpu float64) {
	per := cpu / float64(b.N*points)
	b.ReportMetric(per*1e3, "cpu-ms/point")
	b.ReportMetric(per*1e9/9, "cpu-ns/point×rival")
}

// BenchmarkRidgeExactMNIST10 times the exact certificate of the ten-class
// ridge classifier and its attack per test point on full MNIST (n = 50,000).
func BenchmarkRidgeExactMNIST10(b *testing.B) {
	f := fixtureMNIST10(b)
	b.Run("certificate", func(b *testing.B) {
		var c exact.Certifier
		b.ReportAllocs()
		cpu := cputime.Seconds()
		for b.Loop() {
			for i := range mnist10Points {
				p := f.point(i)
				c.Certify(p.Alpha, p.Y, p.Classes, p.AlphaErr)
			}
		}
		perPointRival(b, mnist10Points, cputime.Seconds()-cpu)
	})
	b.Run("attack", func(b *testing.B) {
		var a Attacker
		b.ReportAllocs()
		cpu := cputime.Seconds()
		for b.Loop() {
			for i := range mnist10Points {
				a.RidgeExact(f.point(i))
			}
		}
		perPointRival(b, mnist10Points, cputime.Seconds()-cpu)
	})
	// Both as a run computes them: the attack reuses the certificate's
	// passes over α.
	b.Run("certificate+attack", func(b *testing.B) {
		var c exact.Certifier
		var a Attacker
		b.ReportAllocs()
		cpu := cputime.Seconds()
		for b.Loop() {
			for i := range mnist10Points {
				p := f.point(i)
				c.Certify(p.Alpha, p.Y, p.Classes, p.AlphaErr)
				a.RidgeExactAfter(p, &c)
			}
		}
		perPointRival(b, mnist10Points, cputime.Seconds()-cpu)
	})
}

// dpaPoints is the number of test points of the DPA benchmarks: a part's
// fixed costs are shared by every test point, so they need more than
// mnist10Points to weigh as in a run of 10,000.
const dpaPoints = 1000

// BenchmarkDPAMNIST10 times the DPA attack of a ten-class ensemble on full
// MNIST (n = 50,000) at dpaPoints test points, on 2 goroutines, every part
// added and every outcome. The attack's cost grows about linearly with the
// test points; a run attacks 10,000.
func BenchmarkDPAMNIST10(b *testing.B) {
	f := fixtureMNIST10(b)
	_, d := f.test.Dims()
	test := f.test.Slice(0, dpaPoints, 0, d).(*mat.Dense)
	for _, k := range []int{1000, 3000} {
		e, err := dpa.Fit(f.phi, f.y, 10, dpa.Partition(f.phi, k), k, 3e4/float64(k), true)
		if err != nil {
			b.Fatal(err)
		}
		res := e.Certify(test)
		b.Run(fmt.Sprintf("k=%d/attack", k), func(b *testing.B) {
			scratch := make([]DPAScratch, 2)
			b.ReportAllocs()
			found := 0
			cpu := cputime.Seconds()
			for b.Loop() {
				a := NewDPA(e, f.y, test, res)
				parallel.For(k, 2, func(w, j int) { a.AddPart(j, &scratch[w]) })
				for i := range dpaPoints {
					if a.Outcome(i).Flips >= 0 {
						found++
					}
				}
			}
			b.ReportMetric((cputime.Seconds()-cpu)*1e3/float64(b.N*dpaPoints), "cpu-ms/point")
			b.ReportMetric(float64(found)/float64(b.N*dpaPoints), "found")
		})
	}
}
