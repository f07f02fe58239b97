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
