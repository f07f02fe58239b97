package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The fixtures in testdata were written by NumPy 1.24 with make_npz.py; the
// expected values below are the formulas in its doc string.

func TestReadNPZKeras(t *testing.T) {
	d, err := ReadNPZ("testdata/keras.npz")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.RowShape, []int{3, 4}) || !d.IntegerX {
		t.Fatalf("RowShape %v, IntegerX %v; want [3 4] and true", d.RowShape, d.IntegerX)
	}
	for _, tc := range []struct {
		name  string
		s     Set
		rows  int
		pixel func(i, j, k int) float64
		label func(i int) int
	}{
		{"train", d.Train, 6, func(i, j, k int) float64 { return float64(3 * (12*i + 4*j + k)) }, func(i int) int { return i % 3 }},
		{"test", d.Test, 3, func(i, j, k int) float64 { return float64(255 - (12*i + 4*j + k)) }, func(i int) int { return 2 - i }},
	} {
		checkGrid(t, tc.name, tc.s, tc.rows, []int{3, 4}, tc.pixel)
		for i, y := range tc.s.Y {
			if y != tc.label(i) {
				t.Errorf("%s: y[%d] = %d, want %d", tc.name, i, y, tc.label(i))
			}
		}
	}
	if err := d.ScalePixels(); err != nil {
		t.Fatal(err)
	}
	// Scaled as MNIST's bytes are: float64(p)/255.
	checkGrid(t, "scaled train", d.Train, 6, []int{3, 4}, func(i, j, k int) float64 { return float64(byte(3*(12*i+4*j+k))) / 255 })
}

// checkGrid checks that s has rows rows of shape [dj, dk] flattened in C
// order, x[i, j, k] = want(i, j, k) exactly.
func checkGrid(t *testing.T, name string, s Set, rows int, shape []int, want func(i, j, k int) float64) {
	t.Helper()
	if r, c := s.X.Dims(); r != rows || c != shape[0]*shape[1] || len(s.Y) != rows {
		t.Fatalf("%s: X %d×%d with %d labels, want %d×%d", name, r, c, len(s.Y), rows, shape[0]*shape[1])
	}
	for i := range rows {
		for j := range shape[0] {
			for k := range shape[1] {
				if got, w := s.X.At(i, j*shape[1]+k), want(i, j, k); math.Float64bits(got) != math.Float64bits(w) {
					t.Fatalf("%s: x[%d, %d, %d] = %v, want %v", name, i, j, k, got, w)
				}
			}
		}
	}
}

// fixtureArray returns the array named name of testdata/dtypes.npz.
func fixtureArray(t *testing.T, name string) (source, npyHeader) {
	t.Helper()
	z, err := zip.OpenReader("testdata/dtypes.npz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { z.Close() })
	for _, f := range z.File {
		if f.Name == name+".npy" {
			s := source{file: "dtypes.npz", array: name, size: int64(f.UncompressedSize64), open: f.Open}
			h, err := s.header()
			if err != nil {
				t.Fatal(err)
			}
			return s, h
		}
	}
	t.Fatalf("no array %s in testdata/dtypes.npz", name)
	return source{}, npyHeader{}
}

func fixtureFloats(t *testing.T, name string) ([]float64, npyHeader) {
	t.Helper()
	s, h := fixtureArray(t, name)
	var x []float64
	err := s.read(h, func(r io.Reader) (err error) {
		x, err = h.readFloats(r)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x, h
}

func TestNPYDtypes(t *testing.T) {
	ints := []string{"i1", "u1", "i2le", "i2be", "u2le", "u2be", "i4le", "i4be", "u4le", "u4be", "i8le", "i8be", "u8le", "u8be"}
	floats := []string{"f2le", "f2be", "f4le", "f4be", "f8le", "f8be"}
	var names []string
	for _, t := range append(ints, floats...) {
		names = append(names, t+"_C")
	}
	for _, t := range []string{"u1", "i2be", "u4le", "i8be", "f2le", "f4be", "f8le"} {
		names = append(names, t+"_F")
	}
	for _, name := range names {
		x, h := fixtureFloats(t, name)
		if !slices.Equal(h.shape, []int{3, 2, 4}) || h.fortran != strings.HasSuffix(name, "_F") {
			t.Errorf("%s: shape %v, Fortran %v", name, h.shape, h.fortran)
			continue
		}
		for i := range 3 {
			for j := range 2 {
				for k := range 4 {
					v := float64(40*i + 10*j + k)
					switch name[0] {
					case 'i':
						v -= 50
					case 'f':
						v = (v - 50) / 4
					}
					if got := x[i*8+j*4+k]; got != v {
						t.Fatalf("%s: x[%d, %d, %d] = %v, want %v", name, i, j, k, got, v)
					}
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		want []float64
	}{
		// float64 rounds 2⁶³−1 and 2⁶⁴−1 to the nearest, 2⁶³ and 2⁶⁴.
		{"i8extremes", []float64{-0x1p63, 0x1p63}},
		{"u8extremes", []float64{0, 0x1p64}},
		// float16's smallest subnormal, its largest finite value, −0.
		{"f2extremes", []float64{0x1p-24, 65504, math.Copysign(0, -1)}},
	} {
		x, _ := fixtureFloats(t, tc.name)
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(tc.want[i]) {
				t.Errorf("%s: %v, want %v", tc.name, x, tc.want)
				break
			}
		}
	}
	for _, ty := range ints {
		s, h := fixtureArray(t, "y"+ty)
		var y []int
		err := s.read(h, func(r io.Reader) (err error) {
			y, err = h.readLabels(r)
			return err
		})
		if want := []int{0, 3, 2, 1, 0}; err != nil || !slices.Equal(y, want) {
			t.Errorf("y%s: %v, %v; want %v", ty, y, err, want)
		}
	}
}

func TestNPYFixtureRefusals(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"f8nan", "element [1, 1] is NaN"},
		{"f4inf", "element [1, 2] is -Inf"},
		{"complex", "'<c8' (complex numbers) is not supported"},
		{"bool", "'|b1' (booleans) is not supported"},
		{"strings", "'<U2' (strings) is not supported"},
		{"bytes", "'|S2' (bytes) is not supported"},
		{"objects", "'|O' (Python objects) is not supported"},
		{"dates", "'<M8[D]' (dates) is not supported"},
	} {
		z, err := zip.OpenReader("testdata/dtypes.npz")
		if err != nil {
			t.Fatal(err)
		}
		var s source
		for _, f := range z.File {
			if f.Name == tc.name+".npy" {
				s = source{file: "dtypes.npz", array: tc.name, size: int64(f.UncompressedSize64), open: f.Open}
			}
		}
		h, err := s.header()
		if err == nil {
			err = s.read(h, func(r io.Reader) error { _, err := h.readFloats(r); return err })
		}
		z.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dtypes.npz: "+tc.name+": ") {
			t.Errorf("%s: err = %v, want it to name the array and mention %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name, want string
		check      func(npyHeader) error
	}{
		{"yfloat", "integer dtype", func(h npyHeader) error { return checkY(h, 2, "x") }},
		{"ycolumn", "", func(h npyHeader) error { return checkY(h, 3, "x") }},
		{"zerorows", "no rows", checkX},
		{"zerocols", "rows without values", checkX},
		{"vector", "want (rows, features…)", checkX},
		{"scalar", "shape (): want (rows, features…)", checkX},
	} {
		_, h := fixtureArray(t, tc.name)
		err := tc.check(h)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"ynegative", "label -1 at index 2"},
		{"yhuge", "label 9223372036854775813 at index 1"},
	} {
		s, h := fixtureArray(t, tc.name)
		err := s.read(h, func(r io.Reader) error { _, err := h.readLabels(r); return err })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadNPYFiles(t *testing.T) {
	d, err := ReadNPYFiles(NPYFiles{
		XTrain: "testdata/pair/x_train.npy", YTrain: "testdata/pair/y_train.npy",
		XTest: "testdata/pair/x_test.npy", YTest: "testdata/pair/y_test.npy",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.RowShape, []int{2, 3}) || d.IntegerX {
		t.Fatalf("RowShape %v, IntegerX %v; want [2 3] and false", d.RowShape, d.IntegerX)
	}
	checkGrid(t, "train (>f4, Fortran order, version 1.0)", d.Train, 4, []int{2, 3}, func(i, j, k int) float64 { return float64(6*i+3*j+k) / 8 })
	checkGrid(t, "test (<f8, version 3.0)", d.Test, 2, []int{2, 3}, func(i, j, k int) float64 { return float64(-(6*i + 3*j + k)) / 2 })
	if !slices.Equal(d.Train.Y, []int{1, 0, 1, 0}) || !slices.Equal(d.Test.Y, []int{0, 1}) {
		t.Errorf("labels %v and %v", d.Train.Y, d.Test.Y)
	}
	_, err = ReadNPYFiles(NPYFiles{XTrain: "testdata/pair/x_train.npy", YTrain: "testdata/pair/y_train.npy",
		XTest: "testdata/pair/none.npy", YTest: "testdata/pair/y_test.npy"})
	if want := "testdata/pair/none.npy: x_test: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	_, err = ReadNPYFiles(NPYFiles{XTrain: "testdata/pair/x_train.npy", YTrain: "testdata/pair/y_test.npy",
		XTest: "testdata/pair/x_test.npy", YTest: "testdata/pair/y_test.npy"})
	if want := "testdata/pair/y_test.npy: y_train: 2 labels for the 4 rows of x_train"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// npyBytes writes a .npy stream as NumPy's format 1.0 writer does: preamble,
// header dictionary padded with spaces and a newline to a multiple of 64
// bytes, data.
func npyBytes(descr, fortran, shape string, data []byte) []byte {
	return npyRaw(fmt.Sprintf("{'descr': %s, 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape), data)
}

// npyRaw writes a version 1.0 stream with the header text dict.
func npyRaw(dict string, data []byte) []byte {
	pad := 63 - (10+len(dict))%64
	text := dict + strings.Repeat(" ", pad) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(text)), byte(len(text)>>8))
	return append(append(b, text...), data...)
}

// enc encodes a slice of fixed-size numbers in the byte order o.
func enc(o binary.ByteOrder, v any) []byte {
	b, err := binary.Append(nil, o, v)
	if err != nil {
		panic(err)
	}
	return b
}

// npzBytes writes arrays (name → .npy stream) as the entries name.npy of a
// zip archive, in name order, with the given compression method.
func npzBytes(arrays map[string][]byte, method uint16) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	// A method zip does not know, to test that the reader refuses it.
	z.RegisterCompressor(12, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
	for _, name := range slices.Sorted(maps.Keys(arrays)) {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: method})
		if err != nil {
			panic(err)
		}
		w.Write(arrays[name])
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// goodArrays is a valid data set: x_train (4, 2) <f4, labels 0 1 0 1,
// x_test (2, 2) <f4, labels 1 0.
func goodArrays() map[string][]byte {
	return map[string][]byte{
		"x_train": npyBytes("'<f4'", "False", "(4, 2)", enc(binary.LittleEndian, []float32{0, 1, 2, 3, 4, 5, 6, 7})),
		"y_train": npyBytes("'|u1'", "False", "(4,)", []byte{0, 1, 0, 1}),
		"x_test":  npyBytes("'<f4'", "False", "(2, 2)", enc(binary.LittleEndian, []float32{8, 9, 10, 11})),
		"y_test":  npyBytes("'|u1'", "False", "(2,)", []byte{1, 0}),
	}
}

func TestReadNPZRefuses(t *testing.T) {
	f4 := func(v ...float32) []byte { return enc(binary.LittleEndian, v) }
	set := func(name string, b []byte) func(map[string][]byte) {
		return func(a map[string][]byte) { a[name] = b }
	}
	x22 := f4(0, 1, 2, 3)
	for _, tc := range []struct {
		name   string
		edit   func(map[string][]byte)
		method uint16
		raw    func([]byte) []byte // edits the archive's bytes
		array  string              // named in the error; "" for the archive
		want   string
	}{
		{name: "good", edit: func(map[string][]byte) {}},
		{name: "good deflated", edit: func(map[string][]byte) {}, method: zip.Deflate},
		{name: "missing array", edit: func(a map[string][]byte) { delete(a, "y_test") }, array: "y_test", want: "no such array in the archive (it holds x_test, x_train, y_train)"},
		{name: "rows ≠ labels", edit: set("y_train", npyBytes("'|u1'", "False", "(3,)", []byte{0, 1, 0})), array: "y_train", want: "3 labels for the 4 rows of x_train"},
		{name: "shapes differ", edit: set("x_test", npyBytes("'<f4'", "False", "(2, 1, 2)", x22)), array: "x_test", want: "rows of shape (1, 2), but those of x_train have shape (2,)"},
		{name: "int and float", edit: set("x_test", npyBytes("'|u1'", "False", "(2, 2)", []byte{1, 2, 3, 4})), array: "x_test", want: "dtype '|u1' but x_train has '<f4'"},
		{name: "NaN", edit: set("x_train", npyBytes("'<f4'", "False", "(4, 2)", f4(0, 1, 2, float32(math.NaN()), 4, 5, 6, 7))), array: "x_train", want: "element [1, 1] is NaN"},
		{name: "Inf Fortran", edit: set("x_test", npyBytes("'>f8'", "True", "(2, 2)", enc(binary.BigEndian, []float64{0, math.Inf(1), 2, 3}))), array: "x_test", want: "element [1, 0] is +Inf"},
		{name: "negative label", edit: set("y_train", npyBytes("'<i2'", "False", "(4,)", enc(binary.LittleEndian, []int16{0, 1, -3, 1}))), array: "y_train", want: "label -3 at index 2"},
		{name: "float labels", edit: set("y_test", npyBytes("'<f8'", "False", "(2,)", enc(binary.LittleEndian, []float64{1, 0}))), array: "y_test", want: "labels must have an integer dtype"},
		{name: "huge label", edit: set("y_test", npyBytes("'>u4'", "False", "(2,)", enc(binary.BigEndian, []uint32{1, 10000}))), array: "y_test", want: "label 10000 at index 1: want a class index 0..9999"},
		{name: "class gap", edit: set("y_train", npyBytes("'|u1'", "False", "(4,)", []byte{0, 2, 0, 2})), array: "y_train", want: "class 1 has no training point"},
		{name: "labels 2-D", edit: set("y_test", npyBytes("'|u1'", "False", "(2, 2)", []byte{1, 0, 1, 0})), array: "y_test", want: "shape (2, 2): want (rows,) or (rows, 1)"},
		{name: "x 1-D", edit: set("x_train", npyBytes("'<f4'", "False", "(4,)", f4(0, 1, 2, 3))), array: "x_train", want: "shape (4,): want (rows, features…)"},
		{name: "0 rows", edit: func(a map[string][]byte) {
			a["x_test"] = npyBytes("'<f4'", "False", "(0, 2)", nil)
			a["y_test"] = npyBytes("'|u1'", "False", "(0,)", nil)
		}, array: "x_test", want: "shape (0, 2): no rows"},
		{name: "complex", edit: set("x_test", npyBytes("'<c8'", "False", "(2, 2)", f4(0, 1, 2, 3, 4, 5, 6, 7))), array: "x_test", want: "dtype '<c8' (complex numbers) is not supported"},
		{name: "object", edit: set("x_test", npyBytes("'|O'", "False", "(2, 2)", nil)), array: "x_test", want: "dtype '|O' (Python objects) is not supported"},
		{name: "strings", edit: set("x_test", npyBytes("'<U1'", "False", "(2, 2)", x22)), array: "x_test", want: "dtype '<U1' (strings) is not supported"},
		{name: "bool", edit: set("y_test", npyBytes("'|b1'", "False", "(2,)", []byte{1, 0})), array: "y_test", want: "dtype '|b1' (booleans) is not supported"},
		{name: "long double", edit: set("x_test", npyBytes("'<f16'", "False", "(2, 2)", nil)), array: "x_test", want: "dtype '<f16' is not supported"},
		{name: "record", edit: set("x_test", npyBytes("[('a', '<f4')]", "False", "(2, 2)", x22)), array: "x_test", want: "record (structured) type"},
		{name: "native order", edit: set("x_test", npyBytes("'=f4'", "False", "(2, 2)", x22)), array: "x_test", want: "does not say its byte order"},
		{name: "truncated data", edit: set("x_test", npyBytes("'<f4'", "False", "(2, 2)", x22[:15])), array: "x_test", want: "truncated: shape (2, 2) of '<f4' needs 16 bytes of data, the file holds 15"},
		{name: "trailing data", edit: set("x_test", npyBytes("'<f4'", "False", "(2, 2)", append(x22, 0))), array: "x_test", want: "1 bytes after the data of shape (2, 2)"},
		{name: "negative dimension", edit: set("x_test", npyBytes("'<f4'", "False", "(-2, 2)", x22)), array: "x_test", want: "negative dimension"},
		{name: "huge shape", edit: set("x_test", npyBytes("'<f4'", "False", "(100000, 100000, 1000)", x22)), array: "x_test", want: "more than 1073741824 elements"},
		{name: "bad magic", edit: set("x_test", append([]byte("\x93NUMPZ"), npyBytes("'<f4'", "False", "(2, 2)", x22)[6:]...)), array: "x_test", want: "not a .npy array"},
		{name: "empty npy", edit: set("x_test", nil), array: "x_test", want: "not a .npy array: unexpected EOF"},
		{name: "version 4.0", edit: set("x_test", append([]byte("\x93NUMPY\x04\x00"), npyBytes("'<f4'", "False", "(2, 2)", x22)[8:]...)), array: "x_test", want: "format version 4.0"},
		{name: "header past the end", edit: set("x_test", []byte("\x93NUMPY\x01\x00\xff\x00{}")), array: "x_test", want: "header of 255 bytes in a file of 12"},
		{name: "header without newline", edit: set("x_test", []byte("\x93NUMPY\x01\x00\x02\x00{}")), array: "x_test", want: "header is not the dictionary NumPy writes"},
		{name: "no trailing comma", edit: set("x_test", npyRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", x22)), array: "x_test", want: "header is not the dictionary NumPy writes"},
		{name: "keys reordered", edit: set("x_test", npyRaw("{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4', }", x22)), array: "x_test", want: "header is not the dictionary NumPy writes"},
		{name: "bad fortran_order", edit: set("x_test", npyBytes("'<f4'", "maybe", "(2, 2)", x22)), array: "x_test", want: "header is not the dictionary NumPy writes"},
		{name: "bad shape", edit: set("x_test", npyBytes("'<f4'", "False", "(2L, 2L)", x22)), array: "x_test", want: "header is not the dictionary NumPy writes"},
		{name: "not a zip", edit: func(map[string][]byte) {}, raw: func([]byte) []byte { return []byte("x_train,y_train\n") }, want: "not a readable .npz (zip) archive"},
		{name: "truncated zip", edit: func(map[string][]byte) {}, raw: func(b []byte) []byte { return b[:len(b)-30] }, want: "not a readable .npz (zip) archive"},
		{name: "compression method", edit: func(map[string][]byte) {}, method: 12, array: "x_train", want: "zip compression method 12"},
		{name: "checksum", edit: func(map[string][]byte) {}, raw: func(b []byte) []byte {
			// Swap y_test's labels 1 0 to 0 1: valid values, wrong CRC-32.
			i := bytes.Index(b, goodArrays()["y_test"]) + len(goodArrays()["y_test"]) - 2
			b[i], b[i+1] = b[i+1], b[i]
			return b
		}, array: "y_test", want: "data: zip: checksum error"},
	} {
		arrays := goodArrays()
		tc.edit(arrays)
		data := npzBytes(arrays, tc.method)
		if tc.raw != nil {
			data = tc.raw(data)
		}
		path := filepath.Join(t.TempDir(), "set.npz")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadNPZ(path)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		prefix := path + ": "
		if tc.array != "" {
			prefix += tc.array + ": "
		}
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v\nwant one line starting %q and mentioning %q", tc.name, err, prefix, tc.want)
		}
	}
}

func TestIsImage28(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		want  bool
	}{
		{[]int{28, 28}, true}, {[]int{784}, true}, {[]int{28, 28, 1}, true}, {[]int{1, 28, 28}, true},
		{[]int{28, 28, 3}, false}, {[]int{32, 32, 3}, false}, {[]int{2048}, false}, {[]int{28}, false}, {nil, false},
	} {
		if got := IsImage28(tc.shape); got != tc.want {
			t.Errorf("IsImage28(%v) = %v, want %v", tc.shape, got, tc.want)
		}
	}
}

func TestScalePixels(t *testing.T) {
	set := func(v ...float64) Set { return Set{X: mat.NewDense(len(v), 1, v), Y: make([]int, len(v))} }
	for _, tc := range []struct {
		name                string
		integer             bool
		train, test         []float64
		wantTrain, wantTest []float64
		err                 string
	}{
		{"uint8", true, []float64{0, 255, 51}, []float64{1}, []float64{0, 1, 0.2}, []float64{1.0 / 255}, ""},
		{"integer 0/1 is still 8-bit", true, []float64{0, 1}, []float64{1}, []float64{0, 1.0 / 255}, []float64{1.0 / 255}, ""},
		{"float in [0,1] kept", false, []float64{0, 0.5, 1}, []float64{0.25}, []float64{0, 0.5, 1}, []float64{0.25}, ""},
		// The test set's 200 decides for both sets.
		{"float in [0,255]", false, []float64{0, 0.5, 1}, []float64{200}, []float64{0, 0.5 / 255, 1.0 / 255}, []float64{200.0 / 255}, ""},
		{"integer above 255", true, []float64{0, 256}, []float64{1}, nil, nil, "pixel values in [0, 256]"},
		{"standardised", false, []float64{-0.42, 2.8}, []float64{0}, nil, nil, "pixel values in [-0.42, 2.8]"},
	} {
		d := NumPy{Train: set(tc.train...), Test: set(tc.test...), RowShape: []int{1}, IntegerX: tc.integer}
		err := d.ScalePixels()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, s := range []struct {
			got  Set
			want []float64
		}{{d.Train, tc.wantTrain}, {d.Test, tc.wantTest}} {
			if got := mat.Col(nil, 0, s.got.X); !slices.Equal(got, s.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, s.want)
			}
		}
	}
}

// TestReadNPZTrainOnly: a validation run reads the training arrays alone, so
// an archive whose test arrays are missing or broken reads, and the same
// archive is refused by ReadNPZ.
func TestReadNPZTrainOnly(t *testing.T) {
	arrays := goodArrays()
	delete(arrays, "x_test")
	arrays["y_test"] = []byte("not an array")
	path := filepath.Join(t.TempDir(), "train.npz")
	if err := os.WriteFile(path, npzBytes(arrays, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadNPZTrain(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 4 || d.Test.Len() != 0 || d.Train.X.At(3, 1) != 7 {
		t.Errorf("train %d rows, test %d, x[3][1] = %v; want 4, 0 and 7", d.Train.Len(), d.Test.Len(), d.Train.X.At(3, 1))
	}
	if _, err := ReadNPZ(path); err == nil || !strings.Contains(err.Error(), "x_test") {
		t.Errorf("ReadNPZ: %v, want the missing x_test named", err)
	}
}
