package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func TestOneLinePerStageWithoutTerminal(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf)
	s := r.Start("certify analytic", 100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				s.Add(1)
			}
		})
	}
	wg.Wait()
	s.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "certify analytic: 100/100 in ") {
		t.Fatalf("output %q, want one line with 100/100", buf.String())
	}
}

func TestCallbackAddsDifferences(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf).Start("sample", 10)
	cb := s.Callback()
	cb(3, 10)
	cb(7, 12)
	cb(7, 12)
	s.Finish()
	if !strings.Contains(buf.String(), "7/12") {
		t.Fatalf("output %q, want 7/12", buf.String())
	}
}

func TestNilReporterIsSilent(t *testing.T) {
	var r *Reporter
	s := r.Start("quiet", 3)
	s.Add(3)
	s.Finish()
}

// TestOverallBarOnATerminal drives the terminal mode on a buffer: one bar over
// the run's units that names the current stage and ends full, not a bar per
// stage.
func TestOverallBarOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	r := &Reporter{w: &buf, tty: true}
	r.SetUnits(3)
	setup := r.Start("features pca", 1)
	setup.Add(1)
	setup.Finish()
	if r.moved != 0 {
		t.Fatalf("a setup stage moved the bar by %d", r.moved)
	}
	batch := r.StartUnits("lambda=1: analytic q=0.1,0.2", 50, 2)
	batch.Add(25)
	if r.moved != resolution {
		t.Fatalf("half of a two-unit stage moved the bar %d, want %d", r.moved, resolution)
	}
	batch.Add(25)
	batch.Finish()
	last := r.StartUnits("sampled_q0.1_lambda1", 10, 1)
	last.Callback()(4, 8) // the total may change under way
	last.Finish()
	if r.moved != 3*resolution {
		t.Fatalf("bar at %d steps after every unit, want %d", r.moved, 3*resolution)
	}
	out := buf.String()
	for _, want := range []string{"2/3 units · sampled_q0.1_lambda1", "100%"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, "in 0s") {
		t.Errorf("terminal mode printed per-stage lines: %q", out)
	}
}
