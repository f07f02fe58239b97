package results

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"flipcert/tables"
)

// explainDir is the folder of pictures that flipcert explain writes into an output folder.
const explainDir = "explain"

// explainImage is one picture of DIR/explain, with what its name says.
type explainImage struct {
	file    string // base name
	setting tables.Setting
	index   int
	parsed  bool // whether the name had the form <method>[-q<q>]-lambda<λ>-<index>.png
}

// readExplain lists the PNG pictures of dir/explain in name order; a missing folder means none.
func readExplain(dir string) ([]explainImage, error) {
	entries, err := os.ReadDir(filepath.Join(dir, explainDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []explainImage
	for _, e := range entries { // os.ReadDir sorts by name
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".png") {
			continue
		}
		img := explainImage{file: e.Name()}
		img.setting, img.index, img.parsed = parseExplainName(e.Name())
		out = append(out, img)
	}
	return out, nil
}

// parseExplainName reads <method>-q<q>-lambda<λ>-<index>.png, the q part absent for unsmoothed
// methods. It splits at the last "-lambda" and the last "-q" before it, so numbers written
// with an exponent ("1e-05") are read whole.
func parseExplainName(name string) (tables.Setting, int, bool) {
	fail := func() (tables.Setting, int, bool) { return tables.Setting{}, 0, false }
	stem, ok := strings.CutSuffix(name, ".png")
	if !ok {
		return fail()
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
	s := tables.Setting{Q: math.NaN(), Lambda: lambda}
	if qi := strings.LastIndex(head, "-q"); qi >= 0 {
		if q, err := strconv.ParseFloat(head[qi+2:], 64); err == nil {
			s.Q, head = q, head[:qi]
		}
	}
	m, err := tables.ParseMethod(head)
	if err != nil || m.Kind.Smoothed() == math.IsNaN(s.Q) {
		return fail()
	}
	s.Method = m
	return s, index, true
}

// explainCaption describes a picture from its name and, when the run's tables hold that row, the
// certificate and the attack there.
func explainCaption(img explainImage, sets []*curveSet, digits []int) string {
	if !img.parsed {
		return img.file
	}
	s := img.setting
	var b strings.Builder
	b.WriteString(s.Method.String())
	if s.Method.Kind.Smoothed() {
		b.WriteString(", q=" + tables.FormatFloat(s.Q))
	}
	fmt.Fprintf(&b, ", λ=%s, test point %d", tables.FormatFloat(s.Lambda), img.index)
	var set *curveSet
	for _, c := range sets {
		if keyOf(c.Setting) == keyOf(s) {
			set = c
		}
	}
	p, ok := tables.Point{}, false
	if set != nil {
		p, ok = set.points[img.index]
	}
	if !ok {
		return b.String() + " (not in " + tables.PointsFile + ")."
	}
	class := func(c int) string {
		if c >= 0 && c < len(digits) {
			return fmt.Sprintf("%d (digit %d)", c, digits[c])
		}
		return strconv.Itoa(c)
	}
	fmt.Fprintf(&b, ": true class %s, ", class(p.Label))
	switch {
	case p.Prediction < 0:
		b.WriteString("abstained")
	default:
		fmt.Fprintf(&b, "predicted %s, certified radius %d", class(p.Prediction), p.Radius)
	}
	if a, ok := set.attacks[img.index]; ok && p.Prediction >= 0 {
		switch {
		case a.Flips < 0:
			b.WriteString(", no attack found")
		case a.Proven:
			fmt.Fprintf(&b, ", attack %d flips (proven)", a.Flips)
		default:
			fmt.Fprintf(&b, ", attack %d flips (not proven)", a.Flips)
		}
	}
	return b.String() + "."
}
