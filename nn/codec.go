package nn

import (
	"errors"
	"fmt"
	"io"
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

// ErrCorrupt reports an embedder stream that is truncated, damaged or not an
// embedder at all.
var ErrCorrupt = errors.New("nn: corrupt embedder stream")

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
