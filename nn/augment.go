package nn

import (
	"math"
	"math/rand/v2"
)

// augment sets the ranges of the random distortions that turn an image into
// a view for contrastive training (docs/science.md §15). A view is the image
// resampled through a random affine map: output pixel p reads the source at
//
//	q = c + S⁻¹R(−θ)(p − c − t),
//
// c = (13.5, 13.5) the image centre (pixel centres at integer coordinates),
// with rotation θ ~ U(−rotate, rotate), scales sx = e^{g+a}, sy = e^{g−a} for
// g ~ U(−scale, scale) and a ~ U(−aspect, aspect), and a shift t whose
// coordinates are ~ U(−shift, shift) pixels. Pixels are read by bilinear
// interpolation, zero outside the image. There is no mirror image: a mirrored
// digit is another symbol, or none.
type augment struct {
	rotate float64 // largest rotation, radians
	scale  float64 // largest |log scale|
	aspect float64 // largest |log aspect ratio|/2
	shift  float64 // largest translation per axis, pixels
}

// viewAugment is the distortion of TrainContrastive: rotations up to 15°,
// scales within e^{±0.15} ≈ ±16% and aspect ratios within e^{±0.2}, shifts up to
// 3 pixels, which keeps a centred MNIST digit (ink within the central 20×20)
// inside the frame.
var viewAugment = augment{rotate: 15 * math.Pi / 180, scale: 0.15, aspect: 0.1, shift: 3}

// centre is the coordinate of the image centre, pixel centres being 0..Side−1.
const centre = (Side - 1) / 2.0

// affine is the map from an output pixel p to the source point
// q = c + M(p − c − t) with M = [[m00, m01], [m10, m11]].
type affine struct {
	m00, m01, m10, m11 float64
	tx, ty             float64
}

// draw returns a random map from rng (six uniform draws, in a fixed order).
func (a augment) draw(rng *rand.Rand) affine {
	sym := func(r float64) float64 { return (2*rng.Float64() - 1) * r }
	theta, g, asp := sym(a.rotate), sym(a.scale), sym(a.aspect)
	tx, ty := sym(a.shift), sym(a.shift)
	cos, sin := math.Cos(theta), math.Sin(theta)
	isx, isy := math.Exp(-(g + asp)), math.Exp(-(g - asp))
	// S⁻¹R(−θ), R(−θ) = [[cos, sin], [−sin, cos]].
	return affine{m00: isx * cos, m01: isx * sin, m10: -isy * sin, m11: isy * cos, tx: tx, ty: ty}
}

// warp writes to dst the image src (Side×Side, row-major) resampled through m.
func warp(dst, src []float64, m affine) {
	for i := range Side {
		py := float64(i) - centre - m.ty
		for j := range Side {
			px := float64(j) - centre - m.tx
			dst[i*Side+j] = bilinear(src, centre+m.m00*px+m.m01*py, centre+m.m10*px+m.m11*py)
		}
	}
}

// bilinear returns the image src at column x, row y by bilinear interpolation
// of the four pixels around it, pixels outside the image being 0.
func bilinear(src []float64, x, y float64) float64 {
	if !(x > -1 && y > -1 && x < Side && y < Side) {
		return 0
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	j, i := int(x0), int(y0)
	at := func(i, j int) float64 {
		if i < 0 || j < 0 || i >= Side || j >= Side {
			return 0
		}
		return src[i*Side+j]
	}
	return (1-fy)*((1-fx)*at(i, j)+fx*at(i, j+1)) + fy*((1-fx)*at(i+1, j)+fx*at(i+1, j+1))
}
