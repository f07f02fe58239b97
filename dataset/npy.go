package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// maxNPYElements bounds the elements of one array: a billion, 8 GiB as
// float64, more than any data set flipcert certifies on (50,000 × 2,048
// features are 10⁸). The reader also checks the announced size against the
// bytes really there before it allocates, so a corrupt header cannot make it
// reserve more than the file could fill.
const maxNPYElements = 1 << 30

// maxNPYHeader is NumPy's own limit on the header text (max_header_size of
// numpy.lib.format, NumPy 1.24): numeric arrays need about a hundred bytes.
const maxNPYHeader = 10000

// npyChunk is how many bytes of array data are read at a time.
const npyChunk = 1 << 16

// dtype is a numeric NumPy element type: kind 'i' (signed integer), 'u'
// (unsigned) or 'f' (IEEE float) of size bytes, in the byte order of big.
type dtype struct {
	descr string // as the header writes it, e.g. "<f4"
	kind  byte
	size  int
	big   bool
}

// dtypeKinds names the NumPy kinds flipcert refuses, for the error message.
var dtypeKinds = map[byte]string{
	'b': "booleans", 'c': "complex numbers", 'U': "strings", 'S': "bytes",
	'O': "Python objects", 'M': "dates", 'm': "time spans", 'V': "raw records",
}

// parseDtype reads the descr of a header (a Python string literal such as
// '<f4'; docs/science.md §16). Numeric types of 1, 2, 4 or 8 bytes are
// accepted; a multi-byte type must state its byte order, '<' or '>'.
func parseDtype(descr string) (dtype, error) {
	s, quoted := strings.CutPrefix(descr, "'")
	s, closed := strings.CutSuffix(s, "'")
	if !quoted || !closed || len(s) < 2 {
		return dtype{}, fmt.Errorf("dtype %s: want a numeric type such as '<f4', not a record (structured) type", descr)
	}
	if len(s) != 3 || !strings.ContainsRune("<>|=", rune(s[0])) || !strings.ContainsRune("iuf", rune(s[1])) ||
		!strings.ContainsRune("1248", rune(s[2])) || s[1:] == "f1" {
		what := ""
		if w, ok := dtypeKinds[s[1]]; ok {
			what = " (" + w + ")"
		}
		return dtype{}, fmt.Errorf("dtype '%s'%s is not supported: want integers (i1, i2, i4, i8, u1, u2, u4, u8) or floats (f2, f4, f8)", s, what)
	}
	t := dtype{descr: s, kind: s[1], size: int(s[2] - '0'), big: s[0] == '>'}
	if t.size > 1 && s[0] != '<' && s[0] != '>' {
		return dtype{}, fmt.Errorf("dtype '%s' does not say its byte order: want '<' or '>'", s)
	}
	return t, nil
}

// bits returns the element at the start of b as an unsigned integer of the
// element's width.
func (t dtype) bits(b []byte) uint64 {
	switch {
	case t.size == 1:
		return uint64(b[0])
	case t.size == 2 && t.big:
		return uint64(binary.BigEndian.Uint16(b))
	case t.size == 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case t.size == 4 && t.big:
		return uint64(binary.BigEndian.Uint32(b))
	case t.size == 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case t.big:
		return binary.BigEndian.Uint64(b)
	default:
		return binary.LittleEndian.Uint64(b)
	}
}

// signed returns the element at the start of b, an 'i' kind, sign-extended.
func (t dtype) signed(b []byte) int64 {
	shift := 64 - 8*t.size
	return int64(t.bits(b)<<shift) >> shift
}

// float returns the element at the start of b as a float64: exactly for
// floats and for integers below 2⁵³ in magnitude, rounded to nearest beyond.
func (t dtype) float(b []byte) float64 {
	switch {
	case t.kind == 'i':
		return float64(t.signed(b))
	case t.kind == 'u':
		return float64(t.bits(b))
	case t.size == 2:
		return halfToFloat64(uint16(t.bits(b)))
	case t.size == 4:
		return float64(math.Float32frombits(uint32(t.bits(b))))
	default:
		return math.Float64frombits(t.bits(b))
	}
}

// decode converts the elements in data to float64 into dst, one per
// element. float32 and float64 in little-endian order and uint8, the dtypes
// of nearly every file, have loops of their own; the others go element by
// element through float.
func (t dtype) decode(dst []float64, data []byte) {
	switch {
	case t.kind == 'f' && t.size == 4 && !t.big:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
		}
	case t.kind == 'f' && t.size == 8 && !t.big:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case t.kind == 'u' && t.size == 1:
		for i := range dst {
			dst[i] = float64(data[i])
		}
	default:
		for i := range dst {
			dst[i] = t.float(data[i*t.size:])
		}
	}
}

// halfToFloat64 converts an IEEE 754 binary16 value exactly: sign, 5
// exponent bits (bias 15), 10 fraction bits; exponent 0 holds the subnormals
// f·2⁻²⁴, exponent 31 infinities and NaNs.
func halfToFloat64(h uint16) float64 {
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(frac, -24)
	case 0x1f:
		v = math.Inf(1)
		if frac != 0 {
			v = math.NaN()
		}
	default:
		v = math.Ldexp(1024+frac, exp-25)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}

// npyHeader describes one .npy array: its element type, shape and storage
// order, and where its data start.
type npyHeader struct {
	dtype   dtype
	fortran bool // stored with the first axis varying fastest
	shape   []int
	count   int   // elements: the product of shape
	offset  int64 // bytes before the data
}

// readNPYHeader reads the preamble and header of a .npy stream of size bytes
// in all (docs/science.md §16) and checks that exactly the data the header
// announces follow. It reads no further than the header.
func readNPYHeader(r io.Reader, size int64) (npyHeader, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return npyHeader{}, fmt.Errorf("not a .npy array: %w", eofIsUnexpected(err))
	}
	if [6]byte(pre[:6]) != npy.Magic {
		return npyHeader{}, fmt.Errorf("not a .npy array: the file starts with %q, not \"\\x93NUMPY\"", pre[:6])
	}
	major, minor := pre[6], pre[7]
	lenSize := 4
	switch {
	case major == 1 && minor == 0:
		lenSize = 2
	case (major == 2 || major == 3) && minor == 0:
	default:
		return npyHeader{}, fmt.Errorf(".npy format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	pre2 := pre[:8+lenSize]
	if _, err := io.ReadFull(r, pre2[8:]); err != nil {
		return npyHeader{}, fmt.Errorf("header: %w", eofIsUnexpected(err))
	}
	textLen := uint64(binary.LittleEndian.Uint16(pre2[8:]))
	if lenSize == 4 {
		textLen = uint64(binary.LittleEndian.Uint32(pre2[8:]))
	}
	offset := int64(len(pre2)) + int64(textLen)
	if textLen > maxNPYHeader || offset > size {
		return npyHeader{}, fmt.Errorf("header of %d bytes in a file of %d: truncated or corrupt", textLen, size)
	}
	text := make([]byte, textLen)
	if _, err := io.ReadFull(r, text); err != nil {
		return npyHeader{}, fmt.Errorf("header: %w", eofIsUnexpected(err))
	}
	h, err := parseNPYHeader(pre2, text)
	if err != nil {
		return npyHeader{}, err
	}
	h.offset = offset
	if want := int64(h.count) * int64(h.dtype.size); size-offset != want {
		if size-offset < want {
			return npyHeader{}, fmt.Errorf("truncated: shape %s of '%s' needs %d bytes of data, the file holds %d", shapeString(h.shape), h.dtype.descr, want, size-offset)
		}
		return npyHeader{}, fmt.Errorf("%d bytes after the data of shape %s", size-offset-want, shapeString(h.shape))
	}
	return h, nil
}

var errNPYDict = errors.New("header is not the dictionary NumPy writes ({'descr': …, 'fortran_order': …, 'shape': (…), })")

// parseNPYHeader reads the header dictionary with npyio and checks its
// values. npyio reads format versions 1.0 and 2.0; 3.0 differs from 2.0 only
// in encoding the text as UTF-8 rather than Latin-1, which matters for the
// field names of record types alone, so a 3.0 preamble is passed on as 2.0.
// npyio slices the text where it expects NumPy's key order and separators,
// the trailing ", }" included, without checking bounds: a dictionary laid
// out otherwise can make it misread the shape or panic, so the text must end
// as NumPy's does, and a panic is recovered as an error.
func parseNPYHeader(pre, text []byte) (h npyHeader, err error) {
	if !bytes.HasSuffix(text, []byte("\n")) || !bytes.HasSuffix(bytes.TrimRight(text[:len(text)-1], " "), []byte(", }")) {
		return npyHeader{}, errNPYDict
	}
	pre = bytes.Clone(pre)
	if pre[6] == 3 {
		pre[6] = 2
	}
	var hdr npy.Header
	func() {
		defer func() {
			if recover() != nil {
				err = errNPYDict
			}
		}()
		var rd *npy.Reader
		if rd, err = npy.NewReader(io.MultiReader(bytes.NewReader(pre), bytes.NewReader(text))); err == nil {
			hdr = rd.Header
		}
	}()
	if err != nil && err != errNPYDict {
		err = fmt.Errorf("%w: %v", errNPYDict, err)
	}
	if err != nil {
		return npyHeader{}, err
	}
	if h.dtype, err = parseDtype(hdr.Descr.Type); err != nil {
		return npyHeader{}, err
	}
	h.fortran, h.shape, h.count = hdr.Descr.Fortran, hdr.Descr.Shape, 1
	for _, d := range h.shape {
		if d < 0 {
			return npyHeader{}, fmt.Errorf("shape %s has a negative dimension", shapeString(h.shape))
		}
		if d > 0 && h.count > maxNPYElements/d {
			return npyHeader{}, fmt.Errorf("shape %s: more than %d elements", shapeString(h.shape), maxNPYElements)
		}
		h.count *= d
	}
	return h, nil
}

// shapeString writes a shape as Python does: (3,), (2, 3).
func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// chunks reads the array's data, which follow the header in r, and hands
// them to fn a whole number of elements at a time, with the index of the
// first in storage order. It then checks that r ends there: an .npz entry
// verifies its checksum only at its end.
func (h npyHeader) chunks(r io.Reader, fn func(k int, data []byte) error) error {
	size := h.dtype.size
	buf := make([]byte, min(npyChunk/size, h.count)*size)
	for k := 0; k < h.count; {
		n := min(len(buf)/size, h.count-k)
		if _, err := io.ReadFull(r, buf[:n*size]); err != nil {
			return fmt.Errorf("data: %w", eofIsUnexpected(err))
		}
		if err := fn(k, buf[:n*size]); err != nil {
			return err
		}
		k += n
	}
	var one [1]byte
	switch n, err := io.ReadFull(r, one[:]); {
	case n > 0:
		return fmt.Errorf("bytes after the data of shape %s", shapeString(h.shape))
	case err != io.EOF:
		return fmt.Errorf("data: %w", err)
	}
	return nil
}

// readFloats reads the array's elements as float64 in C order (row-major,
// last axis fastest) whatever the order the file stores them in: C-order data
// are decoded in place, Fortran-order data through a buffer of one chunk. A
// NaN or an infinity is an error naming the element.
func (h npyHeader) readFloats(r io.Reader) ([]float64, error) {
	out := make([]float64, h.count)
	var w *walk
	var buf []float64
	if h.fortran {
		w, buf = newWalk(h.shape, true), make([]float64, min(npyChunk/h.dtype.size, h.count))
	}
	err := h.chunks(r, func(k int, data []byte) error {
		vals := out[k : k+len(data)/h.dtype.size]
		if h.fortran {
			vals = buf[:len(vals)]
		}
		h.dtype.decode(vals, data)
		for e, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				pos := k + e
				if h.fortran {
					for range e {
						w.next()
					}
					pos = w.pos
				}
				return fmt.Errorf("element %s is %v: want finite numbers", indexString(h.shape, pos), v)
			}
		}
		if h.fortran {
			for _, v := range vals {
				out[w.pos] = v
				w.next()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readLabels reads the array's elements as class indices 0..MaxClasses−1;
// the array holds integers and has one element per row.
func (h npyHeader) readLabels(r io.Reader) ([]int, error) {
	out := make([]int, h.count)
	size := h.dtype.size
	err := h.chunks(r, func(k int, data []byte) error {
		for e := 0; e < len(data); e, k = e+size, k+1 {
			var v string
			switch u := h.dtype.bits(data[e:]); {
			case h.dtype.kind == 'u' && u < MaxClasses:
				out[k] = int(u)
				continue
			case h.dtype.kind == 'u':
				v = strconv.FormatUint(u, 10)
			default:
				s := h.dtype.signed(data[e:])
				if s >= 0 && s < MaxClasses {
					out[k] = int(s)
					continue
				}
				v = strconv.FormatInt(s, 10)
			}
			return fmt.Errorf("label %s at index %d: want a class index 0..%d", v, k, MaxClasses-1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk visits the elements of an array in the order they are stored and
// keeps pos, the offset of the current one in C order. It is an odometer
// over the axes from the fastest varying in storage to the slowest: the last
// axis first in C order (where pos just counts), the first in Fortran order.
type walk struct {
	axes, dims, idx, stride []int
	pos                     int
}

func newWalk(shape []int, fortran bool) *walk {
	n := len(shape)
	w := &walk{dims: shape, idx: make([]int, n), stride: make([]int, n)}
	s := 1
	for a := n - 1; a >= 0; a-- {
		w.stride[a] = s
		s *= shape[a]
		if !fortran {
			w.axes = append(w.axes, a)
		}
	}
	if fortran {
		for a := range n {
			w.axes = append(w.axes, a)
		}
	}
	return w
}

// next steps to the following element in storage order.
func (w *walk) next() {
	for _, a := range w.axes {
		w.idx[a]++
		w.pos += w.stride[a]
		if w.idx[a] < w.dims[a] {
			return
		}
		w.pos -= w.stride[a] * w.dims[a]
		w.idx[a] = 0
	}
}

// indexString writes the multi-index of C-order offset pos in shape as
// Python does: [3, 0, 17].
func indexString(shape []int, pos int) string {
	idx := make([]string, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = strconv.Itoa(pos % shape[a])
		pos /= shape[a]
	}
	return "[" + strings.Join(idx, ", ") + "]"
}
