// Package cputime gives benchmarks the process's CPU time, so that they can
// report CPU cost beside wall time on a machine shared with other work.
package cputime
