package dataset

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxIDXElements bounds what a header may announce, so a corrupt or hostile
// header cannot make the reader allocate gigabytes. MNIST's training images
// are 47,040,000 bytes.
const maxIDXElements = 1 << 28

// IDX is an unsigned-byte IDX array (the format of the MNIST files): Dims
// gives the shape, Data the elements in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// ReadIDX decodes an IDX stream of unsigned bytes (type code 0x08). The
// stream must hold exactly the announced number of elements.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("idx header: %w", eofIsUnexpected(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("idx header: magic %x is not an IDX file", head)
	}
	if head[2] != 0x08 {
		return nil, fmt.Errorf("idx header: element type 0x%02x, want 0x08 (unsigned byte)", head[2])
	}
	ndim := int(head[3])
	if ndim == 0 {
		return nil, errors.New("idx header: zero dimensions")
	}
	dims := make([]int, ndim)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("idx header: dimension %d: %w", i, eofIsUnexpected(err))
		}
		if d == 0 || uint64(total)*uint64(d) > maxIDXElements {
			return nil, fmt.Errorf("idx header: dimension %d = %d gives an unsupported size", i, d)
		}
		dims[i] = int(d)
		total *= int(d)
	}
	data, err := io.ReadAll(io.LimitReader(br, int64(total)+1))
	if err != nil {
		return nil, fmt.Errorf("idx data: %w", err)
	}
	if len(data) != total {
		if len(data) < total {
			return nil, fmt.Errorf("idx data: %d bytes, header announces %d", len(data), total)
		}
		return nil, fmt.Errorf("idx data: trailing bytes after the %d announced", total)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
