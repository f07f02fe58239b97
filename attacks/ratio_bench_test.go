package attacks

import (
	"fmt"
	"slices"
	"testing"

	"flipcert/analytic"
	"flipcert/exact"
	"flipcert/radius"
	"flipcert/whitebox"
)

// BenchmarkSmoothedRatioMNIST17 runs the smoothed attack on the first
// benchPoints MNIST 1/7 test points at q = 0.001, 0.05 and 0.4, given the
// larger of the Neyman-Pearson and white-box radii (as a run passes it), and
// reports the median of flips/(radius + 1) with each radius as the
// denominator — how far above the certified radius the proven attack lies —
// beside the time per point and the probes spent. The unsmoothed ridge
// classifier's exact radius + 1 is a third denominator: with Σα = 1 the
// smoothed classifier's mean score crosses ½ after as many greedy flips as
// the unsmoothed score, so it marks about where the smoothed prediction
// changes.
func BenchmarkSmoothedRatioMNIST17(b *testing.B) {
	r := loadRidge17(b)
	n := len(r.y)
	for _, q := range []float64{0.001, 0.05, 0.4} {
		b.Run(fmt.Sprintf("q=%g", q), func(b *testing.B) {
			tab, err := radius.NewTable(q, 2, n)
			if err != nil {
				b.Fatal(err)
			}
			var cz analytic.Certifier
			var wz whitebox.Certifier
			var ez exact.Certifier
			class, np, wb, ex := make([]int, benchPoints), make([]int, benchPoints), make([]int, benchPoints), make([]int, benchPoints)
			for i := range benchPoints {
				p := r.point(i)
				cert := cz.Certify(p.Alpha, p.Y, 2, q, p.AlphaErr)
				class[i], np[i] = cert.Class, -1
				if !cert.Abstain() {
					np[i] = tab.Radius(cert.LogEps)
				}
				wb[i] = wz.Radius(p.Alpha, p.Y, 2, q, p.AlphaErr, cert.Class)
				_, ex[i] = ez.Certify(p.Alpha, p.Y, 2, p.AlphaErr)
			}
			var a Attacker
			b.ReportAllocs()
			probes := 0
			var ratioNP, ratioWB, ratioEx []float64
			for b.Loop() {
				ratioNP, ratioWB, ratioEx = ratioNP[:0], ratioWB[:0], ratioEx[:0]
				for i := range benchPoints {
					out, err := a.Smoothed(r.point(i), q, class[i], max(np[i], wb[i]))
					if err != nil {
						b.Fatal(err)
					}
					probes += out.Probes
					if out.Flips >= 0 && np[i] >= 0 {
						ratioNP = append(ratioNP, float64(out.Flips)/float64(np[i]+1))
						ratioWB = append(ratioWB, float64(out.Flips)/float64(wb[i]+1))
						ratioEx = append(ratioEx, float64(out.Flips)/float64(ex[i]+1))
					}
				}
			}
			perPoint(b)
			b.ReportMetric(float64(probes)/float64(b.N*benchPoints), "probes/point")
			b.ReportMetric(medianOf(ratioNP), "median-flips/(np+1)")
			b.ReportMetric(medianOf(ratioWB), "median-flips/(wb+1)")
			b.ReportMetric(medianOf(ratioEx), "median-flips/(exact+1)")
		})
	}
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
