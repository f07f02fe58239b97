package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"flipcert/atomicfile"
	"flipcert/results"
	"flipcert/tables"
)

// explainImage is one picture of DIR/explain, with what its name says.
type explainImage struct {
	file    string // base name
	setting tables.Setting
	index   int
}

// explainJob is an explanation table of dir/explain for draw to draw, and what came of it.
type explainJob struct {
	path  string
	img   explainImage
	drawn bool
	err   error
}

// explanations lists the explanation tables in dir/explain, in name order; a missing folder
// means none.
func explanations(dir string) ([]explainJob, error) {
	entries, err := os.ReadDir(filepath.Join(dir, tables.ExplainDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []explainJob
	for _, e := range entries { // os.ReadDir sorts by name
		s, index, ok := tables.ParseExplainName(e.Name())
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".csv") || !ok {
			continue
		}
		out = append(out, explainJob{path: filepath.Join(dir, tables.ExplainDir, e.Name()),
			img: explainImage{setting: s, index: index}})
	}
	return out, nil
}

// draw draws the picture of j's table if it carries images (tables.ExplainHeader); tables of
// non-image data have none.
func (j *explainJob) draw(digits []int) {
	var png string
	png, j.drawn, j.err = DrawExplanation(j.path, digits)
	j.img.file = filepath.Base(png)
}

// DrawExplanation draws the explanation table at path (explain/<name>.csv) as the picture
// explain/<name>.png: the test image large with its label, prediction, certified radius and
// attack size, and the training images the attack relabels (old → new label), most influential
// first. digits names the classes (MNIST: the digit of each class; nil names them by index). It
// returns the picture's path and whether it drew one: a table without images has none.
func DrawExplanation(path string, digits []int) (png string, drawn bool, err error) {
	e, err := tables.ReadExplanation(path)
	if err != nil || e.Pixels == nil {
		return "", false, err
	}
	s, index, ok := tables.ParseExplainName(filepath.Base(path))
	if !ok {
		return "", false, fmt.Errorf("report: %s: not an explanation's name", path)
	}
	name := func(class int) string {
		switch {
		case class < 0:
			return "abstains"
		case class < len(digits):
			return strconv.Itoa(digits[class])
		}
		return strconv.Itoa(class)
	}
	p := picture{
		title: explainTitle(s, index),
		test:  digit{pixels: e.Pixels},
		caption: []string{
			fmt.Sprintf("digit %s, predicted %s", name(e.Label), name(e.Prediction)),
			fmt.Sprintf("certified radius %d flips", e.Radius),
			attackCaption(e.Flips),
		},
	}
	for _, r := range e.Relabels {
		if r.Pixels == nil {
			p.more++
			continue
		}
		p.relabeled = append(p.relabeled, digit{pixels: r.Pixels, caption: name(r.From) + " → " + name(r.To)})
	}
	data, err := explainPNG(p)
	if err != nil {
		return "", false, err
	}
	png = strings.TrimSuffix(path, ".csv") + ".png"
	return png, true, atomicfile.WriteBytes(png, data)
}

func explainTitle(s tables.Setting, index int) string {
	t := s.Method.String()
	if s.Method.Kind.Smoothed() {
		t += ", q=" + tables.FormatFloat(s.Q)
	}
	return t + ", λ=" + tables.FormatFloat(s.Lambda) + ", test point " + strconv.Itoa(index)
}

func attackCaption(flips int) string {
	if flips < 0 {
		return "no attack found within the training set"
	}
	return fmt.Sprintf("attack: %d relabelings", flips)
}

// explainCaption describes a picture from its name and, when the run's tables hold that row, the
// certificate and the attack there.
func explainCaption(img explainImage, curves []*results.Curve, digits []int) string {
	s := img.setting
	var b strings.Builder
	b.WriteString(s.Method.String())
	if s.Method.Kind.Smoothed() {
		b.WriteString(", q=" + tables.FormatFloat(s.Q))
	}
	fmt.Fprintf(&b, ", λ=%s, test point %d", tables.FormatFloat(s.Lambda), img.index)
	c := results.FindSetting(curves, s)
	p, ok := tables.Point{}, false
	if c != nil {
		p, ok = c.Point(img.index)
	}
	if !ok {
		return b.String() + " (not in " + tables.PointsFile + ")."
	}
	class := func(k int) string {
		if k >= 0 && k < len(digits) {
			return fmt.Sprintf("%d (digit %d)", k, digits[k])
		}
		return strconv.Itoa(k)
	}
	fmt.Fprintf(&b, ": true class %s, ", class(p.Label))
	switch {
	case p.Prediction < 0:
		b.WriteString("abstained")
	default:
		fmt.Fprintf(&b, "predicted %s, certified radius %d", class(p.Prediction), p.Radius)
	}
	if a, ok := c.Attack(img.index); ok && p.Prediction >= 0 {
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
