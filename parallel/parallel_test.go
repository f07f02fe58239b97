package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnceWithinWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ procs, n, workers, wantWorkers int }{
		{1, 10, 0, 1}, {2, 10, 0, 2}, {4, 10, 3, 3}, {8, 3, 0, 3}, {2, 0, 0, 0},
	} {
		runtime.GOMAXPROCS(tc.procs)
		calls := make([]int32, tc.n)
		var maxWorker atomic.Int32
		maxWorker.Store(-1)
		For(tc.n, tc.workers, func(w, i int) {
			atomic.AddInt32(&calls[i], 1)
			for {
				old := maxWorker.Load()
				if int32(w) <= old || maxWorker.CompareAndSwap(old, int32(w)) {
					break
				}
			}
		})
		for i, c := range calls {
			if c != 1 {
				t.Errorf("%+v: index %d called %d times", tc, i, c)
			}
		}
		// Pieces go to whichever worker is free, so a fast one may take them
		// all; no worker index may reach past the bound.
		if got := int(maxWorker.Load()) + 1; got > tc.wantWorkers {
			t.Errorf("%+v: worker index %d used, want fewer than %d workers", tc, got-1, tc.wantWorkers)
		}
	}
}
