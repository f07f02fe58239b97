package whitebox_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/exact"
	"flipcert/features"
	"flipcert/internal/cputime"
	"flipcert/internal/mnisttest"
	"flipcert/parallel"
	"flipcert/radius"
	"flipcert/ridge"
	"flipcert/whitebox"
)

// kernelBlock is the block of test points whose kernel vectors are formed at
// once, as in a run.
const kernelBlock = 256

// BenchmarkRadiusMNIST17 certifies every MNIST 1/7 test point (PCA-50 ridge
// at λ = 3·10⁴, n = 13,007, 2,163 test points; mnisttest.Ridge17) on two
// goroutines at each q, the way a run would: kernel vectors by blocks of
// 256, the analytic certificate and its Neyman-Pearson radius, and the
// white-box radius. It reports the CPU seconds of the white-box radii alone
// (a pass without them is timed and subtracted) and their half, the wall time
// on two cores, and the median radii: Neyman-Pearson, white-box, the larger
// of the two (what a run reports) and the unsmoothed ridge classifier's
// exact radius, and the certified accuracy at 500 flips (correct and
// certified at least that far) with the Neyman-Pearson radius and the
// larger one.
func BenchmarkRadiusMNIST17(b *testing.B) {
	model, y, test := mnisttest.Ridge17(b)
	_, truth := mnisttest.Digits(b, true, 0, 1, 7)
	n := len(y)
	m, d := test.Dims()
	for _, q := range []float64{0.001, 0.05, 0.4} {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			tab, err := radius.NewTable(q, 2, n)
			if err != nil {
				b.Fatal(err)
			}
			const workers = 2
			np, wb, ex, class := make([]int, m), make([]int, m), make([]int, m), make([]int, m)
			pass := func(white, unsmoothed bool) {
				certifiers := make([]analytic.Certifier, workers)
				whites := make([]whitebox.Certifier, workers)
				exacts := make([]exact.Certifier, workers)
				buf := mat.NewDense(kernelBlock, n, nil)
				errs := make([]float64, kernelBlock)
				for lo := 0; lo < m; lo += kernelBlock {
					hi := min(lo+kernelBlock, m)
					alpha := buf.Slice(0, hi-lo, 0, n).(*mat.Dense)
					model.Kernel(alpha, test.Slice(lo, hi, 0, d).(*mat.Dense), errs[:hi-lo])
					parallel.For(hi-lo, workers, func(w, i int) {
						a := alpha.RawRowView(i)
						cert := certifiers[w].Certify(a, y, 2, q, errs[i])
						class[lo+i], np[lo+i] = cert.Class, -1
						if !cert.Abstain() {
							np[lo+i] = tab.Radius(cert.LogEps)
						}
						if white {
							wb[lo+i] = whites[w].Radius(a, y, 2, q, errs[i], cert.Class)
						}
						if unsmoothed {
							_, ex[lo+i] = exacts[w].Certify(a, y, 2, errs[i])
						}
					})
				}
			}
			pass(false, true)
			b.ReportAllocs()
			for b.Loop() {
				cpu := cputime.Seconds()
				pass(false, false)
				base := cputime.Seconds() - cpu
				start := time.Now()
				cpu = cputime.Seconds()
				pass(true, false)
				all := cputime.Seconds() - cpu
				b.ReportMetric(all-base, "cpu-s-whitebox")
				b.ReportMetric((all-base)/workers, "s-whitebox-2cores")
				b.ReportMetric(time.Since(start).Seconds(), "s-pass")
			}
			both := make([]int, m)
			for i := range both {
				both[i] = max(np[i], wb[i])
			}
			b.ReportMetric(median(np), "median-np")
			b.ReportMetric(median(wb), "median-whitebox")
			b.ReportMetric(median(both), "median-max")
			b.ReportMetric(median(ex), "median-exact")
			certified := func(radii []int) float64 {
				k := 0
				for i, r := range radii {
					if r >= 500 && class[i] == truth[i] {
						k++
					}
				}
				return float64(k) / float64(len(radii))
			}
			b.ReportMetric(certified(np), "certacc500-np")
			b.ReportMetric(certified(both), "certacc500-max")
			// The first 300 and 100 points, for comparison with measurements
			// made on them.
			for _, k := range []int{300, 100} {
				b.Logf("first %d points: median radius Neyman-Pearson %.1f, white-box %.1f, larger %.1f, exact %.1f; certified accuracy at 500 flips %.3f, larger %.3f",
					k, median(np[:k]), median(wb[:k]), median(both[:k]), median(ex[:k]), certified(np[:k]), certified(both[:k]))
			}
		})
	}
}

func median(v []int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// BenchmarkRadiusMNIST10 certifies full-MNIST test points (the first 50,000
// training images in ten classes, PCA-50 ridge at λ = 3·10⁴ with the
// intercept, as mnisttest.Ridge17 for two digits) one at a time, and reports
// the time per point and what the 10,000 test points would take on two
// cores, beside the median radius (Neyman-Pearson and white-box) of the
// points timed.
func BenchmarkRadiusMNIST10(b *testing.B) {
	const points = 64
	digits := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	x, y := mnisttest.Digits(b, false, 50000, digits...)
	tx, _ := mnisttest.Digits(b, true, 0, digits...)
	pca, err := features.FitPCA(x, 50)
	if err != nil {
		b.Fatal(err)
	}
	model, err := ridge.NewDesign(features.WithIntercept(pca.Transform(x)), true).Fit(3e4)
	if err != nil {
		b.Fatal(err)
	}
	test := features.WithIntercept(pca.Transform(tx.Slice(0, points, 0, 784).(*mat.Dense)))
	n := len(y)
	alpha := mat.NewDense(points, n, nil)
	errs := make([]float64, points)
	model.Kernel(alpha, test, errs)
	for _, q := range []float64{0.001, 0.05, 0.4} {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			tab, err := radius.NewTable(q, 10, n)
			if err != nil {
				b.Fatal(err)
			}
			classes, np := make([]int, points), make([]int, points)
			for i := range points {
				cert := analytic.Certify(alpha.RawRowView(i), y, 10, q, errs[i])
				classes[i], np[i] = cert.Class, -1
				if !cert.Abstain() {
					np[i] = tab.Radius(cert.LogEps)
				}
			}
			var cz whitebox.Certifier
			wb := make([]int, points)
			for i := range points { // grow the scratch memory
				wb[i] = cz.Radius(alpha.RawRowView(i), y, 10, q, errs[i], classes[i])
			}
			b.ReportAllocs()
			calls := 0
			for b.Loop() {
				i := calls % points
				cz.Radius(alpha.RawRowView(i), y, 10, q, errs[i], classes[i])
				calls++
			}
			per := b.Elapsed().Seconds() / float64(calls)
			b.ReportMetric(per*1e3, "ms/point")
			b.ReportMetric(per*10000/2, "s/10k-points-2cores")
			b.ReportMetric(median(np), "median-np")
			b.ReportMetric(median(wb), "median-whitebox")
		})
	}
}
