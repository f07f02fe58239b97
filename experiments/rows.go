package experiments

import (
	"flipcert/attacks"
	"flipcert/radius"
	"flipcert/tables"
)

// point is one row of points.csv without its key.
type point struct {
	prediction int     // −1 when abstaining
	logEps     float64 // NaN when the method has no probability bound
	radius     int     // tight (Neyman-Pearson) or the method's exact radius; −1 = not certified
	radiusKL   int
}

// smoothedPoint turns a smoothed certificate into a row: both radii of its
// bound (docs/science.md §5), or an abstention.
func smoothedPoint(class int, abstain bool, logEps float64, table *radius.Table) point {
	if abstain {
		return point{prediction: -1, logEps: logEps, radius: -1, radiusKL: -1}
	}
	return point{prediction: class, logEps: logEps, radius: table.Radius(logEps), radiusKL: table.RadiusKL(logEps)}
}

// attackRow is a row of attack.csv without its key.
type attackRow struct {
	flips  int
	proven bool
}

// abstained is the attack row of a method that predicts no class: nothing to
// change.
var abstained = attackRow{flips: 0, proven: true}

func rowOf(o attacks.Outcome) attackRow { return attackRow{flips: o.Flips, proven: o.Proven} }

// encodePoints writes the rows of one unit (points.csv without its header);
// samples names the sampled certificate's N (0 for other methods).
func encodePoints(u Unit, samples int, labels []int, pts []point) []byte {
	s := u.setting(samples)
	var out []byte
	for i, pt := range pts {
		out = tables.AppendPoint(out, tables.Point{
			Method: s.Method, Q: s.Q, Lambda: s.Lambda, Index: i, Label: labels[i],
			Prediction: pt.prediction, LogEps: pt.logEps, Radius: pt.radius, RadiusKL: pt.radiusKL,
		})
	}
	return out
}

// encodeAttacks writes the attack rows of one unit (attack.csv without its
// header), keyed like its points.
func encodeAttacks(u Unit, samples int, rows []attackRow) []byte {
	s := u.setting(samples)
	var out []byte
	for i, r := range rows {
		out = tables.AppendAttack(out, tables.AttackRow{Method: s.Method, Q: s.Q, Lambda: s.Lambda, Index: i, Flips: r.flips, Proven: r.proven})
	}
	return out
}

// cost is a unit's cost record: seconds over its m test points.
func cost(u Unit, samples, m int, seconds float64) tables.Cost {
	s := u.setting(samples)
	return tables.Cost{Method: s.Method.String(), Q: u.Q, Lambda: u.Lambda, Points: m, Seconds: seconds}
}
