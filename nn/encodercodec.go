package nn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The encoder's binary format (little-endian):
//
//	magic "FCENCOD\x00" | version uint32 | side, channels, dim uint32 |
//	parameter count uint64 | parameters float64… | CRC-32 (IEEE) of all previous bytes
//
// The projection head is not stored: it serves training only. The
// architecture is fixed by (side, channels, dim), so the parameter count is
// checked against it before any weights are read.
const (
	encoderMagic   = "FCENCOD\x00"
	encoderVersion = 1
)

// WriteTo writes the encoder's architecture and weights to w.
func (e *Encoder) WriteTo(w io.Writer) (int64, error) {
	return writeWeights(w, encoderMagic, []uint32{encoderVersion, Side, uint32(e.arch.channels), uint32(e.arch.dim)}, e.net.params)
}

// ReadEncoder reads an encoder written by WriteTo. It returns an error
// wrapping ErrCorrupt for truncated, damaged or mismatched input.
func ReadEncoder(r io.Reader) (*Encoder, error) {
	var a encoderArch
	nw, err := readWeights(r, encoderMagic, 4, func(h []uint32) (*network, error) {
		version, side, channels, dim := h[0], h[1], h[2], h[3]
		switch {
		case version != encoderVersion:
			return nil, fmt.Errorf("version %d, want %d", version, encoderVersion)
		case side != Side:
			return nil, fmt.Errorf("image side %d, want %d", side, Side)
		case channels < 1 || channels > maxWidth || dim < 1 || dim > maxWidth:
			return nil, fmt.Errorf("implausible channels %d or dim %d", channels, dim)
		}
		a = encoderArch{channels: int(channels), dim: int(dim)}
		return newNetwork(contrastiveShard, a.layers(false)...), nil
	})
	if err != nil {
		return nil, err
	}
	return &Encoder{arch: a, net: nw}, nil
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
