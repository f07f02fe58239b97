// Package parallel runs independent pieces of work on the machine's cores in a
// way that cannot change their results: piece i always gets the same inputs,
// whichever goroutine runs it, so outputs stored by i are identical for any
// GOMAXPROCS.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls f(worker, i) for i = 0..n−1 on w = min(GOMAXPROCS, n) goroutines,
// or at most workers of them if workers is positive. Each goroutine takes the
// next index not yet taken, so pieces of uneven cost keep every core busy
// until the last; f may keep per-worker scratch space indexed by worker
// (0 ≤ worker < w), but must not let which worker ran a piece change its
// result. For returns when every call has.
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
	var next atomic.Int64
	for g := range w {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(g, i)
			}
		})
	}
	wg.Wait()
}
