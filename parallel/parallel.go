// Package parallel runs independent pieces of work on the machine's cores in a
// way that cannot change their results: piece i always gets the same inputs,
// whichever goroutine runs it, so outputs stored by i are identical for any
// GOMAXPROCS.
package parallel

import (
	"runtime"
	"sync"
)

// For calls f(worker, i) for i = 0..n−1 on w = min(GOMAXPROCS, n) goroutines,
// or at most workers of them if workers is positive. Worker g takes
// i = g, g+w, g+2w, …, so f may keep per-worker scratch space indexed by
// worker (0 ≤ worker < w). For returns when every call has.
func For(n, workers int, f func(worker, i int)) {
	w := runtime.GOMAXPROCS(0)
	if workers > 0 {
		w = min(w, workers)
	}
	w = min(w, n)
	if w <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for g := range w {
		wg.Go(func() {
			for i := g; i < n; i += w {
				f(g, i)
			}
		})
	}
	wg.Wait()
}
