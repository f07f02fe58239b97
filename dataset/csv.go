package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// Set is a classification data set: inputs X (one row per point) and labels
// Y, class indices 0, 1, ….
type Set struct {
	X *mat.Dense
	Y []int
}

// Len returns the number of points.
func (s Set) Len() int { return len(s.Y) }

// ReadCSVFile reads a Set from a CSV file whose header row starts with the
// column `label` (a class index 0, 1, …), followed by one column per feature.
// Errors name the file and line.
func ReadCSVFile(path string) (Set, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, nil, err
	}
	defer f.Close()
	s, header, err := ReadCSV(f)
	if err != nil {
		return Set{}, nil, fmt.Errorf("%s:%w", path, err)
	}
	return s, header, nil
}

// MaxClasses bounds the number of classes a CSV file may use: a label is a
// class index below it. Ten thousand classes are far more than the
// certificates are meant for, and it keeps a typo from sizing per-class
// tables by the billion.
const MaxClasses = 10000

// Classes returns K, one more than the largest label of the sets, and an
// error naming the first class in 0..K−1 that the first set (the training
// set) lacks: every class needs a training point.
func Classes(train Set, others ...Set) (int, error) {
	k := 0
	for _, s := range append([]Set{train}, others...) {
		for _, y := range s.Y {
			k = max(k, y+1)
		}
	}
	count := make([]int, k)
	for _, y := range train.Y {
		count[y]++
	}
	for c, n := range count {
		if n == 0 {
			return k, fmt.Errorf("class %d has no training point (labels must be 0..K−1 without gaps; the largest is %d)", c, k-1)
		}
	}
	if k < 2 {
		return k, fmt.Errorf("only class 0: certification needs at least two classes")
	}
	return k, nil
}

// LineError is a problem at one line of a CSV file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadCSV reads a Set in the format of ReadCSVFile and returns the feature
// column names. Errors are *LineError.
func ReadCSV(r io.Reader) (Set, []string, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return Set{}, nil, &LineError{1, errors.New("empty file: want a header row starting with `label`")}
	}
	if err != nil {
		return Set{}, nil, csvError(err)
	}
	if len(header) < 2 || header[0] != "label" {
		return Set{}, nil, &LineError{1, fmt.Errorf("header must start with `label` and name at least one feature column, got %q", header)}
	}
	names := append([]string(nil), header[1:]...)
	d := len(names)
	var data []float64
	var y []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Set{}, nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		label, err := strconv.Atoi(rec[0])
		if err != nil || label < 0 || label > MaxClasses-1 {
			return Set{}, nil, &LineError{line, fmt.Errorf("label %q: want a class index 0..%d", rec[0], MaxClasses-1)}
		}
		y = append(y, label)
		for j, cell := range rec[1:] {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return Set{}, nil, &LineError{line, fmt.Errorf("column %q: %q is not a finite number", names[j], cell)}
			}
			data = append(data, v)
		}
	}
	if len(y) == 0 {
		return Set{}, nil, &LineError{1, errors.New("no data rows after the header")}
	}
	return Set{X: mat.NewDense(len(y), d, data), Y: y}, names, nil
}

// csvError turns encoding/csv's errors (ragged rows, bad quoting) into a
// LineError.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return &LineError{pe.Line, errors.New("wrong number of columns (ragged row)")}
		}
		return &LineError{pe.Line, pe.Err}
	}
	return err
}
