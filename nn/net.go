package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"flipcert/internal/vec"
	"flipcert/parallel"
	"flipcert/randstream"
)

// network is a stack of layers with all parameters in one flat vector.
//
// shard is the number of samples one goroutine processes at a time. A
// mini-batch is cut into shards of this fixed size whose gradients are summed
// in shard order, so the arithmetic (and hence every trained weight) is the
// same for any GOMAXPROCS. Small shards parallelise well; large ones save
// clearing and summing a gradient vector per shard, which matters when the
// parameters outnumber the work per sample (the MLP).
type network struct {
	layers []layer
	offs   []int // offs[i]:offs[i+1] is layer i's slice of params
	params []float64
	shard  int
}

func newNetwork(shard int, layers ...layer) *network {
	offs := make([]int, len(layers)+1)
	for i, l := range layers {
		if i > 0 && layers[i-1].outLen() != l.inLen() {
			panic("nn: layer sizes do not chain")
		}
		offs[i+1] = offs[i] + l.numParams()
	}
	return &network{layers: layers, offs: offs, params: make([]float64, offs[len(layers)]), shard: shard}
}

func (nw *network) outLen() int { return nw.layers[len(nw.layers)-1].outLen() }

// clone returns a network with the same layers and a copy of the parameters.
func (nw *network) clone() *network {
	c := *nw
	c.params = append([]float64(nil), nw.params...)
	return &c
}

func (nw *network) init(seed uint64) {
	rng := randstream.New(seed, "nn init", 0)
	for i, l := range nw.layers {
		l.init(nw.params[nw.offs[i]:nw.offs[i+1]], rng)
	}
}

// tape is the per-shard state of one forward/backward pass. Its input is n
// samples: dense rows x, or rows of the sparse matrix sp when the network's
// first layer reads sparse input.
type tape struct {
	slots []slot
	n     int
	x     []float64   // dense input rows (a view, or buf)
	buf   []float64   // gathered dense rows
	sp    *sparseRows // sparse input, or nil
	rows  []int       // the rows of sp that are the input
	labs  []int
	dz    []float64
	grad  []float64
	loss  float64
}

func (nw *network) newTape() *tape {
	return &tape{slots: make([]slot, len(nw.layers)), grad: make([]float64, len(nw.params))}
}

// forward runs layers [0, upto) on the tape's input. A sparse input is read
// by the first layer, which must then be linear.
func (nw *network) forward(t *tape, upto int, train bool, rng *rand.Rand) []float64 {
	x, from := t.x, 0
	if t.sp != nil {
		x, from = nw.sparseFirst().forwardSparse(nw.params[nw.offs[0]:nw.offs[1]], &t.slots[0], t.sp, t.rows), 1
	}
	for i := from; i < upto; i++ {
		x = nw.layers[i].forward(nw.params[nw.offs[i]:nw.offs[i+1]], &t.slots[i], x, t.n, train, rng)
	}
	return x
}

// sparseFirst returns the first layer, which reads sparse inputs; it panics
// unless that layer is linear.
func (nw *network) sparseFirst() linear {
	l, ok := nw.layers[0].(linear)
	if !ok {
		panic("nn: a sparse input needs a linear first layer")
	}
	return l
}

// backward propagates dz from the last layer down, accumulating into t.grad.
// The first layer's input gradient is never needed.
func (nw *network) backward(t *tape, dz []float64) {
	for i := len(nw.layers) - 1; i >= 0; i-- {
		lo, hi := nw.offs[i], nw.offs[i+1]
		if i == 0 && t.sp != nil {
			nw.sparseFirst().backwardSparse(t.grad[lo:hi], t.sp, t.rows, dz)
			return
		}
		dz = nw.layers[i].backward(nw.params[lo:hi], t.grad[lo:hi], &t.slots[i], dz, t.n, i > 0)
	}
}

// trainSpec is a validated training schedule.
type trainSpec struct {
	epochs, batch int
	lr            float64
	seed          uint64
	workers       int
	progress      func(done, total int)
}

// adam holds the optimiser state (Kingma & Ba 2015, β₁ = 0.9, β₂ = 0.999).
type adam struct {
	m, v   []float64
	step   int
	c1, c2 float64 // bias corrections 1 − β₁^step, 1 − β₂^step
}

const adamB1, adamB2, adamEps = 0.9, 0.999, 1e-8

// begin starts the next step.
func (a *adam) begin() {
	a.step++
	a.c1 = 1 - math.Pow(adamB1, float64(a.step))
	a.c2 = 1 - math.Pow(adamB2, float64(a.step))
}

// update applies the current step to p[lo:hi] given the gradient g[lo:hi].
// Each parameter's update depends only on its own state, so disjoint ranges
// may be updated concurrently.
func (a *adam) update(p, g []float64, lo, hi int, lr float64) {
	step := vec.Adam{B1: adamB1, OneMinusB1: 1 - adamB1, B2: adamB2, OneMinusB2: 1 - adamB2, C1: a.c1, C2: a.c2, LR: lr, Eps: adamEps}
	step.Step(p[lo:hi], g[lo:hi], a.m[lo:hi], a.v[lo:hi])
}

// paramChunk is the number of parameters one goroutine sums and updates at a
// time after each mini-batch.
const paramChunk = 4096

// train minimises the mean softmax cross-entropy of x against labels with
// Adam on shuffled mini-batches, starting from the current parameters. It
// returns the mean training loss of each epoch.
func (nw *network) train(x samples, labels []int, sp trainSpec) []float64 {
	n, k := len(labels), nw.outLen()
	tapes := make([]*tape, (sp.batch+nw.shard-1)/nw.shard)
	for i := range tapes {
		tapes[i] = nw.newTape()
	}
	batches := (n + sp.batch - 1) / sp.batch
	return nw.miniBatches(n, sp, "nn shuffle", func(ep, b int, idx []int, loss *float64) []*tape {
		shards := (len(idx) + nw.shard - 1) / nw.shard
		scale := 1 / float64(len(idx))
		parallel.For(shards, sp.workers, func(_, s int) {
			t := tapes[s]
			part := idx[s*nw.shard : min((s+1)*nw.shard, len(idx))]
			x.gather(t, part)
			t.labs = grow(t.labs, len(part))
			for r, i := range part {
				t.labs[r] = labels[i]
			}
			rng := randstream.New(sp.seed, "nn dropout", uint64(ep*batches+b)*uint64(len(tapes))+uint64(s))
			z := nw.forward(t, len(nw.layers), true, rng)
			t.dz = grow(t.dz, t.n*k)
			t.loss = softmaxXent(z, t.labs, k, scale, t.dz)
			clear(t.grad)
			nw.backward(t, t.dz)
		})
		for _, t := range tapes[:shards] {
			*loss += t.loss
		}
		return tapes[:shards]
	})
}

// miniBatches is the loop both trainers share: sp.epochs passes over n
// samples, each shuffled by the stream (sp.seed, shuffle, epoch) and cut
// into mini-batches of sp.batch. For mini-batch b of epoch ep, step adds
// its summed loss to *loss and returns the tapes holding its gradients,
// which make one Adam step; sp.progress hears of every step. It returns the
// mean loss of each epoch.
func (nw *network) miniBatches(n int, sp trainSpec, shuffle string, step func(ep, b int, idx []int, loss *float64) []*tape) []float64 {
	opt := adam{m: make([]float64, len(nw.params)), v: make([]float64, len(nw.params))}
	grad := make([]float64, len(nw.params))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	batches := (n + sp.batch - 1) / sp.batch
	losses := make([]float64, sp.epochs)
	for ep := range sp.epochs {
		shuf := randstream.New(sp.seed, shuffle, uint64(ep))
		shuf.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for b := range batches {
			tapes := step(ep, b, perm[b*sp.batch:min((b+1)*sp.batch, n)], &losses[ep])
			adamStep(nw, &opt, grad, tapes, sp.lr, sp.workers)
			if sp.progress != nil {
				sp.progress(ep*batches+b+1, sp.epochs*batches)
			}
		}
		losses[ep] /= float64(n)
	}
	return losses
}

// evalChunk is the number of rows one goroutine evaluates at a time.
const evalChunk = 64

// apply runs layers [0, upto) in evaluation mode on every sample of x and
// returns the outputs row-major. Each row's output depends only on that row,
// so the chunking cannot change the result.
func (nw *network) apply(x samples, upto, workers int) []float64 {
	n, out := x.len(), nw.layers[upto-1].outLen()
	res := make([]float64, n*out)
	chunks := (n + evalChunk - 1) / evalChunk
	w := min(runtime.GOMAXPROCS(0), chunks)
	if workers > 0 {
		w = min(w, workers)
	}
	tapes := make([]*tape, max(w, 1))
	for i := range tapes {
		tapes[i] = nw.newTape()
	}
	var mu sync.Mutex
	next := 0
	parallel.For(len(tapes), workers, func(_, g int) {
		t := tapes[g]
		for {
			mu.Lock()
			c := next
			next++
			mu.Unlock()
			if c >= chunks {
				return
			}
			lo, hi := c*evalChunk, min((c+1)*evalChunk, n)
			x.span(t, lo, hi)
			copy(res[lo*out:hi*out], nw.forward(t, upto, false, nil))
		}
	})
	return res
}

// argmaxRows returns the index of the largest entry of each k-wide row
// (the first one on ties).
func argmaxRows(z []float64, k int) []int {
	pred := make([]int, len(z)/k)
	for i := range pred {
		row := z[i*k : (i+1)*k]
		for j, v := range row {
			if v > row[pred[i]] {
				pred[i] = j
			}
		}
	}
	return pred
}
