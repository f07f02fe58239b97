package nn

import (
	"math"

	"gonum.org/v1/gonum/blas"
)

// ntXent returns the NT-Xent loss of SimCLR (docs/science.md §15) averaged over
// the 2b rows of z (each p wide) and writes its gradient to dz. Rows i and
// i+b (i < b) are the two views of one image. With uᵢ = zᵢ/‖zᵢ‖ and
// sᵢₖ = uᵢ·uₖ/τ, the loss of anchor i with positive j is
//
//	ℓᵢ = −sᵢⱼ + log Σ_{k≠i} exp sᵢₖ,
//
// and the loss is (1/2b) Σᵢ ℓᵢ. A row with ‖zᵢ‖ below 10⁻¹² is divided by
// 10⁻¹² instead (as PyTorch's normalize does), only so that a zero row gives
// no NaN.
// The arithmetic is serial and in a fixed order, so the result does not
// depend on GOMAXPROCS. scratch is reused across calls.
func ntXent(z []float64, b, p int, tau float64, dz []float64, scratch *ntScratch) float64 {
	n := 2 * b
	sc := scratch
	sc.u = grow(sc.u, n*p)
	sc.norm = grow(sc.norm, n)
	sc.s = grow(sc.s, n*n)
	sc.g = grow(sc.g, n*n)
	for i := range n {
		row := z[i*p : (i+1)*p]
		nrm := math.Max(math.Sqrt(dot64(row, row)), 1e-12)
		sc.norm[i] = nrm
		for k, v := range row {
			sc.u[i*p+k] = v / nrm
		}
	}
	u := general(n, p, sc.u)
	gemm(blas.NoTrans, blas.Trans, 1/tau, u, u, 0, general(n, n, sc.s))
	// g = ∂L/∂s: row i is (softmax over k ≠ i − 1[k = j]) / 2b. Every sᵢₖ ≤ 1/τ,
	// so subtracting 1/τ keeps the exponentials in range.
	loss := 0.0
	top := 1 / tau
	for i := range n {
		j := (i + b) % n
		s, g := sc.s[i*n:(i+1)*n], sc.g[i*n:(i+1)*n]
		sum := 0.0
		for k, v := range s {
			if k == i {
				g[k] = 0
				continue
			}
			g[k] = math.Exp(v - top)
			sum += g[k]
		}
		loss += math.Log(sum) + top - s[j]
		for k := range g {
			g[k] /= sum * float64(n)
		}
		g[j] -= 1 / float64(n)
	}
	// sᵢₖ enters the loss through row i and row k, so ∂L/∂uᵢ = (1/τ)Σₖ(gᵢₖ + gₖᵢ)uₖ.
	for i := range n {
		for k := i + 1; k < n; k++ {
			v := sc.g[i*n+k] + sc.g[k*n+i]
			sc.g[i*n+k], sc.g[k*n+i] = v, v
		}
	}
	sc.du = grow(sc.du, n*p)
	gemm(blas.NoTrans, blas.NoTrans, 1/tau, general(n, n, sc.g), u, 0, general(n, p, sc.du))
	// Through the normalisation: ∂L/∂zᵢ = (duᵢ − uᵢ(uᵢ·duᵢ))/‖zᵢ‖.
	for i := range n {
		ui, di := sc.u[i*p:(i+1)*p], sc.du[i*p:(i+1)*p]
		c := dot64(ui, di)
		for k := range di {
			dz[i*p+k] = (di[k] - ui[k]*c) / sc.norm[i]
		}
	}
	return loss / float64(n)
}

// ntScratch holds ntXent's buffers.
type ntScratch struct {
	u, norm, s, g, du []float64
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
