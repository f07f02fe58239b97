package report

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"flipcert/internal/runfixture"
	"flipcert/tables"
)

// withExplanations writes the small fixture to a new folder with two explanation tables that
// carry images, so that Render draws pictures beside the figures.
func withExplanations(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	runfixture.Small().Write(t, dir)
	if err := os.Mkdir(filepath.Join(dir, tables.ExplainDir), 0o755); err != nil {
		t.Fatal(err)
	}
	image := make([]uint8, 28*28)
	for i := range image {
		image[i] = uint8(i)
	}
	e := tables.Explanation{Index: 3, Label: 1, Prediction: 1, Radius: 2, Flips: 3, Pixels: image,
		Relabels: []tables.ExplainRelabel{{Index: 11, From: 1, To: 0, Pixels: image}}}
	for _, name := range []string{"analytic-q0.05-lambda300-3.csv", "ridge-exact-lambda300-4.csv"} {
		if err := os.WriteFile(filepath.Join(dir, tables.ExplainDir, name), e.Append(nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderWith renders dir with GOMAXPROCS set to procs.
func renderWith(t *testing.T, dir string, procs int) error {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	return Render(dir)
}

// TestConcurrentRenderIsSerialRender renders the same run one job at a time and four at a time:
// Render draws its figures and pictures concurrently, and every file must come out the same.
func TestConcurrentRenderIsSerialRender(t *testing.T) {
	serial, concurrent := withExplanations(t), withExplanations(t)
	if err := renderWith(t, serial, 1); err != nil {
		t.Fatal(err)
	}
	if err := renderWith(t, concurrent, 4); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(serial, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(serial, path)
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(concurrent, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs between a serial and a concurrent render", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tightness.png", "ablation.svg", "explain/ridge-exact-lambda300-4.png", "report.html"} {
		if _, err := os.Stat(filepath.Join(serial, name)); err != nil {
			t.Errorf("the render compared lacks %s: %v", name, err)
		}
	}
	t.Logf("%d files compared", n)
}

// TestRenderReportsFirstError breaks two explanation tables and the certified-accuracy PNG, which
// are drawn concurrently: Render must report the failure it met first when it drew them one after
// another, the first table's by name, however the jobs were scheduled.
func TestRenderReportsFirstError(t *testing.T) {
	dir := withExplanations(t)
	for _, name := range []string{"analytic-q0.05-lambda300-3.csv", "ridge-exact-lambda300-4.csv"} {
		if err := os.WriteFile(filepath.Join(dir, tables.ExplainDir, name), []byte("not,a,table\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, certAccName+".png", "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		err := renderWith(t, dir, 4)
		var pe *tables.ParseError
		if !errors.As(err, &pe) || filepath.Base(pe.File) != "analytic-q0.05-lambda300-3.csv" {
			t.Fatalf("Render = %v, want the parse error of analytic-q0.05-lambda300-3.csv", err)
		}
	}
}
