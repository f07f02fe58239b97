package tables

import (
	"math"
	"strconv"
	"strings"
)

// ExplainDir is the folder of an output folder where `flipcert explain`
// writes its pictures (CSV files in csv mode), one per row of points.csv.
const ExplainDir = "explain"

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

// ParseExplainName reads <method>-q<q>-lambda<λ>-<index>.png, the q part absent for unsmoothed
// methods. It splits at the last "-lambda" and the last "-q" before it, so numbers written
// with an exponent ("1e-05") are read whole.
func ParseExplainName(name string) (Setting, int, bool) {
	fail := func() (Setting, int, bool) { return Setting{}, 0, false }
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
