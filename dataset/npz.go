package dataset

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// NumPy is a data set read from the NumPy arrays x_train, y_train, x_test and
// y_test (docs/science.md §16).
//
// X holds x's values as float64, unscaled: floats exactly, integers exactly
// up to 2⁵³ in magnitude. Row i of X is x[i] flattened in C order (last axis
// fastest), whatever order the file stores x in, so an image of shape
// (28, 28) becomes 784 columns, row after row.
type NumPy struct {
	Train, Test Set

	// RowShape is the shape of one x[i], x's shape without its first axis:
	// [28 28] for Keras' mnist.npz, [2048] for a file of 2,048 features. X
	// has as many columns as the product of RowShape.
	RowShape []int

	// IntegerX reports whether x has an integer dtype (uint8 pixels, say);
	// x_train and x_test are both integers or both floats. ScalePixels
	// reads it.
	IntegerX bool
}

// ReadNPZ reads a data set from an .npz archive (NumPy's savez or
// savez_compressed) holding the arrays x_train, y_train, x_test and y_test,
// the layout of Keras' mnist.npz; other arrays in the archive are ignored.
//
// x_train and x_test have shape (N, …), at least two axes, with the same
// trailing axes, and a numeric dtype: signed or unsigned integers of 1 to 8
// bytes, or floats of 2, 4 or 8 bytes, in either byte order, stored in C or
// Fortran order; both integers or both floats, every value finite. y_train
// and y_test have shape (N,) or (N, 1), N that of their x, and an integer
// dtype holding class indices 0..K−1 below MaxClasses, every class with a
// training point (see Classes).
//
// Everything the headers tell is checked before any data are read. Errors
// are one line that names the file and the array. Reading holds one float64
// copy of x and small buffers, never a copy in the file's own dtype.
func ReadNPZ(path string) (NumPy, error) { return readNPZFile(path, len(npzArrays)) }

// ReadNPZTrain reads x_train and y_train only, as ReadNPZ would: a run that
// certifies a validation split of the training set never reads the test
// arrays. Test is empty.
func ReadNPZTrain(path string) (NumPy, error) { return readNPZFile(path, 2) }

func readNPZFile(path string, arrays int) (NumPy, error) {
	f, err := os.Open(path)
	if err != nil {
		return NumPy{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return NumPy{}, err
	}
	return readNPZ(f, info.Size(), path, arrays)
}

// NPYFiles names the four .npy files (NumPy's save) of a data set.
type NPYFiles struct {
	XTrain, YTrain, XTest, YTest string
}

// ReadNPYFiles reads a data set from four .npy files holding the arrays that
// ReadNPZ reads from an archive, under the same rules. With XTest and YTest
// both empty it reads the training arrays only, like ReadNPZTrain.
func ReadNPYFiles(files NPYFiles) (NumPy, error) {
	names := []string{files.XTrain, files.YTrain, files.XTest, files.YTest}
	if files.XTest == "" && files.YTest == "" {
		names = names[:2]
	}
	src := make([]source, len(names))
	for i, name := range names {
		info, err := os.Stat(name)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return NumPy{}, fmt.Errorf("%s: %s: %w", name, npzArrays[i], err)
		}
		src[i] = source{file: name, array: npzArrays[i], size: info.Size(),
			open: func() (io.ReadCloser, error) { return os.Open(name) }}
	}
	return load(src)
}

// npzArrays are the arrays a data set is read from, in the order load takes
// them.
var npzArrays = [4]string{"x_train", "y_train", "x_test", "y_test"}

// maxDeflateRatio bounds how many bytes deflate can expand one byte into
// (a 258-byte match coded in 2 bits): an entry announcing more is corrupt.
const maxDeflateRatio = 1032

// readNPZ reads the first arrays (4, or 2 for the training set only) of
// npzArrays from an archive of size bytes that is named file in errors.
func readNPZ(r io.ReaderAt, size int64, file string, arrays int) (NumPy, error) {
	z, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return NumPy{}, fmt.Errorf("%s: not a readable .npz (zip) archive: %v", file, err)
	}
	src := make([]source, arrays)
	for i, array := range npzArrays[:arrays] {
		j := slices.IndexFunc(z.File, func(f *zip.File) bool { return f.Name == array+".npy" || f.Name == array })
		if j < 0 {
			var names []string
			for _, f := range z.File {
				names = append(names, strings.TrimSuffix(f.Name, ".npy"))
			}
			return NumPy{}, fmt.Errorf("%s: %s: no such array in the archive (it holds %s)", file, array, strings.Join(names, ", "))
		}
		f := z.File[j]
		src[i] = source{file: file, array: array, size: int64(f.UncompressedSize64), open: f.Open}
		switch {
		case f.Method != zip.Store && f.Method != zip.Deflate:
			return NumPy{}, src[i].errorf(fmt.Errorf("zip compression method %d: NumPy writes stored (0) or deflated (8) entries", f.Method))
		case f.CompressedSize64 > uint64(size),
			f.Method == zip.Store && f.UncompressedSize64 != f.CompressedSize64,
			f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64:
			return NumPy{}, src[i].errorf(fmt.Errorf("corrupt zip entry: %d bytes announced from %d compressed", f.UncompressedSize64, f.CompressedSize64))
		}
	}
	return load(src)
}

// source is one array: a .npy file or an entry of an .npz archive.
type source struct {
	file, array string // named in errors
	size        int64  // bytes of the .npy stream
	open        func() (io.ReadCloser, error)
}

func (s source) errorf(err error) error { return fmt.Errorf("%s: %s: %w", s.file, s.array, err) }

// header reads the array's header.
func (s source) header() (npyHeader, error) {
	rc, err := s.open()
	if err != nil {
		return npyHeader{}, s.errorf(err)
	}
	defer rc.Close()
	h, err := readNPYHeader(rc, s.size)
	if err != nil {
		return npyHeader{}, s.errorf(err)
	}
	return h, nil
}

// read opens the array again and hands fn a reader of its data, those that
// header h describes.
func (s source) read(h npyHeader, fn func(io.Reader) error) error {
	rc, err := s.open()
	if err != nil {
		return s.errorf(err)
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, h.offset); err != nil {
		return s.errorf(fmt.Errorf("header: %w", eofIsUnexpected(err)))
	}
	if err := fn(rc); err != nil {
		return s.errorf(err)
	}
	return nil
}

// load reads x_train, y_train, x_test and y_test from src, in that order:
// first every header, checked alone and against each other, then the labels,
// then the features.
func load(src []source) (NumPy, error) {
	h := make([]npyHeader, len(src))
	for i, s := range src {
		var err error
		if h[i], err = s.header(); err != nil {
			return NumPy{}, err
		}
	}
	for i := 0; i < len(src); i += 2 {
		if err := checkX(h[i]); err != nil {
			return NumPy{}, src[i].errorf(err)
		}
		if err := checkY(h[i+1], h[i].shape[0], src[i].array); err != nil {
			return NumPy{}, src[i+1].errorf(err)
		}
	}
	if len(src) == 4 {
		if a, b := h[0].shape[1:], h[2].shape[1:]; !slices.Equal(a, b) {
			return NumPy{}, src[2].errorf(fmt.Errorf("rows of shape %s, but those of x_train have shape %s", shapeString(b), shapeString(a)))
		}
		if a, b := h[0].dtype, h[2].dtype; (a.kind == 'f') != (b.kind == 'f') {
			return NumPy{}, src[2].errorf(fmt.Errorf("dtype '%s' but x_train has '%s': want both integers or both floats, so that both scale alike", b.descr, a.descr))
		}
	}
	// Labels first: they are small, and a bad one is found before the
	// features are decoded.
	y := make([][]int, len(src)/2)
	for i := range y {
		s, hy := src[2*i+1], h[2*i+1]
		err := s.read(hy, func(r io.Reader) (err error) {
			y[i], err = hy.readLabels(r)
			return err
		})
		if err != nil {
			return NumPy{}, err
		}
	}
	sets := make([]Set, len(y))
	for i := range y {
		sets[i].Y = y[i]
	}
	if _, err := Classes(sets[0], sets[1:]...); err != nil {
		return NumPy{}, src[1].errorf(err)
	}
	for i := range sets {
		s, hx := src[2*i], h[2*i]
		err := s.read(hx, func(r io.Reader) error {
			data, err := hx.readFloats(r)
			if err == nil {
				sets[i].X = mat.NewDense(hx.shape[0], hx.count/hx.shape[0], data)
			}
			return err
		})
		if err != nil {
			return NumPy{}, err
		}
	}
	d := NumPy{Train: sets[0], RowShape: slices.Clone(h[0].shape[1:]), IntegerX: h[0].dtype.kind != 'f'}
	if len(sets) == 2 {
		d.Test = sets[1]
	}
	return d, nil
}

// checkX checks the header of x_train or x_test: rows of at least one value.
func checkX(h npyHeader) error {
	switch {
	case len(h.shape) < 2:
		return fmt.Errorf("shape %s: want (rows, features…); for one feature per row store x.reshape(-1, 1)", shapeString(h.shape))
	case h.shape[0] == 0:
		return fmt.Errorf("shape %s: no rows", shapeString(h.shape))
	case h.count == 0:
		return fmt.Errorf("shape %s: rows without values", shapeString(h.shape))
	}
	return nil
}

// checkY checks the header of y_train or y_test, the labels of the rows of
// the array named x.
func checkY(h npyHeader, rows int, x string) error {
	switch {
	case h.dtype.kind == 'f':
		return fmt.Errorf("dtype '%s': labels must have an integer dtype (store y.astype(numpy.int64))", h.dtype.descr)
	case len(h.shape) == 0 || len(h.shape) > 2 || len(h.shape) == 2 && h.shape[1] != 1:
		return fmt.Errorf("shape %s: want (rows,) or (rows, 1)", shapeString(h.shape))
	case h.shape[0] != rows:
		return fmt.Errorf("%d labels for the %d rows of %s", h.shape[0], rows, x)
	}
	return nil
}

// IsImage28 reports whether rows of shape rowShape are 28×28 grey-scale
// images, as MNIST's, Fashion-MNIST's and KMNIST's are: (28, 28), (784,), or
// with a channel axis of one, (28, 28, 1) or (1, 28, 28).
func IsImage28(rowShape []int) bool {
	for _, s := range [][]int{{28, 28}, {784}, {28, 28, 1}, {1, 28, 28}} {
		if slices.Equal(rowShape, s) {
			return true
		}
	}
	return false
}

// ScalePixels scales the pixel values of both sets to [0, 1] in place, as
// MNIST's are scaled (p/255; docs/science.md §16), deciding from the dtype
// and the values of x_train and x_test together, so both scale alike:
//
//   - integer x (IntegerX), every value in 0..255: p ↦ p/255, so uint8
//     images give the same float64 as MNIST's IDX files;
//   - float x, every value in [0, 1]: kept;
//   - float x, every value in [0, 255], some above 1: p ↦ p/255.
//
// Any other range is an error: negative values or values above 255 are not
// raw intensities (standardised images, say), and flipcert's image features
// expect them in [0, 1]. Binary images stored as integers 0 and 1 would
// become 0 and 1/255: store them as floats.
func (d *NumPy) ScalePixels() error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range []Set{d.Train, d.Test} {
		for i := range s.Len() {
			for _, v := range s.X.RawRowView(i) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo < 0 || hi > 255 {
		return fmt.Errorf("pixel values in [%g, %g]: want raw intensities in 0..255 or [0, 1]", lo, hi)
	}
	if !d.IntegerX && hi <= 1 {
		return nil
	}
	for _, s := range []Set{d.Train, d.Test} {
		for i := range s.Len() {
			row := s.X.RawRowView(i)
			for j, v := range row {
				row[j] = v / 255
			}
		}
	}
	return nil
}
