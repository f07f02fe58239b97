// Package progress reports long stages on a terminal: a bar with rate and ETA
// when the writer is a terminal, one summary line per stage otherwise (logs of
// batch jobs stay readable).
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Reporter starts stages on one writer (normally stderr). A nil *Reporter is
// silent.
type Reporter struct {
	w   io.Writer
	tty bool
}

// New returns a Reporter writing to w, drawing bars only if w is a terminal.
func New(w io.Writer) *Reporter {
	f, ok := w.(*os.File)
	return &Reporter{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// Stage is one long piece of work with a known number of steps.
type Stage struct {
	name  string
	total int
	start time.Time
	r     *Reporter
	bar   *progressbar.ProgressBar
	mu    sync.Mutex
	done  int
}

// Start begins a stage of total steps. Add and Finish are safe for concurrent
// use.
func (r *Reporter) Start(name string, total int) *Stage {
	s := &Stage{name: name, total: total, start: time.Now(), r: r}
	if r != nil && r.tty {
		s.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(r.w),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.w) }),
		)
	}
	return s
}

// Add records n more finished steps.
func (s *Stage) Add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done += n
	if s.bar != nil {
		_ = s.bar.Add(n)
	}
}

// Callback returns a func(done, total) for APIs that report absolute
// progress; a total that differs from the stage's replaces it.
func (s *Stage) Callback() func(done, total int) {
	return func(done, total int) {
		s.mu.Lock()
		if total != s.total {
			s.total = total
			if s.bar != nil {
				s.bar.ChangeMax(total)
			}
		}
		delta := done - s.done
		s.mu.Unlock()
		if delta > 0 {
			s.Add(delta)
		}
	}
}

// Finish ends the stage and, without a terminal, prints its one line.
func (s *Stage) Finish() time.Duration {
	elapsed := time.Since(s.start)
	if s.r == nil {
		return elapsed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bar != nil {
		_ = s.bar.Finish()
		return elapsed
	}
	fmt.Fprintf(s.r.w, "%s: %d/%d in %s\n", s.name, s.done, s.total, elapsed.Round(10*time.Millisecond))
	return elapsed
}
