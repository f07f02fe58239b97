package dataset

import (
	"bytes"
	"strings"
	"testing"
)

// The fuzz targets check that every input gives a value or an error, never a
// panic or a hang; more seeds live in testdata/fuzz.

func FuzzReadCSV(f *testing.F) {
	f.Add("label,a,b\n0,1,2\n1,3,4\n")
	f.Add("label,a\n1,1e308\n0,-0\n")
	f.Add("label,a\n0,\"1\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, names, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		if r, c := s.X.Dims(); r != len(s.Y) || c != len(names) || r == 0 {
			t.Fatalf("X %d×%d with %d labels and %d names", r, c, len(s.Y), len(names))
		}
	})
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]uint32{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes([]uint32{3}, []byte{9, 9, 9}))
	f.Add([]byte{0, 0, 8, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		idx, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("dims %v but %d elements", idx.Dims, len(idx.Data))
		}
	})
}
