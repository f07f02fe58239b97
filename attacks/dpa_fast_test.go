package attacks

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"flipcert/dpa"
	"flipcert/parallel"

	"gonum.org/v1/gonum/mat"
)

// refAddPart is AddPart as it was before dpa.Part.Kernels: every kernel
// vector by Ensemble.Kernel (a solve per point), every cost by partCost.
// The fast path must reproduce its votes and costs bit for bit.
func refAddPart(a *DPA, j int, s *DPAScratch) {
	m, d := a.test.Dims()
	s.members = append(s.members[:0], a.e.Members(j)...)
	nj := len(s.members)
	status, cost := a.status[j*m:(j+1)*m], a.cost[j*m:(j+1)*m]
	if nj == 0 {
		for i := range m {
			status[i], cost[i] = empty, -1
		}
		return
	}
	block := max(1, min(m, kernelFloats/nj))
	s.kernel = grow(s.kernel, block*nj)
	s.errs = grow(s.errs, block)
	for lo := 0; lo < m; lo += block {
		hi := min(lo+block, m)
		alpha := mat.NewDense(hi-lo, nj, s.kernel[:(hi-lo)*nj])
		a.e.Kernel(j, alpha, a.test.Slice(lo, hi, 0, d).(*mat.Dense), s.errs[:hi-lo])
		for i := lo; i < hi; i++ {
			vote, sure, c := s.partCost(alpha.RawRowView(i-lo), s.errs[i-lo], a.y, a.classes, a.from[i], a.rival[i])
			status[i] = int8(vote)
			if !sure {
				status[i] = int8(-1 - vote)
			}
			cost[i] = int32(c)
		}
	}
}

// refRivals are the rivals from the parts' votes, formed independently of
// Certify: one product per part of the test points with its coefficients.
func refRivals(e *dpa.Ensemble, test *mat.Dense, from []int) []int {
	m, _ := test.Dims()
	classes := e.Classes()
	rival := make([]int, m)
	if classes == 2 {
		for i, c := range from {
			rival[i] = 1 - c
		}
		return rival
	}
	votes := make([]int, m*classes)
	var scores mat.Dense
	for j := range e.Parts() {
		beta, ok := e.Coefficients(j)
		if !ok {
			continue
		}
		scores.Reset()
		scores.Mul(test, beta)
		for i := range m {
			votes[i*classes+top(scores.RawRowView(i), classes)]++
		}
	}
	for i, c := range from {
		v := votes[i*classes : (i+1)*classes]
		t := -1
		for j, n := range v {
			if j != c && (t < 0 || n > v[t]) {
				t = j
			}
		}
		rival[i] = t
	}
	return rival
}

// refTurned and refOutcome are DPA.turned and DPA.Outcome as they were: the
// candidates sorted by cost and part, the cheapest summed.
func refTurned(a *DPA, i int) (parts []int, ok bool) {
	t := a.tally(i)
	m := len(a.from)
	slices.SortFunc(t.parts, func(p, r int) int {
		return cmp.Or(cmp.Compare(a.cost[p*m+i], a.cost[r*m+i]), cmp.Compare(p, r))
	})
	c, r := a.from[i], a.rival[i]
	need := t.certain[c] + t.free - t.certain[r]
	if r > c {
		need++
	}
	count := max(0, (need+1)/2)
	if count > len(t.parts) {
		return nil, false
	}
	return t.parts[:count], true
}

func refOutcome(a *DPA, i int) Outcome {
	parts, ok := refTurned(a, i)
	if !ok {
		return none(a.from[i])
	}
	m, flips := len(a.from), 0
	for _, j := range parts {
		flips += int(a.cost[j*m+i])
	}
	return Outcome{Flips: flips, Proven: true, From: a.from[i], To: a.rival[i]}
}

// compareDPA runs the attack the new way and the old way on one ensemble and
// fails unless rivals, votes, costs and outcomes agree, and the relabelings
// of the first explain points; it returns the points whose kernel vectors
// the new way computed the old way.
func compareDPA(t *testing.T, name string, e *dpa.Ensemble, y []int, test *mat.Dense, explain int) (refits int) {
	t.Helper()
	res := e.Certify(test)
	from := make([]int, len(res))
	for i, r := range res {
		from[i] = r.Class
	}
	fast, ref := NewDPA(e, y, test, res), NewDPA(e, y, test, res)
	if want := refRivals(e, test, from); !slices.Equal(fast.rival, want) {
		t.Fatalf("%s: rivals %v, from the parts' votes %v", name, fast.rival, want)
	}
	var s, r DPAScratch
	for j := range e.Parts() {
		fast.AddPart(j, &s)
		refAddPart(ref, j, &r)
	}
	if !slices.Equal(fast.status, ref.status) || !slices.Equal(fast.cost, ref.cost) {
		for x := range fast.cost {
			if fast.status[x] != ref.status[x] || fast.cost[x] != ref.cost[x] {
				m := len(from)
				t.Fatalf("%s: part %d point %d: vote %d cost %d, before %d and %d", name, x/m, x%m, fast.status[x], fast.cost[x], ref.status[x], ref.cost[x])
			}
		}
	}
	for i := range from {
		if got, want := fast.Outcome(i), refOutcome(ref, i); got.Flips != want.Flips || got.Proven != want.Proven || got.To != want.To {
			t.Fatalf("%s point %d: %+v, before %+v", name, i, got, want)
		}
		got, ok := fast.turned(i)
		if want, wok := refTurned(ref, i); ok != wok || !slices.Equal(got, want) {
			t.Fatalf("%s point %d: turns parts %v, before %v", name, i, got, want)
		}
		if i >= explain {
			continue
		}
		relabels, ok := fast.Explain(i, &s)
		want, wok := ref.Explain(i, &r)
		if ok != wok || !slices.Equal(relabels, want) {
			t.Fatalf("%s point %d: relabelings %v (ok %v), before %v (ok %v)", name, i, relabels, ok, want, wok)
		}
	}
	return s.refits
}

// TestDPAMatchesSolves compares the attack with the computation it replaced:
// random data with two, three and ten classes, parts smaller and larger
// than d, poorly conditioned parts (where the band is wide and the old
// computation decides more points), duplicated training points (tied
// gains), and parts whose scores tie exactly.
func TestDPAMatchesSolves(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	refits := 0
	for _, tc := range []struct {
		classes, n, d, k, m int
		lambda              float64
		duplicates          bool
	}{
		{2, 600, 5, 40, 30, 1, false},
		{2, 900, 8, 300, 30, 0.01, false},
		{3, 900, 5, 30, 30, 1, false},
		{3, 700, 6, 200, 30, 1e-4, true},
		{10, 2000, 12, 40, 30, 1, false},
		{10, 3000, 12, 600, 30, 0.1, true},
		{10, 3000, 12, 100, 20, 1e-6, false},
		// More features than gonum's blocks: rows alone differ from rows in blocks.
		{10, 2000, 70, 60, 200, 1e-3, true},
	} {
		phi, y := dpaData(rng, tc.n, tc.d, tc.classes)
		if tc.duplicates {
			for i := range tc.n / 4 {
				phi.SetRow(tc.n-1-i, phi.RawRowView(i)) // the same part: Partition hashes the row
			}
		}
		test, _ := dpaData(rng, tc.m, tc.d, tc.classes)
		e, err := dpa.Fit(phi, y, tc.classes, dpa.Partition(phi, tc.k), tc.k, tc.lambda, true)
		if err != nil {
			t.Fatal(err)
		}
		r := compareDPA(t, fmt.Sprintf("%+v", tc), e, y, test, tc.m)
		t.Logf("%+v: %d of %d kernel vectors computed the old way", tc, r, tc.k*tc.m)
		refits += r
	}
	// Intercept-only parts score each class by its share of labels: exact
	// ties between classes and with ½.
	phi := mat.NewDense(40, 1, nil)
	phi.Apply(func(int, int, float64) float64 { return 1 }, phi)
	y := make([]int, 40)
	for i := range y {
		y[i] = rng.IntN(3)
	}
	parts := make([]int, 40)
	for i := range parts {
		parts[i] = i % 10
	}
	for _, classes := range []int{2, 3} {
		yc := append([]int(nil), y...)
		for i := range yc {
			yc[i] %= classes
		}
		e, err := dpa.Fit(phi, yc, classes, parts, 10, 1e-9, true)
		if err != nil {
			t.Fatal(err)
		}
		refits += compareDPA(t, fmt.Sprintf("ties, K = %d", classes), e, yc, mat.NewDense(3, 1, []float64{1, 1, 1}), 3)
	}
	t.Logf("%d kernel vectors computed the old way", refits)
	if refits == 0 {
		t.Errorf("no kernel vector computed the old way: the ties did not reach the band")
	}
}

// TestDPAMatchesSolvesMNIST10 compares the attack with the computation it
// replaced on full MNIST at k = 1000 and 3000 (see mnist10).
func TestDPAMatchesSolvesMNIST10(t *testing.T) {
	if testing.Short() {
		t.Skip("loads full MNIST")
	}
	f, err := loadMNIST10()
	if err != nil {
		t.Fatal(err)
	}
	_, d := f.test.Dims()
	const m = 40
	test := f.test.Slice(0, m, 0, d).(*mat.Dense)
	for _, k := range []int{1000, 3000} {
		e, err := dpa.Fit(f.phi, f.y, 10, dpa.Partition(f.phi, k), k, 3e4/float64(k), true)
		if err != nil {
			t.Fatal(err)
		}
		refits := compareDPA(t, fmt.Sprintf("k = %d", k), e, f.y, test, 3)
		t.Logf("k = %d: %d of %d kernel vectors computed the old way", k, refits, m*k)
	}
}

// TestDPAGoroutines checks that the attack does not depend on the number of
// goroutines adding parts or on GOMAXPROCS.
func TestDPAGoroutines(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	phi, y := dpaData(rng, 3000, 12, 10)
	test, _ := dpaData(rng, 300, 12, 10)
	e, err := dpa.Fit(phi, y, 10, dpa.Partition(phi, 300), 300, 0.1, true)
	if err != nil {
		t.Fatal(err)
	}
	res := e.Certify(test)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first *DPA
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{1, 2} {
			a := NewDPA(e, y, test, res)
			scratch := make([]DPAScratch, workers)
			parallel.For(e.Parts(), workers, func(w, j int) { a.AddPart(j, &scratch[w]) })
			if first == nil {
				first = a
				continue
			}
			if !slices.Equal(a.status, first.status) || !slices.Equal(a.cost, first.cost) {
				t.Fatalf("GOMAXPROCS %d, %d workers: votes or costs differ", procs, workers)
			}
		}
	}
}

// TestOldCostKernels checks that the kernel vectors the fallback judges a
// part from are bit for bit those of Ensemble.Kernel on the block of test
// points that AddPart used to form, with few and with more features than
// gonum's blocks (where a row alone differs from the row in a block).
func TestOldCostKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	for _, d := range []int{12, 70} {
		phi, y := dpaData(rng, 2000, d, 3)
		test, _ := dpaData(rng, 300, d, 3)
		e, err := dpa.Fit(phi, y, 3, dpa.Partition(phi, 10), 10, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		a := NewDPA(e, y, test, e.Certify(test))
		var s DPAScratch
		for j := range 3 {
			a.AddPart(j, &s) // sets the part and resets the fallback's block
			nj := len(e.Members(j))
			block := max(1, min(300, kernelFloats/nj))
			want := mat.NewDense(block, nj, nil)
			e.Kernel(j, want, test.Slice(0, block, 0, d).(*mat.Dense), nil)
			for _, i := range []int{0, 17, 299} {
				s.oldCost(a, &s.part, i)
				if got := s.old[(i-s.oldLo)*nj : (i-s.oldLo+1)*nj]; !slices.Equal(got, want.RawRowView(i)) {
					t.Fatalf("d = %d part %d point %d: kernel vector differs from Ensemble.Kernel's in its block", d, j, i)
				}
			}
		}
	}
}
