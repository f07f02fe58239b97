package attacks

import (
	"fmt"
<<<<<<< HEAD
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

func fixtureMNIST10(b *testing.B) mnist10 {
	b.Helper()
	f, err := loadMNIST10()
	if err != nil {
		b.Fatal(err)
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
// MNIST (n = 50,000) at dpaPoints test points, on 2 goroutines: "attack"
// with the rivals of Certify (NewDPAFrom), every part added and every
// outcome; "rivals" NewDPA's own vote products, which NewDPAFrom saves. The
// attack's cost grows about linearly with the test points; a run attacks
// 10,000.
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
		from := make([]int, dpaPoints)
		for i, r := range res {
			from[i] = r.Class
		}
		b.Run(fmt.Sprintf("k=%d/attack", k), func(b *testing.B) {
			scratch := make([]DPAScratch, 2)
			b.ReportAllocs()
			found := 0
			cpu := cputime.Seconds()
			for b.Loop() {
				a := NewDPAFrom(e, f.y, test, res)
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
		b.Run(fmt.Sprintf("k=%d/rivals", k), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.Seconds()
			for b.Loop() {
				NewDPA(e, f.y, test, from)
			}
			b.ReportMetric((cputime.Seconds()-cpu)*1e3/float64(b.N*dpaPoints), "cpu-ms/point")
=======
	"testing"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/features"
	"flipcert/internal/cputime"
	"flipcert/internal/mnisttest"
	"flipcert/radius"
	"flipcert/ridge"
	"flipcert/whitebox"
)

// ridge10 is ridge on PCA-50 features of full MNIST plus the intercept (the
// first 50,000 training images in ten classes, λ = 3·10⁴; the components
// fitted on the first 10,000 of them, which costs a fifth of fitting them on
// all), with the kernel vectors of the first test points.
type ridge10 struct {
	y     []int
	alpha *mat.Dense
	errs  []float64
}

// ridge10Points is how many test points the full-MNIST fixture holds.
const ridge10Points = 200

var ridge10Cache *ridge10

// loadRidge10 builds the full-MNIST fixture once per test binary (a few
// seconds: the PCA, the fit and the kernel vectors).
func loadRidge10(tb testing.TB) ridge10 {
	tb.Helper()
	if ridge10Cache != nil {
		return *ridge10Cache
	}
	digits := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	x, y := mnisttest.Digits(tb, false, 50000, digits...)
	tx, _ := mnisttest.Digits(tb, true, ridge10Points, digits...)
	pca, err := features.FitPCA(x.Slice(0, 10000, 0, 784).(*mat.Dense), 50)
	if err != nil {
		tb.Fatal(err)
	}
	model, err := ridge.NewDesign(features.WithIntercept(pca.Transform(x)), true).Fit(3e4)
	if err != nil {
		tb.Fatal(err)
	}
	test := features.WithIntercept(pca.Transform(tx))
	m, _ := test.Dims()
	r := ridge10{y: y, alpha: mat.NewDense(m, len(y), nil), errs: make([]float64, m)}
	model.Kernel(r.alpha, test, r.errs)
	ridge10Cache = &r
	return r
}

func (r ridge10) point(i int) RidgePoint {
	return RidgePoint{Alpha: r.alpha.RawRowView(i), Y: r.y, Classes: 10, AlphaErr: r.errs[i]}
}

// mnist10Q are the noise levels of the full-MNIST benchmarks: those of
// configs/mnist10.yaml and a large one.
var mnist10Q = []float64{0.001, 0.0125, 0.05, 0.4}

// attackCase is the clean analytic certificate of a point and the radius a
// run passes the attack: the larger of the Neyman-Pearson and white-box radii.
type attackCase struct {
	cert   analytic.Certificate
	np, wb int
}

func (c attackCase) radius() int { return max(c.np, c.wb) }

// attackCases certifies the points of r at q as a run does.
func attackCases(tb testing.TB, points int, classes int, q float64, point func(int) RidgePoint) []attackCase {
	tb.Helper()
	p0 := point(0)
	tab, err := radius.NewTable(q, classes, len(p0.Y))
	if err != nil {
		tb.Fatal(err)
	}
	var cz analytic.Certifier
	var wz whitebox.Certifier
	cases := make([]attackCase, points)
	for i := range cases {
		p := point(i)
		cert := cz.Certify(p.Alpha, p.Y, classes, q, p.AlphaErr)
		cases[i] = attackCase{cert: cert, np: -1, wb: -1}
		if !cert.Abstain() {
			cases[i].np = tab.Radius(cert.LogEps)
			cases[i].wb = wz.Radius(p.Alpha, p.Y, classes, q, p.AlphaErr, cert.Class)
		}
	}
	return cases
}

// BenchmarkSmoothedMNIST10 times the smoothed attack on the full-MNIST
// fixture at each q, given the clean certificate and the larger radius as a
// run passes them, and reports the wall and CPU milliseconds per point and
// the probes spent.
func BenchmarkSmoothedMNIST10(b *testing.B) {
	r := loadRidge10(b)
	for _, q := range mnist10Q {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := attackCases(b, ridge10Points, 10, q, r.point)
			var a Attacker
			b.ReportAllocs()
			probes, flips := 0, 0
			cpu := cputime.Seconds()
			for b.Loop() {
				for i, c := range cases {
					out, _ := a.Smoothed(r.point(i), q, c.cert.Class, c.radius())
					probes += out.Probes
					flips += out.Flips
				}
			}
			per := float64(b.N * ridge10Points)
			b.ReportMetric(b.Elapsed().Seconds()*1e3/per, "ms/point")
			b.ReportMetric((cputime.Seconds()-cpu)*1e3/per, "cpu-ms/point")
			b.ReportMetric(float64(probes)/per, "probes/point")
			b.ReportMetric(float64(flips)/per, "flips/point")
		})
	}
}

// BenchmarkSampledMNIST10 times the sampled verification of the smoothed
// attack's outcome on the full-MNIST fixture (alpha = 0.001, as the runs
// take it), the Smoothed call made just before as a run makes it, and
// reports the CPU milliseconds per point of the two together and the
// samples drawn.
func BenchmarkSampledMNIST10(b *testing.B) {
	r := loadRidge10(b)
	for _, q := range []float64{0.0125, 0.05} {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := attackCases(b, ridge10Points, 10, q, r.point)
			cfg := Sampling{Alpha: 0.001, Seed: 1, Purpose: "bench"}
			var a Attacker
			b.ReportAllocs()
			samples, proven := 0, 0
			cpu := cputime.Seconds()
			for b.Loop() {
				for i, c := range cases {
					out, _ := a.Smoothed(r.point(i), q, c.cert.Class, c.radius())
					v := a.Sampled(r.point(i), q, out, cfg, i)
					samples += v.Probes
					if v.Proven {
						proven++
					}
				}
			}
			per := float64(b.N * ridge10Points)
			b.ReportMetric((cputime.Seconds()-cpu)*1e3/per, "cpu-ms/point")
			b.ReportMetric(float64(samples)/per, "samples/point")
			b.ReportMetric(float64(proven)/per, "proven")
		})
	}
}

// BenchmarkCertificatesMNIST10 times, on the same fixture, what a run
// computes at each point and q beside the attack: the analytic certificate
// and the white-box radius, for comparison with BenchmarkSmoothedMNIST10.
func BenchmarkCertificatesMNIST10(b *testing.B) {
	r := loadRidge10(b)
	for _, q := range mnist10Q {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			var cz analytic.Certifier
			var wz whitebox.Certifier
			classes := make([]int, ridge10Points)
			var analyticCPU, whiteCPU float64
			for b.Loop() {
				cpu := cputime.Seconds()
				for i := range ridge10Points {
					p := r.point(i)
					classes[i] = cz.Certify(p.Alpha, p.Y, 10, q, p.AlphaErr).Class
				}
				mid := cputime.Seconds()
				for i := range ridge10Points {
					p := r.point(i)
					wz.Radius(p.Alpha, p.Y, 10, q, p.AlphaErr, classes[i])
				}
				analyticCPU += mid - cpu
				whiteCPU += cputime.Seconds() - mid
			}
			per := float64(b.N * ridge10Points)
			b.ReportMetric(analyticCPU*1e3/per, "analytic-cpu-ms/point")
			b.ReportMetric(whiteCPU*1e3/per, "whitebox-cpu-ms/point")
>>>>>>> attackspeed
		})
	}
}
