package dataset

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// roundTripSets are a training and a test set whose features span float64:
// random bit patterns (NaN and infinities skipped), subnormals, ±0 and the
// extremes.
func roundTripSets() (train, test Set) {
	rng := rand.New(rand.NewPCG(1, 1))
	special := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		0x1p-1022 - 0x1p-1074, math.MaxFloat64, -math.MaxFloat64, 1, -1, 0.1}
	set := func(rows, cols, k int) Set {
		data := make([]float64, rows*cols)
		for i := range data {
			if i < len(special) {
				data[i] = special[i]
				continue
			}
			v := math.NaN()
			for math.IsNaN(v) || math.IsInf(v, 0) {
				v = math.Float64frombits(rng.Uint64())
			}
			data[i] = v
		}
		y := make([]int, rows)
		for i := range y {
			y[i] = i % k
		}
		return Set{X: mat.NewDense(rows, cols, data), Y: y}
	}
	return set(30, 7, 3), set(11, 7, 3)
}

func TestWriteNPZRoundTrip(t *testing.T) {
	train, test := roundTripSets()
	path := filepath.Join(t.TempDir(), "features.npz")
	if err := WriteNPZ(path, map[string]Set{"train": train, "test": test}); err != nil {
		t.Fatal(err)
	}
	d, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.RowShape, []int{7}) || d.IntegerX {
		t.Errorf("RowShape %v, IntegerX %v; want [7] and false", d.RowShape, d.IntegerX)
	}
	for _, tc := range []struct {
		name      string
		got, want Set
	}{{"train", d.Train, train}, {"test", d.Test, test}} {
		if !slices.Equal(tc.got.Y, tc.want.Y) {
			t.Errorf("%s: labels %v, want %v", tc.name, tc.got.Y, tc.want.Y)
		}
		g, w := tc.got.X.RawMatrix().Data, tc.want.X.RawMatrix().Data
		if len(g) != len(w) {
			t.Fatalf("%s: %d values, want %d", tc.name, len(g), len(w))
		}
		for i := range w {
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				t.Fatalf("%s: value %d is %v, want %v", tc.name, i, g[i], w[i])
			}
		}
	}
}

func TestWriteNPZRefusesNaN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "features.npz")
	s := Set{X: mat.NewDense(2, 2, []float64{0, 1, math.Inf(-1), 3}), Y: []int{0, 1}}
	err := WriteNPZ(path, map[string]Set{"train": s})
	if want := path + ": x_train[1, 0] is -Inf: want finite numbers"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
}

// python returns a Python interpreter that imports numpy, or skips the test.
func python(t *testing.T) string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	t.Skip("no python3 with numpy")
	return ""
}

// TestNumPyReadsWriteNPZ has NumPy load a file of WriteNPZ and print the
// dtype, shape and little-endian bytes of every array; the bytes must be
// those of the values written.
func TestNumPyReadsWriteNPZ(t *testing.T) {
	py := python(t)
	train, test := roundTripSets()
	path := filepath.Join(t.TempDir(), "features.npz")
	if err := WriteNPZ(path, map[string]Set{"train": train, "test": test}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import sys, numpy as np
d = np.load(sys.argv[1])
for k in sorted(d.files):
    a = d[k]
    print(k, a.dtype.str, a.shape, a.astype(a.dtype.newbyteorder("<")).tobytes().hex())
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var want []string
	for _, s := range []struct {
		name string
		set  Set
	}{{"test", test}, {"train", train}} {
		r, c := s.set.X.Dims()
		y := make([]int64, len(s.set.Y))
		for i, v := range s.set.Y {
			y[i] = int64(v)
		}
		want = append(want,
			"x_"+s.name+" <f8 "+shapeString([]int{r, c})+" "+hex.EncodeToString(enc(binary.LittleEndian, s.set.X.RawMatrix().Data)),
			"y_"+s.name+" <i8 "+shapeString([]int{r})+" "+hex.EncodeToString(enc(binary.LittleEndian, y)))
	}
	slices.Sort(want) // as Python's sorted(d.files)
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("NumPy printed %d lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("NumPy read\n%.200s…\nwant\n%.200s…", got[i], want[i])
		}
	}
}
