package results

import (
	"fmt"
	"math"
	"slices"

	"flipcert/tables"
)

// attachAttacks joins the rows of attack.csv (read from path) to the certificate rows: every
// attack row must name a row of points.csv, and a setting with any attack row must have one for
// every test point. It fills attacks and okAttack of the settings it covers; an attack that found
// nothing (flips −1) withstands every budget up to nTrain (docs/science.md §11).
func attachAttacks(sets []*Curve, rows []tables.AttackRow, path string, nTrain int) error {
	byKey := map[settingKey]*Curve{}
	for _, s := range sets {
		byKey[keyOf(s.Setting)] = s
	}
	for _, r := range rows {
		set := tables.Setting{Method: r.Method, Q: r.Q, Lambda: r.Lambda}
		s := byKey[keyOf(set)]
		if s == nil {
			return &tables.ParseError{File: path, Err: fmt.Errorf("%s: no such method, q and lambda in %s", settingName(set), tables.PointsFile)}
		}
		if _, ok := s.points[r.Index]; !ok {
			return &tables.ParseError{File: path, Err: fmt.Errorf("%s index %d: no such test point in %s", settingName(set), r.Index, tables.PointsFile)}
		}
		if s.attacks == nil {
			s.attacks = map[int]tables.AttackRow{}
		}
		s.attacks[r.Index] = r
	}
	for _, s := range sets {
		if s.attacks == nil {
			continue
		}
		if len(s.attacks) != s.n {
			return &tables.ParseError{File: path, Err: fmt.Errorf("%s: attacks for %d of its %d test points", settingName(s.Setting), len(s.attacks), s.n)}
		}
		s.okAttack = make([]int, 0, len(s.okNP))
		for _, p := range s.points {
			if !p.Correct() {
				continue
			}
			v := nTrain // no attack within the training set: robust at every budget up to it
			if f := s.attacks[p.Index].Flips; f >= 0 {
				v = f - 1
			}
			s.okAttack = append(s.okAttack, v)
		}
		slices.Sort(s.okAttack)
	}
	return nil
}

// settingName names a method, q and λ for messages and captions.
func settingName(s tables.Setting) string {
	name := s.Method.String()
	if s.Method.Kind.Smoothed() {
		name += " q=" + tables.FormatFloat(s.Q)
	}
	return name + " lambda=" + tables.FormatFloat(s.Lambda)
}

// attackReach is one past the largest attack found on a correctly predicted point within the
// nTrain training labels, 0 when there is none: where the accuracy under attack stops falling.
func (s *Curve) attackReach(nTrain int) int {
	x := 0
	for _, v := range s.okAttack {
		if v < nTrain {
			x = max(x, v+1)
		}
	}
	return x
}

// Attacked reports whether the setting has attacks (attack.csv rows).
func (s *Curve) Attacked() bool { return s.okAttack != nil }

// AttackSteps returns the breakpoints of the accuracy under attack on [0, maxFlips], drawn
// post-step like Steps.
func (s *Curve) AttackSteps(maxFlips int) (xs []int, ys []float64) {
	return stepsOf(s.okAttack, s.n, maxFlips)
}

// AttackAcc is the accuracy under the attack at r flips, an upper bound on the accuracy any
// certificate of the method can claim there: #{correct, attack flips > r or none found} / n.
func (s *Curve) AttackAcc(r int) float64 { return atLeast(s.okAttack, r, s.n) }

// violation is an attack no larger than the certified radius of its row: a bug in the
// certificate or in the attack.
type violation struct {
	tables.Setting
	index, radius, flips int
}

// attackStat summarizes the attacks on one setting.
type attackStat struct {
	tables.Setting
	points, correct int
	// attacked counts the correctly predicted points with an attack (flips ≥ 0), unattacked those
	// where none was found (flips −1), proven the attacked ones whose change is proven.
	attacked, unattacked, proven int
	// medAttack is the median attack size over the attacked points; medRatio the median of
	// flips / (radius + 1) over the same points. NaN when attacked is 0.
	medAttack, medRatio float64
	violations          []violation // rows with 0 ≤ flips ≤ radius, by test point
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func intsToFloats(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// median is the middle value of v, the mean of the two middle values for an even count, NaN for
// none. It sorts v.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}
