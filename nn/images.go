package nn

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Images is a set of 28×28 images held by their non-zero pixels, the form in
// which the classifier reads its inputs. An MNIST digit has ink on about 15% of
// its pixels, so a pass over a mini-batch costs only those, and a batch is read
// in place rather than copied. Build it once with NewImages and reuse it: the
// conversion scans every pixel.
type Images struct {
	rows sparseRows
}

// NewImages returns the images in the rows of x (784 pixels each, row-major).
// It returns an error if x is nil or does not have 784 columns.
func NewImages(x *mat.Dense) (*Images, error) {
	if x == nil {
		return nil, errors.New("nn: nil input matrix")
	}
	r, c := x.Dims()
	if c != Pixels {
		return nil, fmt.Errorf("nn: inputs have %d columns, want %d (28×28 images)", c, Pixels)
	}
	im := &Images{rows: sparseRows{ptr: make([]int, 1, r+1)}}
	for i := range r {
		for j, v := range x.RawRowView(i) {
			if v != 0 {
				im.rows.idx = append(im.rows.idx, int32(j))
				im.rows.val = append(im.rows.val, v)
			}
		}
		im.rows.ptr = append(im.rows.ptr, len(im.rows.idx))
	}
	return im, nil
}

// Len returns the number of images.
func (im *Images) Len() int { return im.rows.len() }

// Slice returns images lo..hi−1, sharing storage with im. It panics unless
// 0 ≤ lo ≤ hi ≤ Len().
func (im *Images) Slice(lo, hi int) *Images {
	if lo < 0 || hi < lo || hi > im.Len() {
		panic(fmt.Sprintf("nn: Slice(%d, %d) of %d images", lo, hi, im.Len()))
	}
	return &Images{rows: sparseRows{ptr: im.rows.ptr[lo : hi+1], idx: im.rows.idx, val: im.rows.val}}
}

// sparseRows holds the rows of a matrix by their non-zero entries (CSR): row r
// is the entries idx[k], val[k] for k in ptr[r]..ptr[r+1]−1, columns ascending.
// The offsets in ptr are absolute, so a run of rows is a sub-slice of ptr.
type sparseRows struct {
	ptr []int
	idx []int32
	val []float64
}

func (s *sparseRows) len() int { return len(s.ptr) - 1 }

// samples is a set of network inputs in the form the network's first layer
// reads: dense rows for the embedder, sparse rows for the classifier.
type samples interface {
	len() int
	// gather makes rows idx, in that order, the input of tape t.
	gather(t *tape, idx []int)
	// span makes rows lo..hi−1 the input of tape t.
	span(t *tape, lo, hi int)
}

// denseSamples is a row-major matrix with rows of width d.
type denseSamples struct {
	x []float64
	d int
}

func (s denseSamples) len() int { return len(s.x) / s.d }

// gather copies the rows: a shuffled mini-batch is not contiguous.
func (s denseSamples) gather(t *tape, idx []int) {
	t.n, t.sp = len(idx), nil
	t.buf = grow(t.buf, len(idx)*s.d)
	for r, i := range idx {
		copy(t.buf[r*s.d:(r+1)*s.d], s.x[i*s.d:(i+1)*s.d])
	}
	t.x = t.buf
}

func (s denseSamples) span(t *tape, lo, hi int) {
	t.n, t.sp, t.x = hi-lo, nil, s.x[lo*s.d:hi*s.d]
}

// gather only records the row numbers: the first layer reads them in place.
func (s *sparseRows) gather(t *tape, idx []int) {
	t.n, t.sp, t.x = len(idx), s, nil
	t.rows = append(t.rows[:0], idx...)
}

func (s *sparseRows) span(t *tape, lo, hi int) {
	t.n, t.sp, t.x = hi-lo, s, nil
	t.rows = t.rows[:0]
	for i := lo; i < hi; i++ {
		t.rows = append(t.rows, i)
	}
}
