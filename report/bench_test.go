package report

import (
	"testing"

	"flipcert/internal/runfixture"
)

// BenchmarkRender renders a directory of 500 test points × 9 settings (curves to 2000 flips),
// every figure included.
func BenchmarkRender(b *testing.B) {
	f := runfixture.Synthetic(1, 500, 13007, 2000, []float64{0.05, 0.2}, []float64{3000, 30000}, 1)
	dir := b.TempDir()
	f.Write(b, dir)
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(dir); err != nil {
			b.Fatal(err)
		}
	}
}
