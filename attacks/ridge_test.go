package attacks

import (
	"math/rand/v2"
	"testing"

	"flipcert/exact"
)

// gaussianKernel draws a kernel vector without near-ties: Gaussian weights
// summing to about 1, and random labels.
func gaussianKernel(rng *rand.Rand, n, classes int) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range n {
		alpha[i] = (1 + 3*rng.NormFloat64()) / float64(n)
		y[i] = rng.IntN(classes)
	}
	return alpha, y
}

// exactClass is the unsmoothed ridge classifier written out: the binary rule
// for K = 2, the argmax with ties to the lowest index otherwise.
func exactClass(alpha []float64, y []int, classes int) int {
	s := make([]float64, classes)
	for i, a := range alpha {
		s[y[i]] += a
	}
	if classes == 2 {
		if s[1] >= 0.5 {
			return 1
		}
		return 0
	}
	c := 0
	for k := range s {
		if s[k] > s[c] {
			c = k
		}
	}
	return c
}

// applied returns y with the relabelings applied, checking that they touch
// distinct points and really change their labels.
func applied(t *testing.T, y []int, rs []Relabel) []int {
	t.Helper()
	out := append([]int(nil), y...)
	seen := map[int]bool{}
	for _, r := range rs {
		if seen[r.Index] || r.To == y[r.Index] {
			t.Fatalf("relabeling %+v repeats a point or keeps its label %d", r, y[r.Index])
		}
		seen[r.Index] = true
		out[r.Index] = r.To
	}
	return out
}

func TestRidgeExactIsRadiusPlusOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var a Attacker
	var cert exact.Certifier
	found := 0
	for trial := range 400 {
		classes := 2 + trial%3
		n := 5 + rng.IntN(500)
		alpha, y := gaussianKernel(rng, n, classes)
		alphaErr := 0.0
		if trial%2 == 1 {
			alphaErr = 1e-12
		}
		class, radius := cert.Certify(alpha, y, classes, alphaErr)
		out := a.RidgeExact(RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: alphaErr})
		if out.From != class {
			t.Fatalf("trial %d: attacks class %d, the certificate's is %d", trial, out.From, class)
		}
		if radius == n {
			if out.Flips != -1 {
				t.Fatalf("trial %d: radius n = %d but an attack of %d flips", trial, n, out.Flips)
			}
			continue
		}
		found++
		if out.Flips != radius+1 || !out.Proven || len(out.Relabels) != out.Flips {
			t.Fatalf("trial %d (K = %d, n = %d): %d flips (proven %v, %d relabelings), radius %d",
				trial, classes, n, out.Flips, out.Proven, len(out.Relabels), radius)
		}
		if got := exactClass(alpha, applied(t, y, out.Relabels), classes); got == class || got != out.To {
			t.Fatalf("trial %d: attacked labels give class %d (reported %d), clean %d", trial, got, out.To, class)
		}
	}
	if found < 300 {
		t.Fatalf("only %d of 400 trials had an attack", found)
	}
}

// TestRidgeExactIsMinimal compares with brute force over every relabeling of
// a few points: no fewer changes alter the exact classifier's class.
func TestRidgeExactIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var a Attacker
	for trial := range 60 {
		classes := 2 + trial%2
		n := 3 + rng.IntN(5)
		alpha, y := gaussianKernel(rng, n, classes)
		out := a.RidgeExact(RidgePoint{Alpha: alpha, Y: y, Classes: classes})
		class := exactClass(alpha, y, classes)
		best := -1
		z := make([]int, n)
		for code := 0; ; code++ {
			c, dist := code, 0
			for i := range z {
				z[i] = c % classes
				c /= classes
				if z[i] != y[i] {
					dist++
				}
			}
			if c > 0 {
				break
			}
			if exactClass(alpha, z, classes) != class && (best < 0 || dist < best) {
				best = dist
			}
		}
		if out.Flips != best {
			t.Fatalf("trial %d (K = %d, n = %d): attack of %d flips, fewest possible %d", trial, classes, n, out.Flips, best)
		}
	}
}

// TestRidgeExactMarginDenies checks that a kernel error as large as the
// whole margin leaves nothing proven.
func TestRidgeExactMarginDenies(t *testing.T) {
	var a Attacker
	alpha := []float64{0.25, 0.25, 0.25, 0.25}
	y := []int{1, 1, 1, 0}
	out := a.RidgeExact(binaryPoint(alpha, y, 10))
	if out.Flips != -1 || out.Proven {
		t.Fatalf("attack %+v with a kernel error of 10", out)
	}
	out = a.RidgeExact(binaryPoint(alpha, y, 0))
	// s = ¾; two changes give s = ¼ < ½, one gives exactly ½, still class 1.
	if out.Flips != 2 || !out.Proven || out.To != 0 {
		t.Fatalf("attack %+v, want 2 proven flips to class 0", out)
	}
}

// binaryPoint is a two-class RidgePoint.
func binaryPoint(alpha []float64, y []int, alphaErr float64) RidgePoint {
	return RidgePoint{Alpha: alpha, Y: y, Classes: 2, AlphaErr: alphaErr}
}
