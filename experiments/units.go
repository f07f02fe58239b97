package experiments

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/attacks"
	"flipcert/dpa"
	"flipcert/exact"
	"flipcert/parallel"
	"flipcert/progress"
	"flipcert/radius"
	"flipcert/ridge"
	"flipcert/sampler"
	"flipcert/tables"
)

// point is one row of points.csv.
type point struct {
	prediction int     // −1 when abstaining
	logEps     float64 // NaN when the method has no probability bound
	radius     int     // tight (Neyman-Pearson) or the method's exact radius; −1 = not certified
	radiusKL   int
}

// output is what one unit writes: its rows of the run's tables, without
// headers, and what it cost.
type output struct {
	points   []byte // rows of points.csv
	baseline []byte // rows of baseline.csv
	mc       []byte // rows of mc_vs_analytic.csv (sampled units, with the analytic certificate on)
	attack   []byte // rows of attack.csv (certificate units, with attacks on)
	costs    []tables.Cost
}

// kernelBlock is how many test points share one n×b block of kernel vectors:
// 256 × 13,007 float64 is 27 MB, small next to the full m×n matrix.
const kernelBlock = 256

// forEachKernel computes the kernel vectors α of the test points block by
// block (block test points at a time, so that the n×m matrix of all of them
// never exists) and calls visit(worker, i, α, E) for every test point i,
// E ≥ Σ|α̂ᵢ − αᵢ| the bound on the computed α's error (docs/science.md §10),
// spreading each block over the workers. Each kernel vector is computed the
// same way whatever block it is in, so results that visit stores by i depend
// neither on the block size nor on the number of workers.
func forEachKernel(model *ridge.Model, test *mat.Dense, block, workers int, stage *progress.Stage, visit func(worker, i int, alpha []float64, alphaErr float64)) {
	m, d := test.Dims()
	n, _ := model.Design().Features().Dims()
	buf := mat.NewDense(min(block, m), n, nil)
	errs := make([]float64, min(block, m))
	for lo := 0; lo < m; lo += block {
		hi := min(lo+block, m)
		alpha := buf.Slice(0, hi-lo, 0, n).(*mat.Dense)
		model.Kernel(alpha, test.Slice(lo, hi, 0, d).(*mat.Dense), errs[:hi-lo])
		parallel.For(hi-lo, workers, func(w, i int) { visit(w, lo+i, alpha.RawRowView(i), errs[i]) })
		stage.Add(hi - lo)
	}
}

// smoothedPoint turns a certificate into a row: both radii of its bound
// (docs/science.md §5), or an abstention.
func smoothedPoint(class int, abstain bool, logEps float64, table *radius.Table) point {
	if abstain {
		return point{prediction: -1, logEps: logEps, radius: -1, radiusKL: -1}
	}
	return point{prediction: class, logEps: logEps, radius: table.Radius(logEps), radiusKL: table.RadiusKL(logEps)}
}

// analyticCert is the analytic certificate of one test point, the row it
// becomes, and the attacks on the smoothed classifier at that point.
type analyticCert struct {
	cert analytic.Certificate
	point
	attack   attackRow // on the analytic row (docs/science.md §11)
	verified attacks.Outcome
}

// attackRow is a row of attack.csv without its key.
type attackRow struct {
	flips  int
	proven bool
}

// abstained is the attack row of a method that predicts no class: nothing to
// change.
var abstained = attackRow{flips: 0, proven: true}

// runLambda runs the certificate units of one λ that rest on the ridge fit:
// one pass over the kernel vectors serves every analytic and ridge-exact
// unit and their attacks, and gives the sampled units the analytic
// certificates they are compared with (docs/science.md §12) and the attacks
// they verify (§11); then each sampled unit samples. done is called as each
// unit finishes.
func (p *prepared) runLambda(batch []Unit, c Config, env runEnv, done func(Unit, output) error) error {
	var kernelUnits, sampledUnits []Unit
	need := map[float64]bool{} // q → analytic certificates needed
	verify := map[float64]string{}
	for _, u := range batch {
		switch u.Method {
		case "sampled":
			sampledUnits = append(sampledUnits, u)
			if c.Analytic.Enabled || c.Attack.Enabled {
				need[u.Q] = true
			}
			if c.Attack.Enabled {
				verify[u.Q] = u.Name() + "/attack"
			}
		case "analytic":
			need[u.Q] = true
			kernelUnits = append(kernelUnits, u)
		default:
			kernelUnits = append(kernelUnits, u)
		}
	}
	var certs map[float64][]analyticCert
	if len(kernelUnits) > 0 || len(need) > 0 {
		var err error
		if certs, err = p.kernelPass(batch[0].Lambda, kernelUnits, need, verify, c, env, done); err != nil {
			return err
		}
	}
	for _, u := range sampledUnits {
		o, err := p.sample(u, c, certs[u.Q], env)
		if err != nil {
			return err
		}
		if err := done(u, o); err != nil {
			return err
		}
	}
	return nil
}

// kernelPass computes α once per test point and from it the analytic
// certificates at every q in need, the rows of the kernel units and, with
// attacks on, their attack rows and the sampled verification of the smoothed
// attack at every q in verify (q → random-stream purpose). Each unit's cost
// is its own certificates' time plus the kernel computation; attacks are not
// charged to any certificate.
func (p *prepared) kernelPass(lambda float64, units []Unit, need map[float64]bool, verify map[float64]string, c Config, env runEnv, done func(Unit, output) error) (map[float64][]analyticCert, error) {
	m := p.test.Len()
	y := p.train.Y
	var qs []float64
	for _, q := range p.smoothingQ { // config order, so that work is laid out the same every run
		if need[q] {
			qs = append(qs, q)
		}
	}
	certs := make(map[float64][]analyticCert, len(qs))
	for _, q := range qs {
		certs[q] = make([]analyticCert, m)
	}
	exactPts := make([]point, m)
	exactAttacks := make([]attackRow, m)
	wantExact := false
	for _, u := range units {
		wantExact = wantExact || u.Method == "ridge-exact"
	}
	attack := c.Attack.Enabled
	workers := runtime.GOMAXPROCS(0)
	certifiers := make([]exact.Certifier, workers)
	chernoff := make([]analytic.Certifier, workers)
	attackers := make([]attacks.Attacker, workers)
	contradictions := make([]int, workers)
	spent := make([][]time.Duration, workers) // per worker: per q, ridge-exact, then attacks
	for w := range spent {
		spent[w] = make([]time.Duration, len(qs)+2)
	}
	name := fmt.Sprintf("lambda=%s: kernel pass", tables.FormatFloat(lambda))
	if len(units) > 0 {
		name = batchName(units)
	}
	stage := env.progress.StartUnits(name, m, len(units))
	forEachKernel(p.models[lambda], p.testF, p.block, workers, stage, func(w, i int, alpha []float64, alphaErr float64) {
		rp := attacks.RidgePoint{Alpha: alpha, Y: y, Classes: p.classes, AlphaErr: alphaErr}
		for j, q := range qs {
			start := time.Now()
			cert := chernoff[w].Certify(alpha, y, p.classes, q, alphaErr)
			a := analyticCert{cert: cert, point: smoothedPoint(cert.Class, cert.Abstain(), cert.LogEps, p.tables[q])}
			spent[w][j] += time.Since(start)
			if attack {
				start = time.Now()
				out, err := attackers[w].Smoothed(rp, q, cert.Class, a.radius)
				if err != nil {
					contradictions[w]++ // the row shows it: flips within the radius
				}
				a.attack = attackRow{out.Flips, out.Proven}
				if cert.Abstain() {
					a.attack = abstained
				}
				if purpose, ok := verify[q]; ok {
					a.verified = attackers[w].Sampled(rp, q, out, attacks.Sampling{Alpha: c.Sampler.Alpha, Seed: c.Seed, Purpose: purpose}, i)
				}
				spent[w][len(qs)+1] += time.Since(start)
			}
			certs[q][i] = a
		}
		if wantExact {
			start := time.Now()
			class, r := certifiers[w].Certify(alpha, y, p.classes, alphaErr)
			exactPts[i] = point{prediction: class, logEps: math.NaN(), radius: r, radiusKL: r}
			spent[w][len(qs)] += time.Since(start)
			if attack {
				start = time.Now()
				out := attackers[w].RidgeExact(rp)
				exactAttacks[i] = attackRow{out.Flips, out.Proven}
				spent[w][len(qs)+1] += time.Since(start)
			}
		}
	})
	total := stage.Finish()
	env.stageDone(name, total)
	if n := sum(contradictions); n > 0 {
		env.warn(fmt.Sprintf("%s: %d attacks succeed within a certified radius; attack.csv and summary.md list them", name, n))
	}
	// Wall-clock share of each method: its summed time over the workers, and
	// the rest of the pass (the kernel vectors, not the attacks) charged to
	// every method.
	share := make([]float64, len(qs)+2)
	kernel := total.Seconds()
	for j := range share {
		for w := range spent {
			share[j] += spent[w][j].Seconds() / float64(workers)
		}
		kernel -= share[j]
	}
	kernel = max(kernel, 0)
	for _, u := range units {
		pts, rows := exactPts, exactAttacks
		j := len(qs)
		if u.Method == "analytic" {
			j = indexOf(qs, u.Q)
			pts, rows = make([]point, m), make([]attackRow, m)
			for i, a := range certs[u.Q] {
				pts[i], rows[i] = a.point, a.attack
			}
		}
		o := output{
			points: encodePoints(u, 0, p.test.Y, pts),
			costs:  []tables.Cost{{Method: u.tableMethod(0).String(), Q: u.Q, Lambda: lambda, Points: m, Seconds: kernel + share[j]}},
		}
		if attack {
			o.attack = encodeAttacks(u, 0, rows)
		}
		if err := done(u, o); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func indexOf(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	panic("experiments: value not in list")
}

// sample runs one sampled unit: one pass of label samples for every N of the
// config (nested), a row per N and test point, and, given the analytic
// certificates at the same (q, λ), the rows comparing the two.
func (p *prepared) sample(u Unit, c Config, ref []analyticCert, env runEnv) (output, error) {
	ns := c.Sampler.N
	total := c.Sampler.N0 + ns[len(ns)-1]
	stage := env.progress.StartUnits(u.Name(), total, 1)
	start := time.Now()
	reached := make([]time.Duration, len(ns)) // when the N-th estimation sample was in
	progress := stage.Callback()
	res, err := sampler.Certify(p.models[u.Lambda], p.train.Y, p.testF, sampler.Config{
		N0: c.Sampler.N0, N: ns, Q: u.Q, Classes: p.classes, Seed: c.Seed, Purpose: u.Name(),
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
	env.stageDone(u.Name(), stage.Finish())
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
			pts[i] = smoothedPoint(r.Class, abstain, logEps, p.tables[u.Q])
		}
		o.points = append(o.points, encodePoints(u, named, p.test.Y, pts)...)
		if c.Attack.Enabled {
			rows := make([]attackRow, m)
			for i, r := range res {
				rows[i] = sampledAttack(pts[i], r.Class, ref[i].verified)
			}
			o.attack = append(o.attack, encodeAttacks(u, named, rows)...)
		}
		o.costs = append(o.costs, tables.Cost{Method: u.tableMethod(named).String(), Q: u.Q, Lambda: u.Lambda, Points: m, Seconds: reached[k].Seconds()})
		if !c.Analytic.Enabled {
			continue
		}
		// Bonferroni over the m test points: every interval holds at once
		// with probability 1 − alpha.
		level := c.Sampler.Alpha / float64(m)
		for i, r := range res {
			a := ref[i]
			wrong := n - r.Votes[k][a.cert.Class]
			lo, hi := sampler.Interval(wrong, n, level)
			need := math.NaN()
			if !a.cert.Abstain() {
				need = sampler.Log10SamplesNeeded(p.tables[u.Q].MaxLogEps(a.radius), c.Sampler.Alpha)
			}
			o.mc = tables.AppendMC(o.mc, tables.MCRow{Q: u.Q, Lambda: u.Lambda, N: n, Index: i, Wrong: wrong,
				WrongLo: lo, WrongHi: hi, LogEpsAnalytic: a.cert.LogEps, Log10SamplesNeeded: need})
		}
	}
	return o, nil
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

// runDPA runs one DPA unit and, with attacks on, its attacks. Each part
// holds about n/k points, so λ/k keeps the penalty per training point (λ/n)
// that the full-data learner has; the config's λ itself would shrink every
// part to its intercept.
func (p *prepared) runDPA(u Unit, c Config, env runEnv) (output, error) {
	m := p.test.Len()
	stage := env.progress.StartUnits(u.Name(), m, 1)
	parts := dpa.Partition(p.train.X, u.K)
	e, err := dpa.Fit(p.trainF, p.train.Y, p.classes, parts, u.K, u.Lambda/float64(u.K), c.Features.Intercept)
	if err != nil {
		return output{}, inputErrorf("dpa.k = %d with ridge.lambda = %v: %v", u.K, u.Lambda, err)
	}
	res := e.Certify(p.testF)
	pts := make([]point, m)
	from := make([]int, m)
	for i, r := range res {
		pts[i] = point{prediction: r.Class, logEps: math.NaN(), radius: r.Radius, radiusKL: r.Radius}
		from[i] = r.Class
	}
	start := time.Now()
	var attackRows []byte
	if c.Attack.Enabled {
		a := attacks.NewDPA(e, p.train.Y, p.testF, from)
		workers := runtime.GOMAXPROCS(0)
		scratch := make([]attacks.DPAScratch, workers)
		parallel.For(e.Parts(), workers, func(w, j int) { a.AddPart(j, &scratch[w]) })
		rows := make([]attackRow, m)
		for i := range rows {
			out := a.Outcome(i)
			rows[i] = attackRow{out.Flips, out.Proven}
		}
		attackRows = encodeAttacks(u, 0, rows)
	}
	attackTime := time.Since(start)
	stage.Add(m)
	elapsed := stage.Finish()
	env.stageDone(u.Name(), elapsed)
	cost := tables.Cost{Method: u.tableMethod(0).String(), Lambda: u.Lambda, Points: m, Seconds: (elapsed - attackTime).Seconds()}
	return output{points: encodePoints(u, 0, p.test.Y, pts), attack: attackRows, costs: []tables.Cost{cost}}, nil
}

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
