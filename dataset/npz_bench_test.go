package dataset

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"flipcert/internal/cputime"
)

// BenchmarkReadNPZ reads float32 features the size of CIFAR-10's through a
// SimCLR ResNet-50 (50,000 training and 10,000 test rows of 2,048) and uint8
// images the size of Keras' mnist.npz, from archives written into a temporary
// folder. peak-heap-MB is the largest live heap while reading, sampled every
// millisecond, above the heap before; float64-MB is the size of the float64
// copy of x the result holds; cpu-s/op the CPU time of the process while
// reading, steadier than wall time on a shared machine.
func BenchmarkReadNPZ(b *testing.B) {
	for _, bc := range []struct {
		name        string
		descr       string
		train, test int
		row         []int
	}{
		{"f4_50000x2048", "<f4", 50000, 10000, []int{2048}},
		{"u1_60000x28x28", "|u1", 60000, 10000, []int{28, 28}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.npz")
			writeBenchNPZ(b, path, bc.descr, bc.train, bc.test, bc.row)
			cols := 1
			for _, n := range bc.row {
				cols *= n
			}
			b.ReportAllocs()
			var peak, cpu float64
			for b.Loop() {
				stop := sampleHeap()
				start := cputime.Seconds()
				d, err := ReadNPZ(path)
				cpu += cputime.Seconds() - start
				peak = max(peak, stop())
				if err != nil || d.Train.Len() != bc.train {
					b.Fatal(err)
				}
			}
			b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
			b.ReportMetric(peak/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(8*(bc.train+bc.test)*cols)/(1<<20), "float64-MB")
		})
	}
}

// BenchmarkWriteNPZ writes float64 features the size of CIFAR-10's through
// a SimCLR ResNet-50, as flipcert's features command would; the time
// includes syncing the 0.98 GB file to disk.
func BenchmarkWriteNPZ(b *testing.B) {
	set := func(rows int) Set {
		x := make([]float64, rows*2048)
		for i := range x {
			x[i] = float64(i%251) / 7
		}
		y := make([]int, rows)
		for i := range y {
			y[i] = i % 10
		}
		return Set{X: mat.NewDense(rows, 2048, x), Y: y}
	}
	sets := map[string]Set{"train": set(50000), "test": set(10000)}
	path := filepath.Join(b.TempDir(), "features.npz")
	b.ReportAllocs()
	var cpu float64
	for b.Loop() {
		start := cputime.Seconds()
		if err := WriteNPZ(path, sets); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Seconds() - start
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// sampleHeap collects garbage, then samples the live heap every millisecond
// until the returned function is called; it returns the largest sample above
// the first.
func sampleHeap() func() float64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() float64 { metrics.Read(s); return float64(s[0].Value.Uint64()) }
	base, peak := read(), 0.0
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read()-base)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return max(peak, read()-base)
	}
}

// writeBenchNPZ writes x_train, y_train, x_test and y_test with rows of
// shape row in dtype descr (<f4 or |u1), x[i, j] = (i + j) % 251, labels
// i % 10, streaming them to the archive.
func writeBenchNPZ(b *testing.B, path, descr string, train, test int, row []int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	z := zip.NewWriter(bw)
	cols := 1
	for _, n := range row {
		cols *= n
	}
	entry := func(name, descr string, shape []int) *bufio.Writer {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
		if err != nil {
			b.Fatal(err)
		}
		w.Write(npyBytes("'"+descr+"'", "False", shapeString(shape), nil))
		return bufio.NewWriterSize(w, 1<<16)
	}
	for _, split := range []struct {
		name string
		rows int
	}{{"train", train}, {"test", test}} {
		w := entry("x_"+split.name, descr, append([]int{split.rows}, row...))
		var cell [4]byte
		for i := range split.rows {
			for j := range cols {
				v := (i + j) % 251
				if descr == "<f4" {
					binary.LittleEndian.PutUint32(cell[:], math.Float32bits(float32(v)))
					w.Write(cell[:])
				} else {
					w.WriteByte(byte(v))
				}
			}
		}
		w.Flush()
		w = entry("y_"+split.name, "|u1", []int{split.rows})
		for i := range split.rows {
			w.WriteByte(byte(i % 10))
		}
		w.Flush()
	}
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
}
