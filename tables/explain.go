package tables

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ExplainDir is the folder of an output folder that holds explanations: one
// table ExplainName + ".csv" per explained row of points.csv, and, for image
// data, its picture ExplainName + ".png", which the report draws from it.
const ExplainDir = "explain"

// ExplainShown caps the relabelled training images an explanation carries
// pixels for (and its picture draws).
const ExplainShown = 40

// ExplainHeader is the header of an explanation table, the attack on one row
// of points.csv (docs/science.md §11). Its first row (rank 0) is the test
// point: its index, its label (from), the row's prediction (to, −1 when the
// method abstains), the certified radius and the attack's size (flips, −1
// when none was found). Then come the training points the attack relabels,
// most influential first (rank 1, 2, …): index, label and new label, radius
// and flips empty. pixels holds, for image data, the 28×28 image as 784 grey
// levels 0–255 separated by spaces, for the test point and the first
// ExplainShown relabelled images; it is empty otherwise.
var ExplainHeader = []string{"rank", "index", "from", "to", "radius", "flips", "pixels"}

// Explanation is the content of an explanation table.
type Explanation struct {
	Index, Label, Prediction, Radius, Flips int
	Pixels                                  []uint8 // the test image; nil for non-image data
	Relabels                                []ExplainRelabel
}

// ExplainRelabel is one relabelled training point of an explanation.
type ExplainRelabel struct {
	Index, From, To int
	Pixels          []uint8 // nil past ExplainShown or for non-image data
}

// ImageSide is the side of the square grey-scale images explanations carry.
const ImageSide = 28

// Append appends e as an explanation table, header included.
func (e Explanation) Append(dst []byte) []byte {
	dst = AppendHeader(dst, ExplainHeader)
	dst = appendRecord(dst, "0", strconv.Itoa(e.Index), strconv.Itoa(e.Label), strconv.Itoa(e.Prediction),
		strconv.Itoa(e.Radius), strconv.Itoa(e.Flips), pixelCell(e.Pixels))
	for k, r := range e.Relabels {
		dst = appendRecord(dst, strconv.Itoa(k+1), strconv.Itoa(r.Index), strconv.Itoa(r.From), strconv.Itoa(r.To), "", "", pixelCell(r.Pixels))
	}
	return dst
}

func pixelCell(p []uint8) string {
	var b strings.Builder
	for i, v := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(int(v)))
	}
	return b.String()
}

// ReadExplanation parses an explanation table: ranks 0, 1, 2, … in order,
// classes and indices ≥ 0 (prediction and flips ≥ −1), radius and flips on
// the first row only, and pixels empty or 784 grey levels 0–255.
func ReadExplanation(path string) (Explanation, error) {
	var e Explanation
	rows := 0
	err := readCSV(path, ExplainHeader, func(c *cells) error {
		if rank := c.int(0, 0); c.err == nil && rank != rows {
			c.fail(0, "%d, want %d (ranks count up from 0)", rank, rows)
		}
		index, from := c.int(1, 0), c.int(2, 0)
		pixels := c.pixels(6)
		if rows == 0 {
			e = Explanation{Index: index, Label: from, Prediction: c.int(3, -1), Radius: c.int(4, -1), Flips: c.int(5, -1), Pixels: pixels}
		} else {
			to := c.int(3, 0)
			c.mustBeEmpty(4, "below the test point's row")
			c.mustBeEmpty(5, "below the test point's row")
			e.Relabels = append(e.Relabels, ExplainRelabel{Index: index, From: from, To: to, Pixels: pixels})
		}
		rows++
		return c.err
	})
	if err == nil && rows == 0 {
		err = &ParseError{File: path, Err: fmt.Errorf("no test point row")}
	}
	return e, err
}

// pixels reads a cell of grey levels: empty, or ImageSide² integers 0–255.
func (c *cells) pixels(col int) []uint8 {
	if c.err != nil || c.empty(col) {
		return nil
	}
	fields := strings.Fields(c.rec[col])
	if len(fields) != ImageSide*ImageSide {
		c.fail(col, "%d grey levels, want %d", len(fields), ImageSide*ImageSide)
		return nil
	}
	out := make([]uint8, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 255 {
			c.fail(col, "grey level %q is not an integer 0–255", f)
			return nil
		}
		out[i] = uint8(v)
	}
	return out
}

// ExplainName is the base name, without extension, of the explanation of
// test point index under setting s: <method>-q<q>-lambda<λ>-<index>, the q
// part absent for unsmoothed methods.
func ExplainName(s Setting, index int) string {
	var b strings.Builder
	b.WriteString(s.Method.String())
	if s.Method.Kind.Smoothed() {
		b.WriteString("-q" + FormatFloat(s.Q))
	}
	b.WriteString("-lambda" + FormatFloat(s.Lambda) + "-" + strconv.Itoa(index))
	return b.String()
}

// ParseExplainName reads <method>-q<q>-lambda<λ>-<index>.csv (an explanation table) or .png (its
// picture), the q part absent for unsmoothed methods. It splits at the last "-lambda" and the last
// "-q" before it, so numbers written with an exponent ("1e-05") are read whole.
func ParseExplainName(name string) (Setting, int, bool) {
	fail := func() (Setting, int, bool) { return Setting{}, 0, false }
	stem, ok := strings.CutSuffix(name, ".csv")
	if !ok {
		if stem, ok = strings.CutSuffix(name, ".png"); !ok {
			return fail()
		}
	}
	at := strings.LastIndex(stem, "-lambda")
	if at < 0 {
		return fail()
	}
	head, tail := stem[:at], stem[at+len("-lambda"):]
	dash := strings.LastIndex(tail, "-")
	if dash < 0 {
		return fail()
	}
	lambda, err1 := strconv.ParseFloat(tail[:dash], 64)
	index, err2 := strconv.Atoi(tail[dash+1:])
	if err1 != nil || err2 != nil || index < 0 {
		return fail()
	}
	s := Setting{Q: math.NaN(), Lambda: lambda}
	if qi := strings.LastIndex(head, "-q"); qi >= 0 {
		if q, err := strconv.ParseFloat(head[qi+2:], 64); err == nil {
			s.Q, head = q, head[:qi]
		}
	}
	m, err := ParseMethod(head)
	if err != nil || m.Kind.Smoothed() == math.IsNaN(s.Q) {
		return fail()
	}
	s.Method = m
	return s, index, true
}
