package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"flipcert/tables"
)

// explainImage is one picture of DIR/explain, with what its name says.
type explainImage struct {
	file    string // base name
	setting tables.Setting
	index   int
	parsed  bool // whether the name had the form <method>[-q<q>]-lambda<λ>-<index>.png
}

// readExplain lists the PNG pictures of dir/explain in name order; a missing folder means none.
func readExplain(dir string) ([]explainImage, error) {
	entries, err := os.ReadDir(filepath.Join(dir, tables.ExplainDir))
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
		img.setting, img.index, img.parsed = tables.ParseExplainName(e.Name())
		out = append(out, img)
	}
	return out, nil
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
