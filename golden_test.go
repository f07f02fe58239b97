package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRowsKeepTheirBytes runs testdata/golden/config.yaml and compares its
// points.csv with testdata/golden/points.csv, written by flipcert at commit
// b60dadd5, before the run was restructured into plan, certify, store and
// assemble and before the speed work on the K-class pipeline. Those changes
// were meant to move no bit of any certificate, so a difference here is a
// change of results to explain, not to paste over.
func TestRowsKeepTheirBytes(t *testing.T) {
	want, err := os.ReadFile("testdata/golden/points.csv")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-config", "testdata/golden/config.yaml", "-out", out, "-quiet", "-no-report"})); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	got, err := os.ReadFile(filepath.Join(out, "points.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Fatalf("points.csv line %d is %q, want %q", i+1, g[i], w[i])
		}
	}
	t.Fatalf("points.csv has %d lines, want %d", len(g), len(w))
}
