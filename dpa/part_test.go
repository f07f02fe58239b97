package dpa_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/dpa"

	"gonum.org/v1/gonum/mat"
)

// exactKernel returns α = Φ(ΦᵀΦ + λD)⁻¹φ for the rows of Φ in exact rational
// arithmetic on the float64 inputs (D the identity but for an unpenalised
// last column if intercept), by Gaussian elimination.
func exactKernel(rows *mat.Dense, lambda float64, intercept bool, phi []float64) []*big.Rat {
	n, d := rows.Dims()
	rat := func(x float64) *big.Rat { return new(big.Rat).SetFloat64(x) }
	a := make([][]*big.Rat, d)
	for k := range d {
		a[k] = make([]*big.Rat, d+1)
		for l := range d {
			s := new(big.Rat)
			for i := range n {
				s.Add(s, new(big.Rat).Mul(rat(rows.At(i, k)), rat(rows.At(i, l))))
			}
			if k == l && !(intercept && k == d-1) {
				s.Add(s, rat(lambda))
			}
			a[k][l] = s
		}
		a[k][d] = rat(phi[k])
	}
	for col := range d { // A is positive definite: no pivoting needed
		for r := col + 1; r < d; r++ {
			f := new(big.Rat).Quo(a[r][col], a[col][col])
			for c := col; c <= d; c++ {
				a[r][c].Sub(a[r][c], new(big.Rat).Mul(f, a[col][c]))
			}
		}
	}
	z := make([]*big.Rat, d)
	for k := d - 1; k >= 0; k-- {
		s := new(big.Rat).Set(a[k][d])
		for l := k + 1; l < d; l++ {
			s.Sub(s, new(big.Rat).Mul(a[k][l], z[l]))
		}
		z[k] = s.Quo(s, a[k][k])
	}
	alpha := make([]*big.Rat, n)
	for i := range n {
		s := new(big.Rat)
		for k := range d {
			s.Add(s, new(big.Rat).Mul(rat(rows.At(i, k)), z[k]))
		}
		alpha[i] = s
	}
	return alpha
}

// distance returns Σᵢ|got_i − want_i| (rounded to float64 at the end).
func distance(got []float64, want []*big.Rat) float64 {
	s := new(big.Rat)
	for i, w := range want {
		s.Add(s, new(big.Rat).Abs(new(big.Rat).Sub(new(big.Rat).SetFloat64(got[i]), w)))
	}
	f, _ := s.Float64()
	return f
}

// TestPartKernelsBound checks the bound E′ of Part.Kernels against exact
// kernel vectors, and dev against the kernel vectors and bounds of
// Part.Kernel, on well- and ill-conditioned parts with and without an
// intercept, parts smaller than d, and features of every scale.
func TestPartKernelsBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	worst := 0.0 // the largest ratio of an error to its bound
	checked, illConditioned := 0, 0
	for trial := range 90 {
		d := 2 + trial%5
		n := 6 + rng.IntN(60)
		k := 1 + rng.IntN(6)
		intercept := trial%2 == 0
		scale := math.Pow(10, float64(rng.IntN(7)-3))
		collinear := trial%3 == 0 // a nearly repeated column: κ large, η near its limit
		lambda := []float64{1e-2, 1, 50}[trial%3] * scale * scale
		noise := 0.0
		if collinear {
			lambda, noise = 1e-9*scale*scale, math.Pow(10, -2-float64(rng.IntN(3)))
		}
		phi := mat.NewDense(n, d, nil)
		test := mat.NewDense(5, d, nil)
		for _, x := range []*mat.Dense{phi, test} {
			r, _ := x.Dims()
			for i := range r {
				for l := range d {
					x.Set(i, l, scale*rng.NormFloat64())
				}
				if collinear {
					x.Set(i, 1, x.At(i, 0)*(1+noise*rng.NormFloat64()))
				}
				if intercept {
					x.Set(i, d-1, 1)
				}
			}
		}
		y := make([]int, n)
		for i := range y {
			y[i] = rng.IntN(3)
		}
		e, err := dpa.Fit(phi, y, 3, dpa.Partition(phi, k), k, lambda, intercept)
		if err != nil {
			continue // refused as too ill-conditioned: nothing to bound
		}
		pts := dpa.NewPoints(test)
		for j := range k {
			var part dpa.Part
			if !e.Refit(j, &part) {
				continue
			}
			members := e.Members(j)
			rows := mat.NewDense(len(members), d, nil)
			for r, i := range members {
				rows.SetRow(r, phi.RawRowView(i))
			}
			nj := part.Members()
			if _, eta := part.Conditioning(); eta > 1e-9 {
				illConditioned++
			}
			fast := mat.NewDense(5, nj, nil)
			errs, dev := make([]float64, 5), make([]float64, 5)
			part.Kernels(fast, pts, 0, 5, errs, dev)
			old := mat.NewDense(5, nj, nil)
			oldErrs := make([]float64, 5)
			part.Kernel(old, test, oldErrs)
			for r := range 5 {
				want := exactKernel(rows, lambda, intercept, test.RawRowView(r))
				got := distance(fast.RawRowView(r), want)
				if !(got <= errs[r]) {
					t.Fatalf("trial %d part %d point %d (n_j = %d, d = %d): Σ|α̃ − α| = %.3g exceeds E′ = %.3g", trial, j, r, nj, d, got, errs[r])
				}
				var apart float64
				for i := range nj {
					apart += math.Abs(fast.At(r, i) - old.At(r, i))
				}
				if !(apart <= dev[r]) || !(math.Abs(errs[r]-oldErrs[r]) <= dev[r]) || !(oldErrs[r] <= dev[r]-errs[r]) {
					t.Fatalf("trial %d part %d point %d: ‖α̃ − α̂‖₁ = %.3g, E′ = %.3g, E = %.3g, dev = %.3g", trial, j, r, apart, errs[r], oldErrs[r], dev[r])
				}
				worst = max(worst, got/errs[r])
				checked++
			}
		}
	}
	t.Logf("%d kernel vectors checked (%d parts with η > 10⁻⁹); the largest error is %.2g of its bound", checked, illConditioned, worst)
	if checked < 500 || illConditioned < 10 {
		t.Fatalf("only %d kernel vectors checked, %d ill-conditioned parts", checked, illConditioned)
	}
}

// TestPartKernelReproducesEnsemble checks that Part.Kernel is Ensemble.Kernel
// bit for bit, block or not.
func TestPartKernelReproducesEnsemble(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	phi, y := randomData(rng, 300, 6, true)
	test, _ := randomData(rng, 40, 6, true)
	e, err := dpa.Fit(phi, y, 2, dpa.Partition(phi, 7), 7, 0.5, true)
	if err != nil {
		t.Fatal(err)
	}
	var part dpa.Part
	for j := range 7 {
		e.Refit(j, &part)
		nj := part.Members()
		want, got := mat.NewDense(40, nj, nil), mat.NewDense(1, nj, nil)
		wantErrs, gotErrs := make([]float64, 40), make([]float64, 1)
		e.Kernel(j, want, test, wantErrs)
		for r := range 40 {
			part.Kernel(got, test.Slice(r, r+1, 0, 6).(*mat.Dense), gotErrs)
			if !slices.Equal(got.RawRowView(0), want.RawRowView(r)) || gotErrs[0] != wantErrs[r] {
				t.Fatalf("part %d point %d: Part.Kernel differs from Ensemble.Kernel", j, r)
			}
		}
	}
}
