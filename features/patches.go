package features

import (
	"fmt"
	"math"
	"math/rand/v2"

	"flipcert/parallel"
	"flipcert/randstream"

	"gonum.org/v1/gonum/mat"
)

// PatchConfig sets the patch dictionary of Coates & Ng (docs/science.md §15).
type PatchConfig struct {
	Centroids  int    // dictionary size K; the features have 4K dimensions
	Patch      int    // patch side in pixels
	Samples    int    // random patches the dictionary is learnt from
	Iterations int    // Lloyd iterations of k-means
	Seed       uint64 // patch sampling and initial centroids
}

// Validate returns an error naming the first field out of range for images
// of side pixels.
func (c PatchConfig) Validate(side int) error {
	switch {
	case c.Centroids < 1:
		return fmt.Errorf("features: patch centroids = %d, want ≥ 1", c.Centroids)
	case c.Patch < 1 || c.Patch > side:
		return fmt.Errorf("features: patch side = %d, want 1..%d", c.Patch, side)
	case c.Samples < c.Centroids:
		return fmt.Errorf("features: patch samples = %d, want ≥ centroids (%d)", c.Samples, c.Centroids)
	case c.Iterations < 1:
		return fmt.Errorf("features: patch iterations = %d, want ≥ 1", c.Iterations)
	}
	return nil
}

// Patches maps square grey-scale images to pooled soft codes of their
// patches (Coates & Ng, An Analysis of Single-Layer Networks in Unsupervised
// Feature Learning, AISTATS 2011). Every w×w patch p (stride 1) is
//
//  1. normalised: p̃ = (p − mean p)/√(var p + εₙ), εₙ = 10/255² (their 10 on a
//     0–255 scale, for pixels in [0,1]);
//  2. whitened: x = W(p̃ − m) with the ZCA matrix W = V(Λ + ε_z)^{−½}Vᵀ of the
//     normalised training patches' covariance VΛVᵀ and mean m, ε_z = 0.1;
//  3. encoded against the K centroids cₖ of k-means on whitened training
//     patches by the "triangle" code fₖ = max(0, μ − zₖ), zₖ = ‖x − cₖ‖,
//     μ the mean of the zₖ: about half the codes are zero, the others say how
//     much closer than average the patch is to each centroid;
//
// and the codes are summed over the four quadrants of the map of patch
// positions, giving 4K features. No label enters anywhere.
type Patches struct {
	side, patch int
	mean        []float64  // m, the mean normalised patch
	whiten      *mat.Dense // W, w²×w², symmetric
	centroids   *mat.Dense // K×w², one centroid per row
	cnorm       []float64  // ‖cₖ‖²
}

const (
	patchNormEps   = 10.0 / (255 * 255)
	patchWhitenEps = 0.1
)

// FitPatches learns the whitening and the dictionary from the images in the
// rows of x (side×side pixels each, row-major): cfg.Samples patches are drawn
// uniformly (image and position) from a stream keyed by cfg.Seed, and
// k-means starts from cfg.Centroids of them chosen by k-means++. An empty
// cluster keeps its centroid. It reads images only, never a label, and the
// result does not depend on GOMAXPROCS (docs/science.md §15).
func FitPatches(x *mat.Dense, side int, cfg PatchConfig) (*Patches, error) {
	if err := cfg.Validate(side); err != nil {
		return nil, err
	}
	n, c := x.Dims()
	if c != side*side {
		return nil, fmt.Errorf("features: images have %d pixels, want %d×%d", c, side, side)
	}
	if n < 1 {
		return nil, fmt.Errorf("features: no images to learn patches from")
	}
	w := cfg.Patch
	q := w * w
	pos := side - w + 1
	rng := randstream.New(cfg.Seed, "features patches sample", 0)
	samples := mat.NewDense(cfg.Samples, q, nil)
	for s := range cfg.Samples {
		img := x.RawRowView(rng.IntN(n))
		extract(samples.RawRowView(s), img, side, w, rng.IntN(pos), rng.IntN(pos))
		normalise(samples.RawRowView(s))
	}
	pt := &Patches{side: side, patch: w}
	if err := pt.fitWhitening(samples); err != nil {
		return nil, err
	}
	white := mat.NewDense(cfg.Samples, q, nil)
	pt.applyWhitening(white, samples)
	pt.centroids = kmeans(white, cfg.Centroids, cfg.Iterations, randstream.New(cfg.Seed, "features patches init", 0))
	pt.cnorm = rowNorms(pt.centroids)
	return pt, nil
}

// extract copies the w×w patch of img (side×side) at row i, column j into dst.
func extract(dst, img []float64, side, w, i, j int) {
	for r := range w {
		copy(dst[r*w:(r+1)*w], img[(i+r)*side+j:(i+r)*side+j+w])
	}
}

// normalise subtracts p's mean and divides by √(var + εₙ), in place.
func normalise(p []float64) {
	m := 0.0
	for _, v := range p {
		m += v
	}
	m /= float64(len(p))
	ss := 0.0
	for _, v := range p {
		ss += (v - m) * (v - m)
	}
	s := 1 / math.Sqrt(ss/float64(len(p))+patchNormEps)
	for i, v := range p {
		p[i] = (v - m) * s
	}
}

// fitWhitening sets the mean and the ZCA matrix of the rows of p.
func (pt *Patches) fitWhitening(p *mat.Dense) error {
	n, q := p.Dims()
	pt.mean = make([]float64, q)
	for i := range n {
		for j, v := range p.RawRowView(i) {
			pt.mean[j] += v
		}
	}
	for j := range q {
		pt.mean[j] /= float64(n)
	}
	centred := mat.NewDense(n, q, nil)
	for i := range n {
		row := centred.RawRowView(i)
		for j, v := range p.RawRowView(i) {
			row[j] = v - pt.mean[j]
		}
	}
	cov := mat.NewSymDense(q, nil)
	cov.SymOuterK(1/float64(n), centred.T())
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return fmt.Errorf("features: patch covariance eigendecomposition did not converge")
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	vals := eig.Values(nil)
	scaled := mat.DenseCopyOf(&v)
	for k, l := range vals {
		s := 1 / math.Sqrt(max(l, 0)+patchWhitenEps)
		for j := range q {
			scaled.Set(j, k, scaled.At(j, k)*s)
		}
	}
	pt.whiten = mat.NewDense(q, q, nil)
	pt.whiten.Mul(scaled, v.T())
	return nil
}

// applyWhitening sets dst = (src − m)W for normalised patches in the rows of src.
func (pt *Patches) applyWhitening(dst, src *mat.Dense) {
	n, q := src.Dims()
	centred := mat.NewDense(n, q, nil)
	for i := range n {
		row := centred.RawRowView(i)
		for j, v := range src.RawRowView(i) {
			row[j] = v - pt.mean[j]
		}
	}
	dst.Mul(centred, pt.whiten)
}

func rowNorms(a *mat.Dense) []float64 {
	r, _ := a.Dims()
	out := make([]float64, r)
	for i := range r {
		row := a.RawRowView(i)
		for _, v := range row {
			out[i] += v * v
		}
	}
	return out
}

// kmeansChunk is the number of points one goroutine assigns at a time; the
// chunks' centroid sums are added in chunk order.
const kmeansChunk = 1024

// kmeans runs iters Lloyd iterations on the rows of x from centroids chosen
// by k-means++ with rng, and returns the k×d centroids.
func kmeans(x *mat.Dense, k, iters int, rng *rand.Rand) *mat.Dense {
	n, d := x.Dims()
	cent := seeds(x, k, rng)
	chunks := (n + kmeansChunk - 1) / kmeansChunk
	sums := make([]*mat.Dense, chunks)
	counts := make([][]int, chunks)
	for range iters {
		cnorm := rowNorms(cent)
		parallel.For(chunks, 0, func(_, ch int) {
			lo, hi := ch*kmeansChunk, min((ch+1)*kmeansChunk, n)
			if sums[ch] == nil {
				sums[ch], counts[ch] = mat.NewDense(k, d, nil), make([]int, k)
			}
			sums[ch].Zero()
			clear(counts[ch])
			var dots mat.Dense
			dots.Mul(x.Slice(lo, hi, 0, d), cent.T())
			for i := lo; i < hi; i++ {
				// argmin ‖x − c‖² = argmin ‖c‖² − 2x·c, the lowest index on ties.
				row := dots.RawRowView(i - lo)
				best, bv := 0, math.Inf(1)
				for c, v := range row {
					if s := cnorm[c] - 2*v; s < bv {
						best, bv = c, s
					}
				}
				counts[ch][best]++
				dst := sums[ch].RawRowView(best)
				for j, v := range x.RawRowView(i) {
					dst[j] += v
				}
			}
		})
		for c := range k {
			total := 0
			for ch := range chunks {
				total += counts[ch][c]
			}
			if total == 0 {
				continue
			}
			row := cent.RawRowView(c)
			clear(row)
			for ch := range chunks {
				for j, v := range sums[ch].RawRowView(c) {
					row[j] += v
				}
			}
			for j := range row {
				row[j] /= float64(total)
			}
		}
	}
	return cent
}

// seeds returns k rows of x chosen by k-means++ (Arthur & Vassilvitskii
// 2007): the first uniformly, each next one with probability proportional to
// its squared distance to the nearest row already chosen. It spreads the
// initial centroids over the clusters, where uniform draws often put two in
// one cluster and none in another, a local optimum Lloyd's iterations never
// leave. If every row coincides with a chosen one, the rest are uniform.
func seeds(x *mat.Dense, k int, rng *rand.Rand) *mat.Dense {
	n, d := x.Dims()
	cent := mat.NewDense(k, d, nil)
	dist := make([]float64, n)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	pick := rng.IntN(n)
	for c := range k {
		row := cent.RawRowView(c)
		copy(row, x.RawRowView(pick))
		total := 0.0
		for i := range n {
			dd := 0.0
			for j, v := range x.RawRowView(i) {
				dd += (v - row[j]) * (v - row[j])
			}
			dist[i] = min(dist[i], dd)
			total += dist[i]
		}
		pick = rng.IntN(n)
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range dist {
				if u -= v; u < 0 || i == n-1 {
					pick = i
					break
				}
			}
		}
	}
	return cent
}

// Dim returns the number of features, 4K.
func (pt *Patches) Dim() int { k, _ := pt.centroids.Dims(); return 4 * k }

// patchChunk is the number of images one goroutine encodes at a time.
const patchChunk = 64

// Transform returns the N×4K features of the images in the rows of x. Each
// row depends on its image alone. It panics if x's rows are not images of
// the side the dictionary was learnt on.
func (pt *Patches) Transform(x *mat.Dense) *mat.Dense {
	n, c := x.Dims()
	if c != pt.side*pt.side {
		panic(fmt.Sprintf("features: images have %d pixels, want %d", c, pt.side*pt.side))
	}
	k, q := pt.centroids.Dims()
	pos := pt.side - pt.patch + 1
	half := (pos + 1) / 2
	out := mat.NewDense(n, 4*k, nil)
	chunks := (n + patchChunk - 1) / patchChunk
	parallel.For(chunks, 0, func(_, ch int) {
		raw := mat.NewDense(pos*pos, q, nil)
		white := mat.NewDense(pos*pos, q, nil)
		var dots mat.Dense
		z := make([]float64, k)
		for i := ch * patchChunk; i < min((ch+1)*patchChunk, n); i++ {
			img := x.RawRowView(i)
			for r := range pos {
				for s := range pos {
					p := raw.RawRowView(r*pos + s)
					extract(p, img, pt.side, pt.patch, r, s)
					normalise(p)
				}
			}
			pt.applyWhitening(white, raw)
			dots.Mul(white, pt.centroids.T())
			feat := out.RawRowView(i)
			for r := range pos {
				for s := range pos {
					idx := r*pos + s
					xn := 0.0
					for _, v := range white.RawRowView(idx) {
						xn += v * v
					}
					mu := 0.0
					for c, v := range dots.RawRowView(idx) {
						z[c] = math.Sqrt(max(xn+pt.cnorm[c]-2*v, 0))
						mu += z[c]
					}
					mu /= float64(k)
					quad := 0
					if r >= half {
						quad += 2
					}
					if s >= half {
						quad++
					}
					f := feat[quad*k : (quad+1)*k]
					for c, v := range z {
						f[c] += max(0, mu-v)
					}
				}
			}
		}
	})
	return out
}
