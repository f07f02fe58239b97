package results

import (
	"os"
	"testing"
)

func TestDemo(t *testing.T) {
	dir := os.Getenv("RESULTS_DEMO_DIR")
	if dir == "" {
		t.Skip("RESULTS_DEMO_DIR not set")
	}
	f := synthetic(1, 2163, 13007, 2000, []float64{0.01, 0.05, 0.1, 0.2, 0.4}, []float64{100, 3000, 30000, 1e6}, 1)
	f.heatmapFlips = []int{0, 100, 500, 1000}
	f.write(t, dir)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
}
