package attacks

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/randstream"
)

// TestNoiseLaw checks the noisy labels against their law by a chi-square
// test: with αᵢ = 4ⁱ the one-hot scores spell out y′ exactly, so every label
// vector of three points in three classes can be counted.
func TestNoiseLaw(t *testing.T) {
	const classes, n, samples = 3, 3, 200000
	const q = 0.3
	alpha := []float64{1, 4, 16}
	y := []int{0, 2, 1}
	var z noise
	z.reset(q)
	src := randstream.Source(1, "noise law", 0)
	rng := rand.New(src)
	counts := map[[n]int]int{}
	scores := make([]float64, classes)
	for range samples {
		base := oneHot(nil, alpha, y, classes)
		copy(scores, base)
		z.move(src, rng, alpha, y, scores)
		var yp [n]int
		for c, s := range scores {
			for i := range n {
				if int(s)>>(2*i)&3 == 1 {
					yp[i] = c
				}
			}
		}
		counts[yp]++
	}
	p := q / (classes - 1)
	chi2, cells := 0.0, 0
	for code := range 27 {
		var yp [n]int
		want := 1.0
		for i, c := 0, code; i < n; i, c = i+1, c/classes {
			yp[i] = c % classes
			if yp[i] == y[i] {
				want *= 1 - q
			} else {
				want *= p
			}
		}
		e := want * samples
		d := float64(counts[yp]) - e
		chi2 += d * d / e
		cells++
	}
	// 26 degrees of freedom: P(χ² > 60) ≈ 2·10⁻⁴.
	if chi2 > 60 {
		t.Fatalf("χ² = %.1f over %d cells", chi2, cells)
	}
}

// TestNoiseSumRate checks the binary path: the number of changed labels of
// 1,000 points at q = 0.05 averages 50 (weights 1 count them).
func TestNoiseSumRate(t *testing.T) {
	var z noise
	z.reset(0.05)
	src := randstream.Source(2, "noise rate", 0)
	weights := make([]float64, 1000)
	for i := range weights {
		weights[i] = 1
	}
	const samples = 4000
	total := 0.0
	for range samples {
		total += z.sum(src, weights)
	}
	mean := total / samples
	// Standard error √(1000·0.05·0.95/4000) ≈ 0.11.
	if math.Abs(mean-50) > 0.6 {
		t.Fatalf("mean changes %.3f, want 50", mean)
	}
}

// binomialUpper returns P(Bin(n, p) ≥ k).
func binomialUpper(n, k int, p float64) float64 {
	s := 0.0
	for j := k; j <= n; j++ {
		s += binomialPMF(n, j, p)
	}
	return s
}

func binomialPMF(n, j int, p float64) float64 {
	lg, _ := math.Lgamma(float64(n + 1))
	la, _ := math.Lgamma(float64(j + 1))
	lb, _ := math.Lgamma(float64(n - j + 1))
	return math.Exp(lg - la - lb + float64(j)*math.Log(p) + float64(n-j)*math.Log1p(-p))
}

// TestSampledFalseProofs verifies a class whose probability is just below ½:
// proofs must be at most as frequent as alpha allows. One point with α = 1
// labelled 1 gives class 0 probability q = 0.49 (the binary rule); 101
// points of weight 1/101, 50 of them labelled 1, give class 1 probability
// P(Bin(50, 0.55) + Bin(51, 0.45) ≥ 51) at q = 0.45, computed below.
func TestSampledFalseProofs(t *testing.T) {
	const seeds, alpha = 1000, 0.1
	one := RidgePoint{Alpha: []float64{1}, Y: []int{1}, Classes: 2}
	wide := RidgePoint{Alpha: make([]float64, 101), Y: make([]int, 101), Classes: 2}
	for i := range wide.Alpha {
		wide.Alpha[i] = 1.0 / 101
		if i < 50 {
			wide.Y[i] = 1
		}
	}
	pWide := 0.0
	for kept := 0; kept <= 50; kept++ {
		pWide += binomialPMF(50, kept, 0.55) * binomialUpper(51, 51-kept, 0.45)
	}
	if !(pWide > 0.45 && pWide < 0.5) {
		t.Fatalf("class 1 has probability %v, not just below ½", pWide)
	}
	// At most alpha per seed: more proofs than limit happen with probability
	// below 10⁻⁴.
	limit := 0
	for binomialUpper(seeds, limit+1, alpha) > 1e-4 {
		limit++
	}
	for _, tc := range []struct {
		name string
		p    RidgePoint
		q    float64
		to   int
	}{
		{"one point", one, 0.49, 0},
		{"101 points", wide, 0.45, 1},
	} {
		var a Attacker
		proofs := 0
		for seed := range seeds {
			claim := Outcome{Flips: 0, To: tc.to}
			out := a.Sampled(tc.p, tc.q, claim, Sampling{Alpha: alpha, Seed: uint64(seed), Purpose: tc.name, AsGiven: true}, 0)
			if out.Proven {
				proofs++
			}
		}
		if proofs > limit {
			t.Errorf("%s: %d false proofs in %d seeds at alpha = %g (limit %d)", tc.name, proofs, seeds, alpha, limit)
		}
		t.Logf("%s: %d false proofs in %d seeds (limit %d)", tc.name, proofs, seeds, limit)
	}
}

// TestSampledProves verifies classes of probability 0.9 and more: the
// proofs come, from the first look on.
func TestSampledProves(t *testing.T) {
	var a Attacker
	p := RidgePoint{Alpha: []float64{0.25, 0.25, 0.25, 0.25}, Y: []int{0, 2, 2, 2}, Classes: 3}
	// Class 2 needs two of its three labels kept... P ≥ 0.9 at q = 0.05.
	for seed := range 50 {
		out := a.Sampled(p, 0.05, Outcome{Flips: 0, To: 2}, Sampling{Alpha: 0.001, Seed: uint64(seed), Purpose: "proves", AsGiven: true}, 7)
		if !out.Proven {
			t.Fatalf("seed %d: not proven after %d samples", seed, out.Probes)
		}
	}
	// No attack, nothing to verify.
	if out := a.Sampled(p, 0.05, Outcome{Flips: -1, To: -1}, Sampling{Alpha: 0.001}, 7); out.Proven || out.Probes != 0 {
		t.Fatalf("outcome %+v without an attack", out)
	}
	// A kernel error as large as every margin leaves no vote that counts.
	p.AlphaErr = 1
	if out := a.Sampled(p, 0.05, Outcome{Flips: 0, To: 2}, Sampling{Alpha: 0.001, Purpose: "denied", AsGiven: true}, 7); out.Proven {
		t.Fatal("proven with a kernel error of 1")
	}
}

// TestSampledDeterministic: equal keys give equal verdicts and sample counts.
func TestSampledDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	alpha, y := gaussianKernel(rng, 3000, 2)
	p := RidgePoint{Alpha: alpha, Y: y, Classes: 2}
	var a, b Attacker
	claim := Outcome{Flips: 0, To: exactClass(alpha, y, 2)}
	cfg := Sampling{Alpha: 0.01, Seed: 3, Purpose: "same", First: 16, Max: 256, AsGiven: true}
	for i := range 20 {
		x, z := a.Sampled(p, 0.2, claim, cfg, i), b.Sampled(p, 0.2, claim, cfg, i)
		if x.Proven != z.Proven || x.Probes != z.Probes {
			t.Fatalf("point %d: %+v and %+v", i, x, z)
		}
	}
}

// TestSampledExtends verifies Smoothed outcomes as a run does: the prefix
// verified continues the smoothed attack's relabellings along the greedy
// order, is proven within a few looks, and leaves the smoothed outcome's
// relabellings as they were.
func TestSampledExtends(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	var a Attacker
	for trial := range 6 {
		classes := 2 + trial%2
		alpha, y := gaussianKernel(rng, 1500, classes)
		for i := range y {
			if rng.Float64() < 0.5 {
				y[i] = 0
			}
		}
		q := []float64{0.05, 0.2, 0.4}[trial/2]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: 1e-12}
		class := exactClass(alpha, y, classes)
		out, err := a.Smoothed(p, q, class, -1)
		if err != nil || out.Flips < 0 {
			t.Fatalf("trial %d: smoothed attack %+v, %v", trial, out, err)
		}
		before := slices.Clone(out.Relabels)
		v := a.Sampled(p, q, out, Sampling{Alpha: 0.001, Seed: 1, Purpose: "extends"}, trial)
		order := Order(alpha, y, classes, out.From, out.To)
		if v.Flips < out.Flips || !slices.Equal(v.Relabels, order[:v.Flips]) || !slices.Equal(out.Relabels, before) {
			t.Fatalf("trial %d: verified %d relabelings %v of smoothed %d", trial, v.Flips, v.Relabels, out.Flips)
		}
		if !v.Proven || v.Probes > 128 {
			t.Errorf("trial %d (K = %d, q = %g): %d flips (smoothed %d), proven %v after %d samples", trial, classes, q, v.Flips, out.Flips, v.Proven, v.Probes)
		}
		t.Logf("K = %d q = %g: smoothed %d flips, sampled %d, %d samples", classes, q, out.Flips, v.Flips, v.Probes)
	}
}
