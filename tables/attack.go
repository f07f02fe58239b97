package tables

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// AttackFile holds, for every certificate row, the size of a concrete attack
// that changes the method's prediction: an upper bound on the point's
// robustness to set beside the certified radius, a lower bound
// (docs/science.md §11).
const AttackFile = "attack.csv"

// AttackHeader is the header of attack.csv.
var AttackHeader = []string{"method", "q", "lambda", "index", "flips", "proven"}

// AttackRow is one row of attack.csv, keyed like points.csv by method, q, λ
// and test point. Flips is the number of relabelings of the attack, −1 when
// none was found within the training-set size; an abstaining method's rows
// have Flips 0 (it predicts no class to change). Proven says the change is
// proven: deterministically for analytic, ridge-exact and DPA, with
// probability 1 − alpha for sampled.
type AttackRow struct {
	Method Method
	Q      float64 // NaN for unsmoothed methods
	Lambda float64
	Index  int
	Flips  int
	Proven bool
}

// AppendAttack appends r as one row of attack.csv (no header).
func AppendAttack(dst []byte, r AttackRow) []byte {
	q := ""
	if !math.IsNaN(r.Q) {
		q = FormatFloat(r.Q)
	}
	proven := "0"
	if r.Proven {
		proven = "1"
	}
	return appendRecord(dst, r.Method.String(), q, FormatFloat(r.Lambda), strconv.Itoa(r.Index), strconv.Itoa(r.Flips), proven)
}

// ReadAttack parses attack.csv: known methods, q exactly where the method is
// smoothed, flips ≥ −1, proven 0 or 1, and no (method, q, λ, index) twice.
func ReadAttack(path string) ([]AttackRow, error) {
	type key struct {
		Setting
		index int
	}
	seen := lines[key]{}
	var rows []AttackRow
	err := readCSV(path, AttackHeader, func(c *cells) error {
		r := AttackRow{Q: math.NaN()}
		m, err := ParseMethod(c.rec[0])
		if err != nil {
			c.fail(0, "%v", err)
			return c.err
		}
		r.Method = m
		if m.Kind.Smoothed() {
			r.Q = c.float(1, 0, 1)
		} else {
			c.mustBeEmpty(1, "for an unsmoothed method")
		}
		r.Lambda = c.float(2, 0, math.MaxFloat64)
		r.Index = c.int(3, 0)
		r.Flips = c.int(4, -1)
		switch c.rec[5] {
		case "0":
		case "1":
			r.Proven = true
		default:
			c.fail(5, "%q is not 0 or 1", c.rec[5])
		}
		k := key{Setting{r.Method, r.Q, r.Lambda}.key(), r.Index}
		seen.once(c, 3, k, fmt.Sprintf("index %d", r.Index), "for the same method, q and lambda")
		rows = append(rows, r)
		return c.err
	})
	if err == nil && len(rows) == 0 {
		err = &ParseError{File: path, Err: errors.New("no data rows")}
	}
	return rows, err
}
