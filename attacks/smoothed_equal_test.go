package attacks

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/analytic"
	"flipcert/internal/mnisttest"
	"flipcert/whitebox"

	"gonum.org/v1/gonum/mat"
)

// sameAttack attacks p at q with a and with the reference ref, and fails
// unless both give the same outcome (Probes aside) and the same error.
func sameAttack(t *testing.T, a *Attacker, ref *refAttacker, p RidgePoint, q float64, class, r int, what string) Outcome {
	t.Helper()
	got, gotErr := a.Smoothed(p, q, class, r)
	want, wantErr := ref.smoothed(p, q, class, r)
	if got.Flips != want.Flips || got.Proven != want.Proven || got.From != want.From || got.To != want.To ||
		!slices.Equal(got.Relabels, want.Relabels) || errors.Is(gotErr, ErrContradiction) != errors.Is(wantErr, ErrContradiction) ||
		(gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s (K = %d, n = %d, q = %g, class %d, radius %d): outcome %d flips (proven %v, %d → %d, error %v), the reference %d flips (proven %v, %d → %d, error %v)",
			what, p.Classes, len(p.Alpha), q, class, r, got.Flips, got.Proven, got.From, got.To, gotErr, want.Flips, want.Proven, want.From, want.To, wantErr)
	}
	return got
}

// equalKernel draws a kernel vector of one of several shapes: Gaussian
// weights around 1/n; heavy-tailed ones (a few points carry most of the
// weight, so that Berry–Esseen is weak and Chernoff decides); dyadic weights
// with exact ties and zeros; and near-ties (weights a few ulps apart).
// Labels lean towards one class with probability lean.
func equalKernel(rng *rand.Rand, n, classes, shape int, lean float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	major := rng.IntN(classes)
	for i := range n {
		switch shape {
		case 0:
			alpha[i] = (1 + 2*rng.NormFloat64()) / float64(n)
		case 1:
			alpha[i] = (1 + rng.NormFloat64()) / float64(n)
			if rng.IntN(50) == 0 {
				alpha[i] *= 40 * rng.ExpFloat64()
			}
		case 2:
			alpha[i] = float64(rng.IntN(7)-1) / float64(4*n)
		default:
			alpha[i] = math.Nextafter(1/float64(n), float64(rng.IntN(3)-1))
			if rng.IntN(10) == 0 {
				alpha[i] = -alpha[i]
			}
		}
		y[i] = rng.IntN(classes)
		if rng.Float64() < lean {
			y[i] = major
		}
	}
	return alpha, y
}

// TestSmoothedEqualsReference holds the smoothed attack to the reference
// (the attack as written before its probes were made cheap) on random and
// adversarial problems: two, three and ten classes; Gaussian, heavy-tailed,
// tied and near-tied weights with zeros; q from tiny to near its limit;
// kernel errors from none to ones that erase the margin; and radii −1, 0,
// 1, the run's, beyond every move and at the attack's own size (a
// contradiction). Class is the analytic certificate's, also when it
// abstains, and sometimes another class.
func TestSmoothedEqualsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	var a Attacker
	var ref refAttacker
	var cz analytic.Certifier
	var wz whitebox.Certifier
	trials := 1500
	if testing.Short() {
		trials = 300
	}
	found := 0
	for trial := range trials {
		classes := []int{2, 3, 10}[trial%3]
		n := []int{12, 60, 400, 2500}[rng.IntN(4)]
		shape := rng.IntN(4)
		alpha, y := equalKernel(rng, n, classes, shape, rng.Float64())
		hi := float64(classes-1) / float64(classes)
		q := []float64{1e-4, 0.01, 0.05, 0.2, 0.4, hi * 0.999}[rng.IntN(6)]
		alphaErr := []float64{0, 1e-12, 1e-6, 1e-3, 0.3}[rng.IntN(5)]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: alphaErr}
		cert := cz.Certify(alpha, y, classes, q, alphaErr)
		class := cert.Class
		if rng.IntN(8) == 0 {
			class = rng.IntN(classes)
		}
		r := -1
		if !cert.Abstain() && class == cert.Class {
			r = wz.Radius(alpha, y, classes, q, alphaErr, class)
		}
		what := fmt.Sprintf("trial %d (shape %d, E = %g)", trial, shape, alphaErr)
		out := sameAttack(t, &a, &ref, p, q, class, r, what)
		if out.Flips >= 0 {
			found++
		}
		for _, r := range []int{-1, 0, 1, n + 5, out.Flips, rng.IntN(n)} {
			if rng.IntN(3) == 0 {
				sameAttack(t, &a, &ref, p, q, class, r, what)
			}
		}
	}
	t.Logf("%d of %d attacks found", found, trials)
	if found < trials/3 {
		t.Fatalf("only %d of %d attacks found: the cases do not exercise the search", found, trials)
	}
}

// TestSmoothedEqualsReferenceMNIST17 compares the attack with the reference
// on the first MNIST 1/7 test points at several q, each given the radius a
// run passes (the larger of the Neyman-Pearson and white-box radii) and −1.
func TestSmoothedEqualsReferenceMNIST17(t *testing.T) {
	points := 256
	if testing.Short() {
		points = 32
	}
	model, y, test := mnisttest.Ridge17(t)
	_, d := test.Dims()
	alpha := mat.NewDense(points, len(y), nil)
	errs := make([]float64, points)
	model.Kernel(alpha, test.Slice(0, points, 0, d).(*mat.Dense), errs)
	point := func(i int) RidgePoint {
		return RidgePoint{Alpha: alpha.RawRowView(i), Y: y, Classes: 2, AlphaErr: errs[i]}
	}
	var a Attacker
	var ref refAttacker
	for _, q := range []float64{0.001, 0.05, 0.4} {
		for i, c := range attackCases(t, points, 2, q, point) {
			what := fmt.Sprintf("MNIST 1/7 point %d", i)
			sameAttack(t, &a, &ref, point(i), q, c.cert.Class, c.radius(), what)
			if i%4 == 0 {
				sameAttack(t, &a, &ref, point(i), q, c.cert.Class, -1, what)
			}
		}
	}
}

// TestSmoothedEqualsReferenceMNIST10 compares the attack with the reference
// on full-MNIST test points (ten classes) at the q of configs/mnist10.yaml
// and a large one, each given the radius a run passes, and a quarter of
// them also −1 and the attack's own size.
func TestSmoothedEqualsReferenceMNIST10(t *testing.T) {
	if testing.Short() {
		t.Skip("the full-MNIST fixture takes seconds to build")
	}
	r := fixtureMNIST10(t)
	const points = 100
	var a Attacker
	var ref refAttacker
	for _, q := range mnist10Q {
		for i, c := range attackCases(t, points, 10, q, r.point) {
			what := fmt.Sprintf("MNIST point %d", i)
			out := sameAttack(t, &a, &ref, r.point(i), q, c.cert.Class, c.radius(), what)
			if i%4 == 0 {
				sameAttack(t, &a, &ref, r.point(i), q, c.cert.Class, -1, what)
				sameAttack(t, &a, &ref, r.point(i), q, c.cert.Class, out.Flips, what)
			}
		}
	}
}

// TestSampledEqualsReference holds the sampled verification to the
// reference on the outcomes of the smoothed attack: straight after it (the
// order it built extended), after a ridge-exact attack in between (the
// order built anew), twice in a row, for an outcome between other classes,
// and as given; the samples, and so every field, must agree.
func TestSampledEqualsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	var a Attacker
	var ref refAttacker
	var cz analytic.Certifier
	trials := 300
	if testing.Short() {
		trials = 60
	}
	for trial := range trials {
		classes := []int{2, 3, 10}[trial%3]
		n := []int{20, 300, 2000}[rng.IntN(3)]
		alpha, y := equalKernel(rng, n, classes, rng.IntN(4), rng.Float64())
		q := []float64{0.01, 0.05, 0.2}[rng.IntN(3)]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: []float64{0, 1e-9}[rng.IntN(2)]}
		cert := cz.Certify(alpha, y, classes, q, p.AlphaErr)
		out := sameAttack(t, &a, &ref, p, q, cert.Class, -1, fmt.Sprintf("trial %d", trial))
		out.Relabels = slices.Clone(out.Relabels) // the attackers' memory is reused
		cfg := Sampling{Alpha: 0.01, Seed: uint64(trial), Purpose: "equal", First: 8, Max: 64}
		check := func(what string, got, want Outcome) {
			t.Helper()
			if got.Flips != want.Flips || got.Proven != want.Proven || got.Probes != want.Probes || got.From != want.From ||
				got.To != want.To || !slices.Equal(got.Relabels, want.Relabels) {
				t.Fatalf("trial %d (K = %d, n = %d, q = %g), %s: %+v, the reference %+v", trial, classes, n, q, what, got, want)
			}
		}
		scenario := rng.IntN(4)
		switch scenario {
		case 1: // a ridge-exact attack in between leaves the order unknown
			a.RidgeExact(p)
			ref.rankOf = rankKey{}
		case 2: // an outcome between other classes
			if out.Flips >= 0 && classes > 2 {
				other := out
				other.To = (out.From + 1 + rng.IntN(classes-1)) % classes
				other.Relabels, other.Flips = nil, 0
				check("another pair", a.Sampled(p, q, other, cfg, trial), ref.sampled(p, q, other, cfg, trial))
			}
		case 3:
			asGiven := cfg
			asGiven.AsGiven = true
			check("as given", a.Sampled(p, q, out, asGiven, trial), ref.sampled(p, q, out, asGiven, trial))
		}
		check("extended", a.Sampled(p, q, out, cfg, trial), ref.sampled(p, q, out, cfg, trial))
		check("again", a.Sampled(p, q, out, cfg, trial), ref.sampled(p, q, out, cfg, trial))
	}
}

// TestQuickAgreesWithExact probes every prefix around the attack's answer,
// and a spread of others, both ways: where the probe is decided without a
// pass over the points it must agree with the pass, and the pass with the
// reference's probe. At least half of these probes, which lie near the
// answer where the white-box bounds are most often needed, must be decided
// without a pass.
func TestQuickAgreesWithExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	var a Attacker
	var ref refAttacker
	var cz analytic.Certifier
	quick, total := 0, 0
	for trial := range 60 {
		classes := []int{2, 3, 10}[trial%3]
		n := []int{50, 400, 3000}[rng.IntN(3)]
		alpha, y := equalKernel(rng, n, classes, rng.IntN(4), 0.3+0.5*rng.Float64())
		hi := float64(classes-1) / float64(classes)
		q := []float64{1e-3, 0.05, 0.3, hi * 0.9}[rng.IntN(4)]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: []float64{0, 1e-6}[rng.IntN(2)]}
		cert := cz.Certify(alpha, y, classes, q, p.AlphaErr)
		out := sameAttack(t, &a, &ref, p, q, cert.Class, -1, fmt.Sprintf("trial %d", trial))
		// A search set up as Smoothed sets it up, and the reference's.
		s := search{a: &a, g: &a.sums.probe.order, p: p, q: q, class: cert.Class}
		s.scan()
		s.chooseRival()
		s.g.pair(p, s.class, s.rival)
		s.mu = margin(p.AlphaErr, n, s.abs)
		rs := refSearch{a: &ref, rank: &ref.rank, p: p, q: q, class: s.class, rival: s.rival, abs: s.abs, maxAbs: s.maxAbs, mu: s.mu}
		ref.rank.build(alpha, y, classes, s.class, s.rival)
		ref.startLabels(y)
		size := s.g.size()
		var rs2 []int
		for r := max(out.Flips-20, 0); r <= min(out.Flips+20, size); r++ {
			rs2 = append(rs2, r)
		}
		for range 10 {
			rs2 = append(rs2, rng.IntN(size+1))
		}
		for _, r := range rs2 {
			want := rs.proof(r)
			if exact := s.exact(r); exact != want {
				t.Fatalf("trial %d (K = %d, n = %d, q = %g): the pass at %d says %v, the reference %v", trial, classes, n, q, r, exact, want)
			}
			total++
			if got, ok := s.quick(r); ok {
				quick++
				if got != want {
					t.Fatalf("trial %d (K = %d, n = %d, q = %g): the quick probe at %d says %v, the reference %v", trial, classes, n, q, r, got, want)
				}
			}
		}
	}
	t.Logf("%d of %d probes decided without a pass", quick, total)
	if quick < total/2 {
		t.Fatalf("only %d of %d probes decided without a pass", quick, total)
	}
}

// TestReplayIsReference checks that the calls the attack records bring
// package ranked to the state the reference attack leaves its order in,
// move for move, and that the exact crossing problem is the reference's,
// so that the rare crossing the attack leaves to ranked is the reference's.
func TestReplayIsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	var a Attacker
	var ref refAttacker
	var cz analytic.Certifier
	var rk ranked
	for trial := range 100 {
		classes := []int{2, 3, 10}[trial%3]
		n := []int{30, 500}[rng.IntN(2)]
		alpha, y := equalKernel(rng, n, classes, rng.IntN(4), rng.Float64())
		q := []float64{0.01, 0.1}[rng.IntN(2)]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes}
		cert := cz.Certify(alpha, y, classes, q, 0)
		r := []int{-1, 1, n / 10}[rng.IntN(3)]
		out := sameAttack(t, &a, &ref, p, q, cert.Class, r, fmt.Sprintf("trial %d", trial))
		s := search{a: &a, g: &a.sums.probe.order, p: p, q: q, class: out.From, rival: a.sums.probe.order.rival, record: true}
		s.replay(&rk)
		if !slices.Equal(rk.moves, ref.rank.moves) || rk.sorted != ref.rank.sorted || rk.selected != ref.rank.selected || rk.total != ref.rank.total {
			t.Fatalf("trial %d (K = %d, n = %d): the replayed order differs from the reference's", trial, classes, n)
		}
		rs := refSearch{a: &ref, rank: &ref.rank, p: p, q: q, class: s.class, rival: s.rival}
		for _, be := range []bool{false, true} {
			v, th := s.exactTarget(q, be)
			if rv, rt := refTarget(&rs, be); v != rv || th != rt {
				t.Fatalf("trial %d: crossing problem (%v, %v), the reference's (%v, %v)", trial, v, th, rv, rt)
			}
			// ranked's crossing from the state the attack left it in, as
			// Sampled would ask it, and the reference's.
			got := s.rankedCrossing(be)
			want := ref.rank.crossing(v, th)
			if got != want {
				t.Fatalf("trial %d: ranked's crossing %d, the reference's %d", trial, got, want)
			}
			s.note(rankCall{r: -1, berryEsseen: be, q: q}) // as the reference's order has seen it
		}
	}
}

// TestSmoothedDoesNotAllocate checks that an Attacker that has attacked a
// problem once attacks it again, and verifies the outcome by sampling,
// without allocating: the white-box bounds, the passes and the ranked
// fallback included.
func TestSmoothedDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	var cz analytic.Certifier
	for _, classes := range []int{2, 3, 10} {
		for _, q := range []float64{0.01, 0.3} {
			alpha, y := equalKernel(rng, 3000, classes, 1, 0.6)
			p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: 1e-9}
			class := cz.Certify(alpha, y, classes, q, p.AlphaErr).Class
			var a Attacker
			attack := func() {
				out, _ := a.Smoothed(p, q, class, 1)
				ps := &a.sums.probe
				s := search{a: &a, g: &ps.order, p: p, q: q, class: class, rival: ps.order.rival, record: true,
					total: ps.total, abs: ps.abs, maxAbs: ps.maxAbs, mu: margin(p.AlphaErr, len(alpha), ps.abs)}
				for r := max(out.Flips-3, 0); r <= out.Flips+3 && out.Flips > 0; r++ {
					s.exact(r) // the pass and, near the answer, the white-box bounds
				}
				s.rankedCrossing(true)
			}
			attack()
			if n := testing.AllocsPerRun(5, attack); n != 0 {
				t.Errorf("K = %d, q = %g: %v allocations per attack", classes, q, n)
			}
		}
	}
}

// TestSmoothedEqualsReferenceEdges compares the attack with the reference
// on degenerate problems: one or two points, every weight zero, every label
// one class, classes with no points, one weight far above the rest, and
// weights at the ends of the exponent range.
func TestSmoothedEqualsReferenceEdges(t *testing.T) {
	var a Attacker
	var ref refAttacker
	cases := []struct {
		alpha []float64
		y     []int
		k     int
	}{
		{[]float64{1}, []int{0}, 2},
		{[]float64{0.7}, []int{1}, 3},
		{[]float64{0.6, 0.4}, []int{0, 1}, 2},
		{[]float64{0, 0, 0, 0}, []int{0, 1, 2, 0}, 3},
		{[]float64{0.2, 0.3, 0.5, -0.1, 0.1}, []int{2, 2, 2, 2, 2}, 3},
		{[]float64{0.25, 0.25, 0.25, 0.25}, []int{0, 0, 9, 9}, 10},
		{[]float64{0.9, 1e-9, 2e-9, -1e-9, 3e-9, 0.1}, []int{0, 1, 2, 1, 2, 1}, 3},
		{[]float64{0x1p-1070, 0x1p-1065, -0x1p-1068, 0x1p-1060}, []int{0, 1, 0, 1}, 2},
		{[]float64{0x1p1000, 0x1p998, -0x1p999, 0x1p1001}, []int{0, 1, 2, 1}, 3},
	}
	for i, c := range cases {
		for _, q := range []float64{0.01, 0.3} {
			if q >= float64(c.k-1)/float64(c.k) {
				continue
			}
			p := RidgePoint{Alpha: c.alpha, Y: c.y, Classes: c.k}
			for class := range c.k {
				for _, r := range []int{-1, 0, 1, 3} {
					sameAttack(t, &a, &ref, p, q, class, r, fmt.Sprintf("edge case %d", i))
				}
			}
		}
	}
}
