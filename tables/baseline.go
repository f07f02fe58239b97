package tables

import (
	"fmt"
	"slices"
	"strconv"
)

// Attacks on the undefended network, in table order.
var BaselineAttacks = []string{"random", "pointwise"}

// BaselineRow is one row of baseline.csv: the undefended network's test
// accuracy after one attack of a given budget, for one seed.
type BaselineRow struct {
	Attack   string
	Flips    int
	Seed     uint64
	Accuracy float64
}

// AppendBaseline appends b as one row of baseline.csv (no header).
func AppendBaseline(dst []byte, b BaselineRow) []byte {
	return appendRecord(dst, b.Attack, strconv.Itoa(b.Flips), strconv.FormatUint(b.Seed, 10), FormatFloat(b.Accuracy))
}

// ReadBaseline parses baseline.csv: known attacks, budgets ≥ 0, accuracies in
// [0, 1], and no (attack, flips, seed) twice.
func ReadBaseline(path string) ([]BaselineRow, error) {
	type key struct {
		attack string
		flips  int
		seed   uint64
	}
	seen := lines[key]{}
	var rows []BaselineRow
	err := readCSV(path, BaselineHeader, func(c *cells) error {
		b := BaselineRow{Attack: c.rec[0]}
		if !slices.Contains(BaselineAttacks, b.Attack) {
			c.fail(0, "%q, want random or pointwise", b.Attack)
		}
		b.Flips = c.int(1, 0)
		b.Seed = c.uint(2)
		b.Accuracy = c.float(3, 0, 1)
		k := key{b.Attack, b.Flips, b.Seed}
		seen.once(c, 2, k, fmt.Sprintf("seed %d", b.Seed), "for the same attack and flips")
		rows = append(rows, b)
		return c.err
	})
	return rows, err
}
