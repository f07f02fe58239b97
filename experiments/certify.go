package experiments

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/attacks"
	"flipcert/exact"
	"flipcert/parallel"
	"flipcert/progress"
	"flipcert/ridge"
	"flipcert/tables"
	"flipcert/whitebox"
)

// kernelBlock is how many test points share one n×b block of kernel vectors:
// 256 × 13,007 float64 is 27 MB, small next to the full m×n matrix.
const kernelBlock = 256

// forEachKernel computes the kernel vectors α of the test points block by
// block (block test points at a time, so that the n×m matrix of all of them
// never exists) and calls visit(worker, i, α, E) for every test point i,
// E ≥ Σ|α̂ᵢ − αᵢ| the bound on the computed α's error (docs/science.md §10 "Ridge conditioning"),
// spreading each block over the workers. Results that visit stores by i do
// not depend on the number of workers; they depend on the block size only
// above 64 features, where gonum's product sums each kernel entry in pieces
// whose shape depends on the block's (so the block size is fixed, and
// explain recomputes a point's kernel vector in its block).
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

// lambdaWork is what the certificate units of one λ ask of its kernel pass.
type lambdaWork struct {
	lambda  float64
	kernel  []Unit             // analytic, whitebox and ridge-exact units: their rows come from the pass
	sampled []Unit             // computed after the pass, from their own label samples
	qs      []float64          // the q whose analytic certificates the pass computes, in config order
	verify  map[float64]string // q → random-stream key of the sampled check of the smoothed attack
	exact   bool               // ridge-exact is among the kernel units
	white   map[float64]bool   // q → the pass computes white-box radii at q (whitebox is on)
}

// planLambda sorts the units of one λ's batch into the work of its pass.
func (p *prepared) planLambda(batch []Unit, c Config) lambdaWork {
	w := lambdaWork{lambda: batch[0].Lambda, verify: map[float64]string{}, white: map[float64]bool{}}
	need := map[float64]bool{}
	for _, u := range batch {
		switch u.Method.Kind {
		case tables.Sampled:
			w.sampled = append(w.sampled, u)
			// The comparison rows need the analytic certificates; the
			// sampled attack verifies the analytic attack's relabelings.
			need[u.Q] = need[u.Q] || c.Analytic.Enabled || c.Attack.Enabled
			if c.Attack.Enabled {
				w.verify[u.Q] = u.streamKey() + "/attack"
			}
		case tables.Analytic:
			need[u.Q] = true
			w.kernel = append(w.kernel, u)
		case tables.Whitebox: // the analytic certificate's class and bound, a larger radius
			need[u.Q] = true
			w.kernel = append(w.kernel, u)
		case tables.RidgeExact:
			w.exact = true
			w.kernel = append(w.kernel, u)
		}
	}
	for _, q := range p.smoothingQ { // config order, so that work is laid out the same every run
		if need[q] {
			w.qs = append(w.qs, q)
			// With whitebox on, the smoothed attack is probed at the larger
			// radius whether or not the whitebox unit of q is in this batch
			// (a shard may hold the analytic unit alone), so that attack.csv
			// does not depend on how the units are dealt.
			w.white[q] = c.Whitebox.Enabled
		}
	}
	return w
}

// runLambda runs the certificate units of one λ that rest on the ridge fit:
// one pass over the kernel vectors serves every analytic and ridge-exact
// unit and their attacks, and gives the sampled units the analytic
// certificates they are compared with (docs/science.md §12) and the attacks
// they verify (§11); then each sampled unit samples. done is called as each
// unit finishes.
func (p *prepared) runLambda(batch []Unit, c Config, env runEnv, done func(Unit, output) error) error {
	w := p.planLambda(batch, c)
	var certs map[float64][]analyticCert
	if len(w.kernel) > 0 || len(w.qs) > 0 {
		ps := p.kernelPass(w, c, env)
		for _, u := range w.kernel {
			if err := done(u, ps.output(u)); err != nil {
				return err
			}
		}
		certs = ps.certs
	}
	for _, u := range w.sampled {
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

// analyticCert is the analytic certificate of one test point, the rows it
// becomes, and the attacks on the smoothed classifier at that point.
type analyticCert struct {
	cert analytic.Certificate
	point
	white    point           // the whitebox row: the same bound, radius max(white-box, Neyman-Pearson)
	attack   attackRow       // on the analytic and whitebox rows (docs/science.md §11)
	verified attacks.Outcome // the smoothed attack as the sampled check saw it
}

// pass is one pass over the kernel vectors of a λ: the rows it collects per
// method family, each worker's scratch and what each family cost.
type pass struct {
	p      *prepared
	work   lambdaWork
	attack bool
	seed   uint64
	alpha  float64 // the sampled certificate's alpha, for the sampled check

	certs        map[float64][]analyticCert // q → per test point
	exactPts     []point
	exactAttacks []attackRow

	workers []passWorker
	wall    time.Duration // the whole pass
}

// passWorker is one worker's scratch and spending.
type passWorker struct {
	chernoff       analytic.Certifier
	white          whitebox.Certifier
	exact          exact.Certifier
	attacker       attacks.Attacker
	analytic       []time.Duration // per q of the pass: certificates
	whitebox       []time.Duration // per q of the pass: white-box radii
	ridgeExact     time.Duration   // certificates
	attacks        time.Duration   // every attack of the pass
	contradictions int             // attacks that succeed within a certified radius
}

// kernelPass computes α once per test point and from it every certificate
// and attack of w.
func (p *prepared) kernelPass(w lambdaWork, c Config, env runEnv) *pass {
	m := p.test.Len()
	ps := &pass{p: p, work: w, attack: c.Attack.Enabled, seed: c.Seed, alpha: c.Sampler.Alpha,
		certs: make(map[float64][]analyticCert, len(w.qs)), workers: make([]passWorker, runtime.GOMAXPROCS(0))}
	for _, q := range w.qs {
		ps.certs[q] = make([]analyticCert, m)
	}
	if w.exact {
		ps.exactPts, ps.exactAttacks = make([]point, m), make([]attackRow, m)
	}
	for i := range ps.workers {
		ps.workers[i].analytic = make([]time.Duration, len(w.qs))
		ps.workers[i].whitebox = make([]time.Duration, len(w.qs))
	}
	name := passName(w)
	stage := env.progress.StartUnits(name, m, len(w.kernel))
	forEachKernel(p.models[w.lambda], p.testF, p.block, len(ps.workers), stage, ps.visit)
	ps.wall = stage.Finish()
	for _, part := range ps.parts() {
		env.stageDone(fmt.Sprintf("λ=%s: %s", tables.FormatFloat(w.lambda), part.name), part.time)
	}
	if n := ps.contradictions(); n > 0 {
		env.warn(fmt.Sprintf("%s: %d attacks succeed within a certified radius; attack.csv and summary.md list them", name, n))
	}
	return ps
}

// visit computes every certificate and attack of the pass at test point i.
func (ps *pass) visit(w, i int, alpha []float64, alphaErr float64) {
	wk := &ps.workers[w]
	rp := attacks.RidgePoint{Alpha: alpha, Y: ps.p.train.Y, Classes: ps.p.classes, AlphaErr: alphaErr}
	for j, q := range ps.work.qs {
		ps.certs[q][i] = ps.smoothed(wk, i, j, rp, q)
	}
	if ps.work.exact {
		ps.exactPts[i], ps.exactAttacks[i] = ps.ridgeExact(wk, rp)
	}
}

// smoothed is the analytic certificate at one point and q (docs/science.md
// §4, §8), its white-box radius (§14) when whitebox runs at q, and, with
// attacks on, the attack on the smoothed classifier and its sampled check
// (§11). The attack's consistency probe takes the larger radius.
func (ps *pass) smoothed(wk *passWorker, i, j int, rp attacks.RidgePoint, q float64) analyticCert {
	start := time.Now()
	cert := wk.chernoff.Certify(rp.Alpha, rp.Y, rp.Classes, q, rp.AlphaErr)
	a := analyticCert{cert: cert, point: ps.p.smoothedRow(cert, q)}
	a.white = a.point
	wk.analytic[j] += time.Since(start)
	if ps.work.white[q] && !cert.Abstain() {
		start = time.Now()
		a.white.radius = max(a.radius, wk.white.Radius(rp.Alpha, rp.Y, rp.Classes, q, rp.AlphaErr, cert.Class))
		wk.whitebox[j] += time.Since(start)
	}
	if !ps.attack {
		return a
	}
	start = time.Now()
	out, err := wk.attacker.Smoothed(rp, q, cert.Class, a.white.radius)
	if err != nil {
		wk.contradictions++ // the row shows it: flips within the radius
	}
	a.attack = rowOf(out)
	if cert.Abstain() {
		a.attack = abstained
	}
	if key, ok := ps.work.verify[q]; ok {
		a.verified = wk.attacker.Sampled(rp, q, out, attacks.Sampling{Alpha: ps.alpha, Seed: ps.seed, Purpose: key}, i)
	}
	wk.attacks += time.Since(start)
	return a
}

// ridgeExact is the exact certificate of the unsmoothed ridge classifier at
// one point (docs/science.md §9) and, with attacks on, its attack (§11).
func (ps *pass) ridgeExact(wk *passWorker, rp attacks.RidgePoint) (point, attackRow) {
	start := time.Now()
	class, r := wk.exact.Certify(rp.Alpha, rp.Y, rp.Classes, rp.AlphaErr)
	pt := point{prediction: class, logEps: math.NaN(), radius: r, radiusKL: r}
	wk.ridgeExact += time.Since(start)
	if !ps.attack {
		return pt, attackRow{}
	}
	start = time.Now()
	row := rowOf(wk.attacker.RidgeExactAfter(rp, &wk.exact))
	wk.attacks += time.Since(start)
	return pt, row
}

func (ps *pass) contradictions() int {
	n := 0
	for _, wk := range ps.workers {
		n += wk.contradictions
	}
	return n
}

// passPart is what one method family spent in a pass, as a share of its wall
// time.
type passPart struct {
	name string
	// what timed: a certificate at q (q is 0 for ridge-exact), or, when cert
	// is false, the kernel vectors or the attacks, charged to no unit
	kind tables.Kind
	q    float64
	cert bool
	time time.Duration
}

// parts splits the pass's wall time among what it computed: each family's
// summed time over the workers divided by their number, and the rest (the
// kernel vectors and the waits between blocks) as "kernel vectors". They add
// up to the wall time.
func (ps *pass) parts() []passPart {
	per := time.Duration(len(ps.workers))
	var out []passPart
	rest := ps.wall
	add := func(part passPart, sum func(wk *passWorker) time.Duration) {
		for i := range ps.workers {
			part.time += sum(&ps.workers[i])
		}
		part.time /= per
		out = append(out, part)
		rest -= part.time
	}
	for j, q := range ps.work.qs {
		add(passPart{name: "analytic q=" + tables.FormatFloat(q), kind: tables.Analytic, q: q, cert: true},
			func(wk *passWorker) time.Duration { return wk.analytic[j] })
		if ps.work.white[q] {
			add(passPart{name: "whitebox q=" + tables.FormatFloat(q), kind: tables.Whitebox, q: q, cert: true},
				func(wk *passWorker) time.Duration { return wk.whitebox[j] })
		}
	}
	if ps.work.exact {
		add(passPart{name: "ridge-exact", kind: tables.RidgeExact, cert: true}, func(wk *passWorker) time.Duration { return wk.ridgeExact })
	}
	if ps.attack {
		add(passPart{name: "attacks"}, func(wk *passWorker) time.Duration { return wk.attacks })
	}
	return append([]passPart{{name: "kernel vectors", time: max(rest, 0)}}, out...)
}

// charges reports whether a unit's cost includes the part: its own
// certificate's time, and a whitebox unit's also the analytic certificate
// it rests on at the same q.
func (part passPart) charges(u Unit) bool {
	switch {
	case !part.cert:
		return false
	case u.Method.Kind == tables.RidgeExact:
		return part.kind == tables.RidgeExact
	}
	return part.q == u.Q && (part.kind == u.Method.Kind || part.kind == tables.Analytic)
}

// output is the rows of one kernel unit and its cost: the share of the pass
// of its own certificates plus the kernel vectors, which every unit of the
// pass shares (attacks are charged to none); whitebox is charged its radii
// and the analytic certificates it rests on.
func (ps *pass) output(u Unit) output {
	m := ps.p.test.Len()
	parts := ps.parts()
	pts, rows := ps.exactPts, ps.exactAttacks
	if u.Method.Kind.Smoothed() {
		pts, rows = make([]point, m), make([]attackRow, m)
		for i, a := range ps.certs[u.Q] {
			pts[i], rows[i] = a.point, a.attack
			if u.Method.Kind == tables.Whitebox {
				pts[i] = a.white
			}
		}
	}
	seconds := parts[0].time.Seconds()
	for _, part := range parts[1:] {
		if part.charges(u) {
			seconds += part.time.Seconds()
		}
	}
	o := output{points: encodePoints(u, 0, ps.p.test.Y, pts), costs: []tables.Cost{cost(u, 0, m, seconds)}}
	if ps.attack {
		o.attack = encodeAttacks(u, 0, rows)
	}
	return o
}

// passName names the kernel pass of a λ, such as
// "λ=30000: analytic q=0.05,0.4 + ridge-exact".
func passName(w lambdaWork) string {
	if len(w.kernel) == 1 {
		return w.kernel[0].String()
	}
	var parts []string
	for _, kind := range []tables.Kind{tables.Analytic, tables.Whitebox} {
		var qs []string
		for _, u := range w.kernel {
			if u.Method.Kind == kind {
				qs = append(qs, tables.FormatFloat(u.Q))
			}
		}
		if len(qs) > 0 {
			parts = append(parts, tables.Method{Kind: kind}.String()+" q="+strings.Join(qs, ","))
		}
	}
	if w.exact {
		parts = append(parts, "ridge-exact")
	}
	if len(parts) == 0 {
		parts = append(parts, "kernel pass")
	}
	return "λ=" + tables.FormatFloat(w.lambda) + ": " + strings.Join(parts, " + ")
}
