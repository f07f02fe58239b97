// Package progress reports a run's long stages. On a terminal it draws one
// overall bar over the run's work units, naming the current stage and giving
// an ETA; off a terminal it prints one summary line per finished stage, so
// the logs of batch jobs stay readable.
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

// resolution is how many bar steps one work unit spans, so that a unit's own
// progress moves the bar smoothly.
const resolution = 1000

// Reporter reports stages on one writer (normally stderr). A nil *Reporter is
// silent.
type Reporter struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex
	bar   *progressbar.ProgressBar // the overall bar, on a terminal once SetUnits is called
	units int
	moved int // bar steps done
}

// New returns a Reporter writing to w, drawing a bar only if w is a terminal.
func New(w io.Writer) *Reporter {
	f, ok := w.(*os.File)
	return &Reporter{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// SetUnits announces the number of work units the run will compute: the
// overall bar's length. Stages started with StartUnits advance it.
func (r *Reporter) SetUnits(units int) {
	if r == nil || !r.tty || units < 1 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.units = units
	r.bar = progressbar.NewOptions(units*resolution,
		progressbar.OptionSetWriter(r.w),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(24),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.w) }),
	)
}

// Stage is one long piece of work with a known number of steps.
type Stage struct {
	name  string
	total int
	units int // work units it completes (0 for setup stages)
	start time.Time
	r     *Reporter
	mu    sync.Mutex
	done  int
	moved int // overall bar steps this stage has advanced
}

// Start begins a setup stage of total steps (features, embedder training):
// it is named on the bar but does not advance it. Add and Finish are safe for
// concurrent use.
func (r *Reporter) Start(name string, total int) *Stage {
	return r.StartUnits(name, total, 0)
}

// StartUnits begins a stage of total steps that computes units work units.
func (r *Reporter) StartUnits(name string, total, units int) *Stage {
	s := &Stage{name: name, total: total, units: units, start: time.Now(), r: r}
	s.describe()
	return s
}

// describe shows the stage and its share on the overall bar.
func (s *Stage) describe() {
	r := s.r
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar == nil || r.bar.IsFinished() {
		return
	}
	pct := 0
	if s.total > 0 {
		pct = 100 * s.done / s.total
	}
	r.bar.Describe(fmt.Sprintf("%d/%d units · %s %d%%", r.moved/resolution, r.units, s.name, pct))
}

// advance moves the overall bar to this stage's share done of its units.
func (s *Stage) advance(final bool) {
	r := s.r
	if r == nil || s.units == 0 {
		return
	}
	target := s.units * resolution
	if !final && s.total > 0 {
		target = s.units * resolution * min(s.done, s.total) / s.total
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar == nil || target <= s.moved {
		return
	}
	step := min(target-s.moved, r.units*resolution-r.moved)
	s.moved += step
	r.moved += step
	_ = r.bar.Add(step)
}

// Add records n more finished steps.
func (s *Stage) Add(n int) {
	s.mu.Lock()
	s.done += n
	s.mu.Unlock()
	s.advance(false)
	s.describe()
}

// Callback returns a func(done, total) for APIs that report absolute
// progress; a total that differs from the stage's replaces it.
func (s *Stage) Callback() func(done, total int) {
	return func(done, total int) {
		s.mu.Lock()
		s.total = total
		delta := done - s.done
		s.mu.Unlock()
		if delta > 0 {
			s.Add(delta)
		}
	}
}

// Finish ends the stage and returns its wall time; without a terminal it
// prints the stage's one line.
func (s *Stage) Finish() time.Duration {
	elapsed := time.Since(s.start)
	if s.r == nil {
		return elapsed
	}
	s.advance(true)
	if s.r.tty {
		return elapsed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.r.w, "%s: %d/%d in %s\n", s.name, s.done, s.total, elapsed.Round(10*time.Millisecond))
	return elapsed
}

// Warn prints one line starting "warning: ", below the bar on a terminal.
func (r *Reporter) Warn(msg string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	fmt.Fprintln(r.w, "warning: "+msg)
}
