package dataset

import (
	"bytes"
	"math"
	"os"
	"testing"
)

// FuzzReadNPZ reads archives made from the Keras-layout fixture: every input
// gives a data set that keeps its invariants, or an error; never a panic, a
// hang or an allocation out of proportion to the input.
func FuzzReadNPZ(f *testing.F) {
	keras, err := os.ReadFile("testdata/keras.npz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(keras)
	f.Add(npzBytes(goodArrays(), 8))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := readNPZ(bytes.NewReader(in), int64(len(in)), "fuzz.npz", 4)
		if err != nil {
			return
		}
		cols := 1
		for _, n := range d.RowShape {
			cols *= n
		}
		for _, s := range []Set{d.Train, d.Test} {
			if r, c := s.X.Dims(); r != len(s.Y) || c != cols || r == 0 {
				t.Fatalf("X %d×%d with %d labels and rows of shape %v", r, c, len(s.Y), d.RowShape)
			}
		}
		if _, err := Classes(d.Train, d.Test); err != nil {
			t.Fatalf("labels accepted that Classes refuses: %v", err)
		}
	})
}

// FuzzReadNPY reads single .npy streams, seeded with the fixtures of the pair
// form, as features and as labels.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"x_train", "y_train", "x_test", "y_test"} {
		b, err := os.ReadFile("testdata/pair/" + name + ".npy")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := readNPYHeader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			return
		}
		data := bytes.NewReader(in[h.offset:])
		if x, err := h.readFloats(data); err == nil {
			if len(x) != h.count {
				t.Fatalf("%d values for shape %v", len(x), h.shape)
			}
			for _, v := range x {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("value %v accepted", v)
				}
			}
		}
		data.Reset(in[h.offset:])
		if y, err := h.readLabels(data); err == nil {
			for _, c := range y {
				if c < 0 || c >= MaxClasses {
					t.Fatalf("label %d accepted", c)
				}
			}
		}
	})
}
