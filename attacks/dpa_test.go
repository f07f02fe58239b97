package attacks

import (
	"math/rand/v2"
	"testing"

	"flipcert/dpa"
	"flipcert/parallel"

	"gonum.org/v1/gonum/mat"
)

// dpaData draws n points with d−1 Gaussian features and an intercept column;
// the label is the largest of the first K features plus noise (the sign of
// the first for K = 2).
func dpaData(rng *rand.Rand, n, d, classes int) (*mat.Dense, []int) {
	phi := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := range n {
		for j := range d - 1 {
			phi.Set(i, j, rng.NormFloat64())
		}
		phi.Set(i, d-1, 1)
		if classes == 2 {
			if phi.At(i, 0)+0.5*rng.NormFloat64() > 0 {
				y[i] = 1
			}
			continue
		}
		best := -1e9
		for c := range classes {
			if v := phi.At(i, c) + 0.5*rng.NormFloat64(); v > best {
				best, y[i] = v, c
			}
		}
	}
	return phi, y
}

// TestDPAAttackRefitted applies each attack, fits a new ensemble on the
// attacked labels and checks that its vote at the point has changed, and
// that every attack exceeds the certified radius.
func TestDPAAttackRefitted(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, tc := range []struct{ classes, n, k int }{{2, 800, 16}, {3, 900, 12}} {
		const d, m, lambda = 5, 40, 1.0
		phi, y := dpaData(rng, tc.n, d, tc.classes)
		test, _ := dpaData(rng, m, d, tc.classes)
		parts := dpa.Partition(phi, tc.k)
		e, err := dpa.Fit(phi, y, tc.classes, parts, tc.k, lambda, true)
		if err != nil {
			t.Fatal(err)
		}
		clean := e.Certify(test)
		a := NewDPA(e, y, test, clean)
		scratch := make([]DPAScratch, 2)
		parallel.For(tc.k, 2, func(w, j int) { a.AddPart(j, &scratch[w]) })
		found := 0
		for i := range m {
			out := a.Outcome(i)
			if out.Flips < 0 {
				continue
			}
			found++
			if !out.Proven || out.Flips <= clean[i].Radius {
				t.Fatalf("K = %d point %d: %+v against radius %d", tc.classes, i, out, clean[i].Radius)
			}
			relabels, ok := a.Explain(i, &scratch[0])
			if !ok || len(relabels) != out.Flips {
				t.Fatalf("K = %d point %d: %d relabelings (ok %v) for %d flips", tc.classes, i, len(relabels), ok, out.Flips)
			}
			attacked := applied(t, y, relabels)
			res, err := dpa.Certify(phi, attacked, tc.classes, parts, tc.k, lambda, true, test.Slice(i, i+1, 0, d).(*mat.Dense))
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Class == out.From {
				t.Fatalf("K = %d point %d: the refitted ensemble still votes %d after %d flips", tc.classes, i, out.From, out.Flips)
			}
		}
		t.Logf("K = %d: attacks on %d of %d points", tc.classes, found, m)
		if found < m/2 {
			t.Fatalf("K = %d: attacks on only %d of %d points", tc.classes, found, m)
		}
	}
}

// TestDPAPartCostIsFewest checks each part's cost against brute force over
// every relabeling of a part's points: for two classes the greedy moves are
// the fewest changes that flip a ridge vote (docs/science.md §9).
func TestDPAPartCostIsFewest(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const n, d, k, m = 120, 3, 15, 10
	phi, y := dpaData(rng, n, d, 2)
	test, _ := dpaData(rng, m, d, 2)
	parts := dpa.Partition(phi, k)
	e, err := dpa.Fit(phi, y, 2, parts, k, 0.5, true)
	if err != nil {
		t.Fatal(err)
	}
	clean := e.Certify(test)
	a := NewDPA(e, y, test, clean)
	var s DPAScratch
	checked := 0
	for j := range k {
		a.AddPart(j, &s)
		members := e.Members(j)
		if len(members) == 0 || len(members) > 12 {
			continue
		}
		kern := mat.NewDense(m, len(members), nil)
		e.Kernel(j, kern, test, nil)
		for i := range m {
			alpha := kern.RawRowView(i)
			local := make([]int, len(members))
			for r, idx := range members {
				local[r] = y[idx]
			}
			if exactClass(alpha, local, 2) != clean[i].Class {
				continue
			}
			best := -1
			z := make([]int, len(local))
			for code := 0; code < 1<<len(local); code++ {
				dist := 0
				for r := range z {
					z[r] = code >> r & 1
					if z[r] != local[r] {
						dist++
					}
				}
				if exactClass(alpha, z, 2) != clean[i].Class && (best < 0 || dist < best) {
					best = dist
				}
			}
			if got := int(a.cost[j*m+i]); got != best {
				t.Fatalf("part %d point %d: cost %d, fewest changes %d", j, i, got, best)
			}
			checked++
		}
	}
	t.Logf("%d part costs checked", checked)
	if checked < 20 {
		t.Fatalf("only %d part costs checked", checked)
	}
}
