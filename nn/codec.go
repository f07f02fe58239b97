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
	var buf bytes.Buffer
	buf.WriteString(embedMagic)
	for _, v := range []uint32{embedVersion, Side, uint32(e.dim), uint32(e.classes)} {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	binary.Write(&buf, binary.LittleEndian, uint64(len(e.net.params)))
	b := make([]byte, 8*len(e.net.params))
	for i, v := range e.net.params {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	buf.Write(b)
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	return buf.WriteTo(w)
}

// ErrCorrupt reports an embedder stream that is truncated, damaged or not an
// embedder at all.
var ErrCorrupt = errors.New("nn: corrupt embedder stream")

// ReadEmbedder reads an embedder written by WriteTo. It returns an error
// wrapping ErrCorrupt for truncated, damaged or mismatched input.
func ReadEmbedder(r io.Reader) (*Embedder, error) {
	crc := crc32.NewIEEE()
	tr := io.TeeReader(r, crc)
	read := func(what string, p []byte) error {
		if _, err := io.ReadFull(tr, p); err != nil {
			return fmt.Errorf("%w: reading %s: %v", ErrCorrupt, what, err)
		}
		return nil
	}
	head := make([]byte, len(embedMagic)+4*4+8)
	if err := read("header", head); err != nil {
		return nil, err
	}
	if string(head[:len(embedMagic)]) != embedMagic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, head[:len(embedMagic)])
	}
	u := func(i int) uint32 { return binary.LittleEndian.Uint32(head[len(embedMagic)+4*i:]) }
	version, side, dim, classes := u(0), u(1), u(2), u(3)
	count := binary.LittleEndian.Uint64(head[len(embedMagic)+16:])
	switch {
	case version != embedVersion:
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, version, embedVersion)
	case side != Side:
		return nil, fmt.Errorf("%w: image side %d, want %d", ErrCorrupt, side, Side)
	case dim < 1 || dim > maxWidth || classes < 2 || classes > maxWidth:
		return nil, fmt.Errorf("%w: implausible dim %d or classes %d", ErrCorrupt, dim, classes)
	}
	nw := newEmbedderNet(int(dim), int(classes))
	if count != uint64(len(nw.params)) {
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
	return &Embedder{dim: int(dim), classes: int(classes), net: nw}, nil
}
