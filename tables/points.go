package tables

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Point is one row of points.csv: a method's certificate at one test point.
type Point struct {
	Method Method
	// Q is the label-noise level of a smoothed method; unsmoothed methods
	// leave the column empty (Q is NaN).
	Q      float64
	Lambda float64
	Index  int // test point, in file order
	Label  int // its true class
	// Prediction is the certified class, −1 when the method abstains.
	Prediction int
	// LogEps is the natural log of the bound on the probability of any other
	// class; NaN (an empty cell) for methods without a probability bound.
	LogEps float64
	// Radius is the tight (Neyman-Pearson) radius of a smoothed method or the
	// exact radius of another; −1 when not certified even at 0 flips.
	Radius int
	// RadiusKL is the KL radius of a smoothed method; other methods repeat
	// Radius.
	RadiusKL int
}

// Correct reports whether the prediction is the true class.
func (p Point) Correct() bool { return p.Prediction == p.Label }

// Setting is what a curve is drawn for: a method at one q and λ.
type Setting struct {
	Method Method
	Q      float64 // NaN for unsmoothed methods
	Lambda float64
}

// Setting returns the row's method, q and λ.
func (p Point) Setting() Setting { return Setting{p.Method, p.Q, p.Lambda} }

// Less orders settings as the tables list them: method, then q, then λ.
func (s Setting) Less(t Setting) bool {
	switch {
	case s.Method != t.Method:
		return s.Method.Less(t.Method)
	case s.Q != t.Q && !(math.IsNaN(s.Q) && math.IsNaN(t.Q)):
		return s.Q < t.Q
	default:
		return s.Lambda < t.Lambda
	}
}

// key is a comparable form of a setting (NaN ≠ NaN would break map keys).
func (s Setting) key() Setting {
	if math.IsNaN(s.Q) {
		s.Q = -1
	}
	return s
}

// AppendPoint appends p as one row of points.csv (no header).
func AppendPoint(dst []byte, p Point) []byte {
	q, logEps := "", ""
	if !math.IsNaN(p.Q) {
		q = FormatFloat(p.Q)
	}
	if !math.IsNaN(p.LogEps) {
		logEps = FormatFloat(p.LogEps)
	}
	correct := "0"
	if p.Correct() {
		correct = "1"
	}
	return appendRecord(dst, p.Method.String(), q, FormatFloat(p.Lambda), strconv.Itoa(p.Index),
		strconv.Itoa(p.Label), strconv.Itoa(p.Prediction), logEps, strconv.Itoa(p.Radius),
		strconv.Itoa(p.RadiusKL), correct)
}

// ReadPoints parses points.csv written for a run with the given number of
// classes, and checks each row against the contract: a smoothed method has q
// in (0, (K−1)/K) and an unsmoothed one none, log ε is a log-probability or
// empty as the method requires, classes lie in 0..K−1, abstentions have
// radius −1, correct agrees with prediction and label, unsmoothed methods have
// one radius in both columns, and no (method, q, λ, index) repeats.
func ReadPoints(path string, classes int) ([]Point, error) {
	type key struct {
		Setting
		index int
	}
	seen := lines[key]{}
	qMax := float64(classes-1) / float64(classes)
	var rows []Point
	err := readCSV(path, PointsHeader, func(c *cells) error {
		p := Point{Q: math.NaN(), LogEps: math.NaN()}
		m, err := ParseMethod(c.rec[0])
		if err != nil {
			c.fail(0, "%v", err)
			return c.err
		}
		p.Method = m
		if m.Kind.Smoothed() {
			p.Q = c.float(1, 0, qMax)
			if c.err == nil && (p.Q == 0 || p.Q == qMax) {
				c.fail(1, "%s is outside (0, %g)", c.rec[1], qMax)
			}
		} else {
			c.mustBeEmpty(1, "for an unsmoothed method")
		}
		p.Lambda = c.float(2, 0, math.MaxFloat64)
		p.Index = c.int(3, 0)
		p.Label = c.int(4, 0)
		p.Prediction = c.int(5, -1)
		switch {
		case !m.Kind.Smoothed():
			c.mustBeEmpty(6, "for an unsmoothed method")
		case !c.empty(6):
			p.LogEps = c.float(6, math.Inf(-1), 0)
		}
		p.Radius = c.int(7, -1)
		p.RadiusKL = c.int(8, -1)
		correct := c.int(9, 0)
		if c.err != nil {
			return c.err
		}
		switch {
		case p.Label >= classes:
			c.fail(4, "%d is not a class of %d", p.Label, classes)
		case p.Prediction >= classes:
			c.fail(5, "%d is not a class of %d", p.Prediction, classes)
		case correct > 1:
			c.fail(9, "%d is not 0 or 1", correct)
		case (correct == 1) != p.Correct():
			c.fail(9, "%d but prediction %d and label %d", correct, p.Prediction, p.Label)
		case p.Prediction == -1 && p.Radius != -1:
			c.fail(7, "%d for an abstention, want -1", p.Radius)
		case p.Prediction == -1 && p.RadiusKL != -1:
			c.fail(8, "%d for an abstention, want -1", p.RadiusKL)
		case !m.Kind.Smoothed() && p.RadiusKL != p.Radius:
			c.fail(8, "%d differs from radius %d for an unsmoothed method", p.RadiusKL, p.Radius)
		}
		k := key{p.Setting().key(), p.Index}
		seen.once(c, 3, k, fmt.Sprintf("index %d", p.Index), "for the same method, q and lambda")
		rows = append(rows, p)
		return c.err
	})
	if err == nil && len(rows) == 0 {
		err = &ParseError{File: path, Err: errors.New("no data rows")}
	}
	return rows, err
}
