package dpa

import (
	"encoding/binary"
	"hash/fnv"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Partition assigns each row of inputs to one of k parts and returns the part
// index of every row:
//
//	part = FNV-1a-64(bytes of the row) mod k,
//
// where the bytes are math.Float64bits of each coordinate in order,
// little-endian. The part depends on the row's values alone, so it cannot be
// changed by flipping labels or reordering rows, and equal rows share a part
// (−0 is hashed as +0 so that equal values hash equally). inputs may be the raw
// inputs or any label-free features of them, such as Φ. Partition panics if
// k < 1.
func Partition(inputs *mat.Dense, k int) []int {
	if k < 1 {
		panic("dpa: Partition needs k ≥ 1")
	}
	n, _ := inputs.Dims()
	parts := make([]int, n)
	h := fnv.New64a()
	var buf []byte
	for i := range parts {
		buf = buf[:0]
		for _, x := range inputs.RawRowView(i) {
			if x == 0 {
				x = 0 // −0 → +0
			}
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
		h.Reset()
		h.Write(buf)
		parts[i] = int(h.Sum64() % uint64(k))
	}
	return parts
}
