package attacks

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"flipcert/analytic"
	"flipcert/dpa"
	"flipcert/internal/cputime"
	"flipcert/internal/mnisttest"
	"flipcert/parallel"
	"flipcert/radius"

	"gonum.org/v1/gonum/mat"
)

// ridge17 is ridge on PCA-50 features of MNIST 1/7 plus the intercept
// (n = 13,007, d = 51, 2,163 test points) at λ = 3·10⁴, with the kernel
// vectors of the first benchPoints test points.
type ridge17 struct {
	phi, test *mat.Dense
	y         []int
	alpha     *mat.Dense
	errs      []float64
}

const benchPoints = 256

func loadRidge17(b *testing.B) ridge17 {
	b.Helper()
	model, y, test := mnisttest.Ridge17(b)
	phi := model.Design().Features()
	n, _ := phi.Dims()
	_, d := test.Dims()
	alpha := mat.NewDense(benchPoints, n, nil)
	errs := make([]float64, benchPoints)
	model.Kernel(alpha, test.Slice(0, benchPoints, 0, d).(*mat.Dense), errs)
	return ridge17{phi: phi, test: test, y: y, alpha: alpha, errs: errs}
}

func (r ridge17) point(i int) RidgePoint {
	return RidgePoint{Alpha: r.alpha.RawRowView(i), Y: r.y, Classes: 2, AlphaErr: r.errs[i]}
}

// perPoint reports the time per test point of a benchmark that attacks
// benchPoints points per iteration.
func perPoint(b *testing.B) {
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N*benchPoints), "ms/point")
}

// BenchmarkRidgeExactMNIST17 times the ridge-exact attack per test point.
func BenchmarkRidgeExactMNIST17(b *testing.B) {
	r := loadRidge17(b)
	var a Attacker
	b.ReportAllocs()
	flips := 0
	for b.Loop() {
		for i := range benchPoints {
			flips += a.RidgeExact(r.point(i)).Flips
		}
	}
	perPoint(b)
	b.ReportMetric(float64(flips)/float64(b.N*benchPoints), "flips/point")
}

// smoothedCase is a clean analytic certificate and its radius.
type smoothedCase struct {
	class, radius int
}

func smoothedCases(b *testing.B, r ridge17, q float64) []smoothedCase {
	b.Helper()
	n := len(r.y)
	tab, err := radius.NewTable(q, 2, n)
	if err != nil {
		b.Fatal(err)
	}
	var cz analytic.Certifier
	cases := make([]smoothedCase, benchPoints)
	for i := range cases {
		p := r.point(i)
		cert := cz.Certify(p.Alpha, p.Y, 2, q, p.AlphaErr)
		cases[i] = smoothedCase{cert.Class, -1}
		if !cert.Abstain() {
			cases[i].radius = tab.Radius(cert.LogEps)
		}
	}
	return cases
}

var benchQ = []float64{0.05, 0.1, 0.2, 0.4}

// BenchmarkSmoothedMNIST17 times the smoothed (analytic) attack per test
// point, the clean certificate and radius given, and reports the probes
// (analytic certificates) it spends and the ratio of its size to radius + 1.
func BenchmarkSmoothedMNIST17(b *testing.B) {
	r := loadRidge17(b)
	for _, q := range benchQ {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := smoothedCases(b, r, q)
			var a Attacker
			b.ReportAllocs()
			probes, found := 0, 0
			var ratios []float64
			for b.Loop() {
				ratios = ratios[:0]
				for i, c := range cases {
					out, err := a.Smoothed(r.point(i), q, c.class, c.radius)
					if err != nil {
						b.Fatal(err)
					}
					probes += out.Probes
					if out.Flips >= 0 {
						found++
						ratios = append(ratios, float64(out.Flips)/float64(c.radius+1))
					}
				}
			}
			perPoint(b)
			b.ReportMetric(float64(probes)/float64(b.N*benchPoints), "probes/point")
			b.ReportMetric(float64(found)/float64(b.N*benchPoints), "found")
			if len(ratios) > 0 {
				slices.Sort(ratios)
				b.ReportMetric(ratios[len(ratios)/2], "median-flips/(radius+1)")
			}
		})
	}
}

// BenchmarkSampledMNIST17 times the sampled verification of the smoothed
// attack per test point (alpha = 0.001) and reports the samples drawn and
// the share proven.
func BenchmarkSampledMNIST17(b *testing.B) {
	r := loadRidge17(b)
	for _, q := range benchQ {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := smoothedCases(b, r, q)
			var a Attacker
			outs := make([]Outcome, benchPoints)
			for i, c := range cases {
				out, err := a.Smoothed(r.point(i), q, c.class, c.radius)
				if err != nil {
					b.Fatal(err)
				}
				out.Relabels = slices.Clone(out.Relabels)
				outs[i] = out
			}
			cfg := Sampling{Alpha: 0.001, Seed: 1, Purpose: "bench"}
			b.ReportAllocs()
			samples, proven, tried := 0, 0, 0
			for b.Loop() {
				for i, o := range outs {
					v := a.Sampled(r.point(i), q, o, cfg, i)
					samples += v.Probes
					if o.Flips >= 0 {
						tried++
					}
					if v.Proven {
						proven++
					}
				}
			}
			perPoint(b)
			b.ReportMetric(float64(samples)/float64(b.N*benchPoints), "samples/point")
			b.ReportMetric(float64(proven)/float64(max(tried, 1)), "proven")
		})
	}
}

// BenchmarkDPAMNIST17 times the DPA attack on all 2,163 test points (every
// part refitted once, on 2 goroutines), the ensemble fitted beforehand with
// λ/k as the runs do.
func BenchmarkDPAMNIST17(b *testing.B) {
	r := loadRidge17(b)
	m, _ := r.test.Dims()
	for _, k := range []int{100, 1000, 3000} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			parts := dpa.Partition(r.phi, k)
			e, err := dpa.Fit(r.phi, r.y, 2, parts, k, 3e4/float64(k), true)
			if err != nil {
				b.Fatal(err)
			}
			res := e.Certify(r.test)
			scratch := make([]DPAScratch, 2)
			b.ReportAllocs()
			found := 0
			for b.Loop() {
				a := NewDPA(e, r.y, r.test, res)
				parallel.For(k, 2, func(w, j int) { a.AddPart(j, &scratch[w]) })
				for i := range m {
					if a.Outcome(i).Flips >= 0 {
						found++
					}
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N*m), "ms/point")
			b.ReportMetric(float64(found)/float64(b.N*m), "found")
		})
	}
}

// BenchmarkAllMNIST17 runs every attack of the default configuration on all
// 2,163 MNIST 1/7 test points on 2 goroutines, the way a run would: kernel
// vectors by blocks of 256, per point the clean analytic certificates at
// q = 0.05, 0.1, 0.2, 0.4 (which a run computes anyway), ridge-exact, and the
// smoothed and sampled attacks at every q; then DPA with k = 100, 1000,
// 3000 (ensembles fitted and certified beforehand, as a run does). It
// reports the seconds of the whole and of the kernel vectors and clean
// certificates alone (timed in a pass without attacks), so that the attacks
// cost the difference (wall and CPU seconds, the machine being shared).
func BenchmarkAllMNIST17(b *testing.B) {
	model, y, test := mnisttest.Ridge17(b)
	phi := model.Design().Features()
	n, _ := phi.Dims()
	m, d := test.Dims()
	tables := make([]*radius.Table, len(benchQ))
	for k, q := range benchQ {
		var err error
		if tables[k], err = radius.NewTable(q, 2, n); err != nil {
			b.Fatal(err)
		}
	}
	type ensemble struct {
		e   *dpa.Ensemble
		res []dpa.Result
	}
	var ensembles []ensemble
	for _, k := range []int{100, 1000, 3000} {
		e, err := dpa.Fit(phi, y, 2, dpa.Partition(phi, k), k, 3e4/float64(k), true)
		if err != nil {
			b.Fatal(err)
		}
		ensembles = append(ensembles, ensemble{e, e.Certify(test)})
	}
	const workers = 2
	pass := func(attack bool) (flips int) {
		attackers := make([]Attacker, workers)
		certifiers := make([]analytic.Certifier, workers)
		sum := make([]int, workers)
		buf := mat.NewDense(kernelBlockBench, n, nil)
		errs := make([]float64, kernelBlockBench)
		for lo := 0; lo < m; lo += kernelBlockBench {
			hi := min(lo+kernelBlockBench, m)
			alpha := buf.Slice(0, hi-lo, 0, n).(*mat.Dense)
			model.Kernel(alpha, test.Slice(lo, hi, 0, d).(*mat.Dense), errs[:hi-lo])
			parallel.For(hi-lo, workers, func(w, i int) {
				p := RidgePoint{Alpha: alpha.RawRowView(i), Y: y, Classes: 2, AlphaErr: errs[i]}
				a := &attackers[w]
				if attack {
					sum[w] += a.RidgeExact(p).Flips
				}
				for k, q := range benchQ {
					cert := certifiers[w].Certify(p.Alpha, p.Y, 2, q, p.AlphaErr)
					r := -1
					if !cert.Abstain() {
						r = tables[k].Radius(cert.LogEps)
					}
					if !attack {
						continue
					}
					out, err := a.Smoothed(p, q, cert.Class, r)
					if err != nil {
						panic(err)
					}
					v := a.Sampled(p, q, out, Sampling{Alpha: 0.001, Seed: 1, Purpose: "all"}, lo+i)
					sum[w] += out.Flips + v.Probes
				}
			})
		}
		if attack {
			scratch := make([]DPAScratch, workers)
			for _, en := range ensembles {
				a := NewDPA(en.e, y, test, en.res)
				parallel.For(en.e.Parts(), workers, func(w, j int) { a.AddPart(j, &scratch[w]) })
				for i := range m {
					sum[0] += a.Outcome(i).Flips
				}
			}
		}
		return sum[0] + sum[1]
	}
	for b.Loop() {
		start, cpu := time.Now(), cputime.Seconds()
		pass(false)
		base, baseCPU := time.Since(start), cputime.Seconds()-cpu
		start, cpu = time.Now(), cputime.Seconds()
		pass(true)
		all, allCPU := time.Since(start), cputime.Seconds()-cpu
		b.ReportMetric(all.Seconds(), "s-total")
		b.ReportMetric(base.Seconds(), "s-kernels+certificates")
		b.ReportMetric((all - base).Seconds(), "s-attacks")
		b.ReportMetric(allCPU-baseCPU, "cpu-s-attacks")
	}
}

// kernelBlockBench is the block of test points whose kernel vectors are
// formed at once, as in a run.
const kernelBlockBench = 256
