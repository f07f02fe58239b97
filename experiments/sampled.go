package experiments

import (
	"math"
	"time"

	"flipcert/attacks"
	"flipcert/sampler"
	"flipcert/tables"
)

// sample runs one sampled unit: one pass of label samples for every N of the
// config (nested), a row per N and test point, and, given the analytic
// certificates at the same (q, λ), the rows comparing the two
// (docs/science.md §3, §12).
func (p *prepared) sample(u Unit, c Config, ref []analyticCert, env runEnv) (output, error) {
	ns := c.Sampler.N
	total := c.Sampler.N0 + ns[len(ns)-1]
	stage := env.progress.StartUnits(u.String(), total, 1)
	start := time.Now()
	reached := make([]time.Duration, len(ns)) // when the N-th estimation sample was in
	progress := stage.Callback()
	res, err := sampler.Certify(p.models[u.Lambda], p.train.Y, p.testF, sampler.Config{
		N0: c.Sampler.N0, N: ns, Q: u.Q, Classes: p.classes, Seed: c.Seed, Purpose: u.streamKey(),
	}, func(done, total int) {
		for k, n := range ns {
			if reached[k] == 0 && done >= c.Sampler.N0+n {
				reached[k] = time.Since(start)
			}
		}
		progress(done, total)
	})
	if err != nil {
		return output{}, err
	}
	env.stageDone(u.String(), stage.Finish())
	m := p.test.Len()
	var o output
	for k, n := range ns {
		named := n // sampled-n<N> when the config sweeps N, plain sampled otherwise
		if len(ns) == 1 {
			named = 0
		}
		pts := make([]point, m)
		for i, r := range res {
			_, logEps, abstain := r.Certificate(k, c.Sampler.Alpha)
			pts[i] = smoothedPoint(r.Class, abstain, logEps, p.radii[u.Q])
		}
		o.points = append(o.points, encodePoints(u, named, p.test.Y, pts)...)
		if c.Attack.Enabled {
			rows := make([]attackRow, m)
			for i, r := range res {
				rows[i] = sampledAttack(pts[i], r.Class, ref[i].verified)
			}
			o.attack = append(o.attack, encodeAttacks(u, named, rows)...)
		}
		o.costs = append(o.costs, cost(u, named, m, reached[k].Seconds()))
		if c.Analytic.Enabled {
			o.mc = p.appendComparison(o.mc, u, n, c.Sampler.Alpha, res, k, ref)
		}
	}
	return o, nil
}

// appendComparison appends the rows of mc_vs_analytic.csv of one sampled
// unit at its k-th N: per test point the sampled predictions that differ
// from the analytic certificate's class, their interval, the analytic bound
// and the samples needed to match it (docs/science.md §12).
func (p *prepared) appendComparison(dst []byte, u Unit, n int, alpha float64, res []sampler.Result, k int, ref []analyticCert) []byte {
	// Bonferroni over the m test points: every interval holds at once with
	// probability 1 − alpha.
	level := alpha / float64(len(res))
	for i, r := range res {
		a := ref[i]
		wrong := n - r.Votes[k][a.cert.Class]
		lo, hi := sampler.Interval(wrong, n, level)
		need := math.NaN()
		if !a.cert.Abstain() {
			need = sampler.Log10SamplesNeeded(p.radii[u.Q].MaxLogEps(a.radius), alpha)
		}
		dst = tables.AppendMC(dst, tables.MCRow{Q: u.Q, Lambda: u.Lambda, N: n, Index: i, Wrong: wrong,
			WrongLo: lo, WrongHi: hi, LogEpsAnalytic: a.cert.LogEps, Log10SamplesNeeded: need})
	}
	return dst
}

// sampledAttack is the attack row of a sampled certificate at one point: the
// smoothed attack's relabelings, proven (with probability 1 − alpha) when the
// sampling that verified them found a class other than the sampled one.
func sampledAttack(pt point, class int, verified attacks.Outcome) attackRow {
	if pt.prediction == -1 {
		return abstained
	}
	return attackRow{flips: verified.Flips, proven: verified.Proven && verified.To != class}
}
