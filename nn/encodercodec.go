package nn

import (
	"fmt"
	"io"
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
