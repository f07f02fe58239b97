package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/exact"
	"flipcert/internal/kerneltest"
	"flipcert/internal/roundoff"
)

// refRidgeExact is RidgeExact as it was before exact.Greedy: every rival's
// moves collected and its crossing selected, the fewest kept. The fast path
// must reproduce its outcomes bit for bit.
func refRidgeExact(a *Attacker, p RidgePoint) Outcome {
	p.check()
	n, k := len(p.Alpha), p.Classes
	a.scores = oneHot(a.scores, p.Alpha, p.Y, k)
	class := top(a.scores, k)
	abs := 0.0
	for _, v := range p.Alpha {
		abs += math.Abs(v)
	}
	mu := margin(p.AlphaErr, n, abs)
	best := -1
	for j := range k {
		if j == class {
			continue
		}
		v := a.scores[class] - a.scores[j]
		if k == 2 {
			v = 2 * (a.scores[1] - 0.5)
			if class == 0 {
				v = -v
			}
		}
		a.spare.build(p.Alpha, p.Y, k, class, j)
		if m := a.spare.crossing(v, -scale(k)*mu); m >= 0 && (best < 0 || m < best) {
			best = m
			a.rank, a.spare = a.spare, a.rank
		}
	}
	if best < 0 {
		return none(class)
	}
	a.startLabels(p.Y)
	for tries := 0; ; tries++ {
		a.apply(p.Y, best)
		a.scores = oneHot(a.scores, p.Alpha, a.labels, k)
		if proven := overturned(a.scores, k, class, mu); proven || tries == 16 || best == len(a.rank.moves) {
			return a.outcome(best, proven, class, top(a.scores, k))
		}
		best++
	}
}

// nearMargin returns a kernel error E that puts the attack's threshold −μ
// against a random rival within a few ulps of the margin s_class − s_rival
// after some prefix of the greedy order, so that the order of summation
// decides, or ok = false if no prefix is past −8γΣ|α|. decided reports
// whether a plain walk over the sorted moves crosses elsewhere than
// ranked.crossing.
func nearMargin(rng *rand.Rand, alpha []float64, y []int, classes int) (alphaErr float64, ok, decided bool) {
	s := oneHot(nil, alpha, y, classes)
	class := top(s, classes)
	rival := (class + 1 + rng.IntN(classes-1)) % classes
	abs := 0.0
	for _, a := range alpha {
		abs += math.Abs(a)
	}
	floor := 8 * roundoff.Gamma(4*len(alpha)) * abs
	v := s[class] - s[rival]
	if classes == 2 {
		v = 2 * (s[1] - 0.5)
		if class == 0 {
			v = -v
		}
	}
	var r ranked
	r.build(alpha, y, classes, class, rival)
	moves := r.prefix(len(r.moves))
	x := v
	var past []float64
	for _, m := range moves {
		if x -= m.gain; x < -floor {
			past = append(past, x)
		}
	}
	if len(past) == 0 {
		return 0, false, false
	}
	x = past[rng.IntN(min(len(past), 20))]
	e := -x/scale(classes) - floor + float64(rng.IntN(17)-8)*0x1p-53*(math.Abs(s[class])+math.Abs(s[rival]))
	if e < 0 {
		return 0, false, false
	}
	t := -scale(classes) * margin(e, len(alpha), abs)
	walk, x := -1, v
	for k, m := range moves {
		if x -= m.gain; x < t {
			walk = k + 1
			break
		}
	}
	r.build(alpha, y, classes, class, rival)
	return e, true, walk != r.crossing(v, t)
}

// TestRidgeExactMatchesWalk compares RidgeExact with the computation it
// replaced on random and adversarial points: realistic weights, exact ties,
// zeros, decimal weights whose sums round, extreme scales, and kernel
// errors that put the threshold within rounding of a partial margin.
func TestRidgeExactMatchesWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	var a, after, ref Attacker
	var cert exact.Certifier
	decimals := []float64{0.1, 0.2, 0.3, 0.7, 0.05, -0.1, -0.3, 0}
	cases, decided := 0, 0
	var last RidgePoint
	check := func(name string, p RidgePoint) {
		t.Helper()
		cases++
		want := refRidgeExact(&ref, p)
		want.Relabels = slices.Clone(want.Relabels)
		// RidgeExactAfter with the certificate of this point, or of the
		// last one, which it must notice.
		if cases%3 != 0 {
			cert.Certify(p.Alpha, p.Y, p.Classes, p.AlphaErr)
		} else if len(last.Y) > 0 {
			cert.Certify(last.Alpha, last.Y, last.Classes, last.AlphaErr)
		}
		last = p
		for _, got := range []Outcome{a.RidgeExact(p), after.RidgeExactAfter(p, &cert)} {
			if got.Flips != want.Flips || got.Proven != want.Proven || got.From != want.From || got.To != want.To ||
				!slices.Equal(got.Relabels, want.Relabels) {
				t.Fatalf("%s (K = %d, n = %d, E = %g): %+v, before %+v", name, p.Classes, len(p.Y), p.AlphaErr, got, want)
			}
		}
	}
	for _, classes := range []int{2, 3, 4, 10} {
		for trial := range 40 {
			n := []int{1, 3, 40, 700, 5000}[trial%5]
			alpha, y := kerneltest.RidgeLike(rng, n, classes)
			check("realistic", RidgePoint{alpha, y, classes, []float64{0, 1e-12, 1e-4}[trial%3]})
			alpha, y = randomKernel(rng, n, classes)
			check("ties and zeros", RidgePoint{alpha, y, classes, 0})
			for i := range alpha {
				alpha[i] = decimals[rng.IntN(len(decimals))] / float64(n)
			}
			check("decimals", RidgePoint{alpha, y, classes, 0})
			for _, scale := range []float64{0x1p-1040, 0x1p-985, 0x1p600} {
				s := make([]float64, n)
				for i, v := range alpha {
					s[i] = v * scale
				}
				check(fmt.Sprintf("scale %g", scale), RidgePoint{s, y, classes, 0})
			}
		}
		for range 150 {
			alpha, y := kerneltest.RidgeLike(rng, 500+rng.IntN(3000), classes)
			for i := range alpha {
				alpha[i] = math.Round(alpha[i]*float64(len(alpha))*10) / 10 / float64(len(alpha))
			}
			if e, ok, order := nearMargin(rng, alpha, y, classes); ok {
				check("threshold at a partial margin", RidgePoint{alpha, y, classes, e})
				if order {
					decided++
				}
			}
		}
	}
	for range 4 {
		alpha, y := kerneltest.RidgeLike(rng, 50000, 10)
		check("MNIST-sized", RidgePoint{alpha, y, 10, 1e-11})
	}
	t.Logf("%d points compared; at %d the order of summation decides a crossing", cases, decided)
	if decided < 10 {
		t.Errorf("the order of summation decides only %d crossings: the test lost its teeth", decided)
	}
}

// TestRidgeExactMatchesWalkMNIST10 compares RidgeExact with the computation
// it replaced on real kernel vectors of full MNIST (see mnist10).
func TestRidgeExactMatchesWalkMNIST10(t *testing.T) {
	if testing.Short() {
		t.Skip("loads full MNIST")
	}
	f, err := loadMNIST10()
	if err != nil {
		t.Fatal(err)
	}
	var a, ref Attacker
	var c exact.Certifier
	for i := range mnist10Points {
		p := f.point(i)
		want := refRidgeExact(&ref, p)
		got := a.RidgeExact(p)
		if got.Flips != want.Flips || got.Proven != want.Proven || got.To != want.To || !slices.Equal(got.Relabels, want.Relabels) {
			t.Fatalf("test point %d: %+v, before %+v", i, got, want)
		}
		if _, r := c.Certify(p.Alpha, p.Y, 10, p.AlphaErr); got.Flips != r+1 {
			t.Errorf("test point %d: %d flips against a radius of %d", i, got.Flips, r)
		}
	}
}
