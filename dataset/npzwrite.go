package dataset

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"codeberg.org/sbinet/npyio/npy"

	"flipcert/atomicfile"
)

// WriteNPZ writes sets to an .npz archive at path that NumPy's load reads
// and ReadNPZ reads back bit for bit: for each name, in sorted order, the
// array x_name (float64, shape (rows, columns)) and y_name (int64, shape
// (rows,)), entries stored uncompressed as NumPy's savez stores them
// (docs/science.md §16). WriteNPZ(path, map[string]Set{"train": tr, "test":
// te}) writes the arrays ReadNPZ reads.
//
// The file is replaced atomically: a reader sees the old file or the whole
// new one. A NaN or an infinity in X is an error, and nothing is written:
// ReadNPZ would refuse the file. WriteNPZ panics if a name is empty or a
// set's X is nil or has not one row per label.
func WriteNPZ(path string, sets map[string]Set) error {
	names := slices.Sorted(maps.Keys(sets))
	for _, name := range names {
		s := sets[name]
		if name == "" || s.X == nil {
			panic("dataset: WriteNPZ: empty name or nil X")
		}
		rows, _ := s.X.Dims()
		if rows != len(s.Y) {
			panic(fmt.Sprintf("dataset: WriteNPZ: %s has %d rows and %d labels", name, rows, len(s.Y)))
		}
		for i := range rows {
			for j, v := range s.X.RawRowView(i) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%s: x_%s[%d, %d] is %v: want finite numbers", path, name, i, j, v)
				}
			}
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		z := zip.NewWriter(w)
		for _, name := range names {
			s := sets[name]
			y := make([]int64, len(s.Y))
			for i, c := range s.Y {
				y[i] = int64(c)
			}
			if err := writeNPYEntry(z, "x_"+name, s.X); err != nil {
				return err
			}
			if err := writeNPYEntry(z, "y_"+name, y); err != nil {
				return err
			}
		}
		return z.Close()
	})
}

// writeNPYEntry adds v as the stored (uncompressed) entry array.npy of z.
// npyio writes a matrix 8 bytes at a time; the buffer hands the entry, which
// updates its CRC-32 on every write, blocks of 64 KiB instead.
func writeNPYEntry(z *zip.Writer, array string, v any) error {
	w, err := z.CreateHeader(&zip.FileHeader{Name: array + ".npy", Method: zip.Store})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := npy.Write(bw, v); err != nil {
		return err
	}
	return bw.Flush()
}
