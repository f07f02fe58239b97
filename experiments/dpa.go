package experiments

import (
	"math"
	"runtime"
	"time"

	"flipcert/attacks"
	"flipcert/dpa"
	"flipcert/parallel"
	"flipcert/tables"
)

// fitDPA fits the DPA ensemble of k parts at ridge penalty λ. Each part
// holds about n/k points, so λ/k keeps the penalty per training point (λ/n)
// that the full-data learner has; the config's λ itself would shrink every
// part to its intercept.
func (p *prepared) fitDPA(k int, lambda float64) (*dpa.Ensemble, error) {
	e, err := dpa.Fit(p.trainF, p.train.Y, p.classes, dpa.Partition(p.train.X, k), k, lambda/float64(k), p.intercept)
	if err != nil {
		return nil, inputErrorf("dpa.k = %d with ridge.lambda = %v: %v", k, lambda, err)
	}
	return e, nil
}

// runDPA runs one DPA unit (docs/science.md §9) and, with attacks on, its
// attacks (§11).
func (p *prepared) runDPA(u Unit, c Config, env runEnv) (output, error) {
	m := p.test.Len()
	stage := env.progress.StartUnits(u.String(), m, 1)
	e, err := p.fitDPA(u.Method.Parts, u.Lambda)
	if err != nil {
		return output{}, err
	}
	res := e.Certify(p.testF)
	pts := make([]point, m)
	for i, r := range res {
		pts[i] = point{prediction: r.Class, logEps: math.NaN(), radius: r.Radius, radiusKL: r.Radius}
	}
	start := time.Now()
	var attackRows []byte
	if c.Attack.Enabled {
		a := attacks.NewDPA(e, p.train.Y, p.testF, res)
		workers := runtime.GOMAXPROCS(0)
		scratch := make([]attacks.DPAScratch, workers)
		parallel.For(e.Parts(), workers, func(w, j int) { a.AddPart(j, &scratch[w]) })
		rows := make([]attackRow, m)
		parallel.For(m, workers, func(_, i int) { rows[i] = rowOf(a.Outcome(i)) })
		attackRows = encodeAttacks(u, 0, rows)
	}
	attackTime := time.Since(start)
	stage.Add(m)
	elapsed := stage.Finish()
	env.stageDone(u.String(), elapsed)
	return output{points: encodePoints(u, 0, p.test.Y, pts), attack: attackRows,
		costs: []tables.Cost{cost(u, 0, m, (elapsed - attackTime).Seconds())}}, nil
}
