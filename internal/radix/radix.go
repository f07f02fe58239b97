// Package radix sorts by 64-bit keys in linear time: a stable
// least-significant-digit radix sort, a byte per pass, with one counting pass
// for every byte and no pass over a byte in which all the keys agree. It
// serves the attacks' and the white-box certificate's sorts of weights, whose
// keys share their leading bytes (a bucket spans a quarter octave).
package radix

import "slices"

// Sort sorts keys into increasing order, stably, and permutes vals with them
// (vals may be empty, or of the length of keys). kbuf and vbuf are scratch
// memory, grown as needed and returned.
func Sort[V any](keys []uint64, vals []V, kbuf []uint64, vbuf []V) ([]uint64, []V) {
	n := len(keys)
	if n < 2 {
		return kbuf, vbuf
	}
	withVals := len(vals) > 0
	if withVals && len(vals) != n {
		panic("radix: keys and values of different lengths")
	}
	var counts [8][256]int
	for _, k := range keys {
		counts[0][k&0xff]++
		counts[1][k>>8&0xff]++
		counts[2][k>>16&0xff]++
		counts[3][k>>24&0xff]++
		counts[4][k>>32&0xff]++
		counts[5][k>>40&0xff]++
		counts[6][k>>48&0xff]++
		counts[7][k>>56]++
	}
	kbuf = slices.Grow(kbuf[:0], n)[:n]
	if withVals {
		vbuf = slices.Grow(vbuf[:0], n)[:n]
	}
	ks, kd, vs, vd := keys, kbuf, vals, vbuf
	for d := range counts {
		shift := uint(8 * d)
		if counts[d][ks[0]>>shift&0xff] == n {
			continue // every key has this byte
		}
		var next [256]int
		for b := 1; b < len(next); b++ {
			next[b] = next[b-1] + counts[d][b-1]
		}
		for i, k := range ks {
			b := k >> shift & 0xff
			kd[next[b]] = k
			if withVals {
				vd[next[b]] = vs[i]
			}
			next[b]++
		}
		ks, kd, vs, vd = kd, ks, vd, vs
	}
	if &ks[0] != &keys[0] {
		copy(keys, ks)
		if withVals {
			copy(vals, vs)
		}
	}
	return kbuf, vbuf
}
