package attacks

import (
	"fmt"
	"testing"

	"flipcert/analytic"
	"flipcert/internal/cputime"
	"flipcert/radius"
	"flipcert/whitebox"
)

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
	r := fixtureMNIST10(b)
	for _, q := range mnist10Q {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := attackCases(b, mnist10Points, 10, q, r.point)
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
			per := float64(b.N * mnist10Points)
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
	r := fixtureMNIST10(b)
	for _, q := range []float64{0.0125, 0.05} {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			cases := attackCases(b, mnist10Points, 10, q, r.point)
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
			per := float64(b.N * mnist10Points)
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
	r := fixtureMNIST10(b)
	for _, q := range mnist10Q {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			var cz analytic.Certifier
			var wz whitebox.Certifier
			classes := make([]int, mnist10Points)
			var analyticCPU, whiteCPU float64
			for b.Loop() {
				cpu := cputime.Seconds()
				for i := range mnist10Points {
					p := r.point(i)
					classes[i] = cz.Certify(p.Alpha, p.Y, 10, q, p.AlphaErr).Class
				}
				mid := cputime.Seconds()
				for i := range mnist10Points {
					p := r.point(i)
					wz.Radius(p.Alpha, p.Y, 10, q, p.AlphaErr, classes[i])
				}
				analyticCPU += mid - cpu
				whiteCPU += cputime.Seconds() - mid
			}
			per := float64(b.N * mnist10Points)
			b.ReportMetric(analyticCPU*1e3/per, "analytic-cpu-ms/point")
			b.ReportMetric(whiteCPU*1e3/per, "whitebox-cpu-ms/point")
		})
	}
}
