package experiments

import (
	"fmt"
)

// baselineRunner trains and attacks the undefended network (SCIENCE.md §6).
type baselineRunner struct{}

func newBaselineRunner(c Config, in *inputs, env runEnv) (*baselineRunner, error) {
	return nil, c.fieldError("baseline.enabled", -1, "= true: the undefended network is not available yet; set it to false")
}

func (b *baselineRunner) accuracy(u Unit) (float64, error) { return 0, nil }

// encodeBaseline writes one row of baseline.csv (no header).
func encodeBaseline(u Unit, accuracy float64) []byte {
	return fmt.Appendf(nil, "%s,%d,%d,%s\n", u.Attack, u.Flips, u.Seed, formatFloat(accuracy))
}
