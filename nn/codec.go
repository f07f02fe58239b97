package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The embedder's binary format (little-endian):
//
//	magic "FCEMBED\x00" | version uint32 | side, dim, classes uint32 |
//	parameter count uint64 | parameters float64… | CRC-32 (IEEE) of all previous bytes
//
// The architecture is fixed by (side, dim, classes), so the parameter count
// is checked against it before any weights are read.
const (
	embedMagic   = "FCEMBED\x00"
	embedVersion = 1
	maxWidth     = 1 << 16 // sanity bound on dim and classes read from a stream
)

// WriteTo writes the embedder's architecture and weights to w.
func (e *Embedder) WriteTo(w io.Writer) (int64, error) {
	return writeWeights(w, embedMagic, []uint32{embedVersion, Side, uint32(e.dim), uint32(e.classes)}, e.net.params)
}

// ErrCorrupt reports a model stream (an embedder's or an encoder's) that is
// truncated, damaged or not such a model at all.
var ErrCorrupt = errors.New("nn: corrupt model stream")

// ReadEmbedder reads an embedder written by WriteTo. It returns an error
// wrapping ErrCorrupt for truncated, damaged or mismatched input.
func ReadEmbedder(r io.Reader) (*Embedder, error) {
	var dim, classes int
	nw, err := readWeights(r, embedMagic, 4, func(h []uint32) (*network, error) {
		version, side, d, k := h[0], h[1], h[2], h[3]
		switch {
		case version != embedVersion:
			return nil, fmt.Errorf("version %d, want %d", version, embedVersion)
		case side != Side:
			return nil, fmt.Errorf("image side %d, want %d", side, Side)
		case d < 1 || d > maxWidth || k < 2 || k > maxWidth:
			return nil, fmt.Errorf("implausible dim %d or classes %d", d, k)
		}
		dim, classes = int(d), int(k)
		return newEmbedderNet(dim, classes), nil
	})
	if err != nil {
		return nil, err
	}
	return &Embedder{dim: dim, classes: classes, net: nw}, nil
}

// writeWeights writes magic, the header words, the parameter count, the
// parameters and the CRC-32 (IEEE) of all of them, little-endian.
func writeWeights(w io.Writer, magic string, header []uint32, params []float64) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(magic)
	for _, v := range header {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	binary.Write(&buf, binary.LittleEndian, uint64(len(params)))
	b := make([]byte, 8*len(params))
	for i, v := range params {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	buf.Write(b)
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	return buf.WriteTo(w)
}

// readWeights reads a stream written by writeWeights with words header
// words. build checks the header and returns the network it describes, or
// an error saying what is wrong; the parameter count must match that
// network's, and its parameters are then read into it. Every error wraps
// ErrCorrupt.
func readWeights(r io.Reader, magic string, words int, build func(header []uint32) (*network, error)) (*network, error) {
	crc := crc32.NewIEEE()
	tr := io.TeeReader(r, crc)
	read := func(what string, p []byte) error {
		if _, err := io.ReadFull(tr, p); err != nil {
			return fmt.Errorf("%w: reading %s: %v", ErrCorrupt, what, err)
		}
		return nil
	}
	head := make([]byte, len(magic)+4*words+8)
	if err := read("header", head); err != nil {
		return nil, err
	}
	if string(head[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, head[:len(magic)])
	}
	h := make([]uint32, words)
	for i := range h {
		h[i] = binary.LittleEndian.Uint32(head[len(magic)+4*i:])
	}
	nw, err := build(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if count := binary.LittleEndian.Uint64(head[len(magic)+4*words:]); count != uint64(len(nw.params)) {
		return nil, fmt.Errorf("%w: %d parameters, architecture has %d", ErrCorrupt, count, len(nw.params))
	}
	b := make([]byte, 8*len(nw.params))
	if err := read("weights", b); err != nil {
		return nil, err
	}
	for i := range nw.params {
		nw.params[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, fmt.Errorf("%w: reading checksum: %v", ErrCorrupt, err)
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	return nw, nil
}
