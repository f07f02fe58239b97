package tables

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ParseError reports a malformed or inconsistent file, located as precisely
// as possible.
type ParseError struct {
	File   string // path of the offending file
	Line   int    // 1-based line; 0 when the problem concerns the whole file
	Column string // column or field name; empty when the problem concerns the whole row
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// cells parses the fields of one CSV record; the first error sticks, like
// bufio.Scanner's.
type cells struct {
	path   string
	line   int
	header []string
	rec    []string
	err    error
}

func (c *cells) fail(col int, format string, args ...any) {
	if c.err == nil {
		c.err = &ParseError{File: c.path, Line: c.line, Column: c.header[col], Err: fmt.Errorf(format, args...)}
	}
}

func (c *cells) empty(col int) bool { return c.rec[col] == "" }

// int parses an integer no smaller than lo.
func (c *cells) int(col, lo int) int {
	v, err := strconv.Atoi(c.rec[col])
	if err != nil {
		c.fail(col, "%q is not an integer", c.rec[col])
		return 0
	}
	if v < lo {
		c.fail(col, "%d is below %d", v, lo)
	}
	return v
}

// uint parses an unsigned integer.
func (c *cells) uint(col int) uint64 {
	v, err := strconv.ParseUint(c.rec[col], 10, 64)
	if err != nil {
		c.fail(col, "%q is not an unsigned integer", c.rec[col])
	}
	return v
}

// float parses a finite float in [lo, hi].
func (c *cells) float(col int, lo, hi float64) float64 {
	v, err := strconv.ParseFloat(c.rec[col], 64)
	if err != nil {
		c.fail(col, "%q is not a number", c.rec[col])
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		c.fail(col, "%s is outside [%g, %g]", c.rec[col], lo, hi)
	}
	return v
}

// mustBeEmpty rejects a value in a column the row leaves empty.
func (c *cells) mustBeEmpty(col int, why string) {
	if !c.empty(col) {
		c.fail(col, "%q must be empty %s", c.rec[col], why)
	}
}

// readCSV opens path, checks that its header equals header, and calls row for
// every data record with a cells ready to parse it. It returns the first
// error, located by file and line.
func readCSV(path string, header []string, row func(c *cells) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1 // ragged rows are reported below with the expected count
	r.ReuseRecord = true
	rec, err := r.Read()
	if err == io.EOF {
		return &ParseError{File: path, Err: errors.New("empty file, want a header line")}
	}
	if err != nil {
		return csvError(path, err)
	}
	if !slices.Equal(rec, header) {
		return &ParseError{File: path, Line: 1, Column: "header",
			Err: fmt.Errorf("got %q, want %q", strings.Join(rec, ","), strings.Join(header, ","))}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			return &ParseError{File: path, Line: line, Err: fmt.Errorf("%d fields, want %d", len(rec), len(header))}
		}
		if err := row(&cells{path: path, line: line, header: header, rec: rec}); err != nil {
			return err
		}
	}
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// A broken quote is usually noticed lines later; the record's first line is where it is.
		return &ParseError{File: path, Line: pe.StartLine, Err: pe.Err}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// appendRecord appends one CSV record to dst. Cells are numbers and method
// names, which never need quoting; a cell that would is a bug.
func appendRecord(dst []byte, cells ...string) []byte {
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"\r\n") {
			panic(fmt.Sprintf("tables: cell %q needs quoting", c))
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c...)
	}
	return append(dst, '\n')
}

// AppendHeader appends a header line.
func AppendHeader(dst []byte, header []string) []byte { return appendRecord(dst, header...) }

// lines remembers the line of each row key, so that a repeated key is
// reported with the line it repeats.
type lines[K comparable] map[K]int

// once fails the row's column col if key was seen before: "<what> repeats
// line <earlier> <scope>".
func (l lines[K]) once(c *cells, col int, key K, what, scope string) {
	if first, ok := l[key]; ok {
		c.fail(col, "%s repeats line %d %s", what, first, scope)
		return
	}
	l[key] = c.line
}
