package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"flipcert/analytic"
	"flipcert/dpa"
	"flipcert/exact"
	"flipcert/parallel"
	"flipcert/progress"
	"flipcert/radius"
	"flipcert/ridge"
	"flipcert/sampler"

	"gonum.org/v1/gonum/mat"
)

// point is one row of points.csv.
type point struct {
	prediction int     // −1 when abstaining
	logEps     float64 // NaN when the method has no probability bound
	radius     int     // tight (Neyman-Pearson) or the method's exact radius; −1 = not certified
	radiusKL   int
}

// kernelBlock is how many test points share one n×b block of kernel vectors:
// 256 × 13,007 float64 is 27 MB, small next to the full m×n matrix.
const kernelBlock = 256

// forEachKernel computes the kernel vectors α of the test points block by
// block, with their error bounds E ≥ Σ|α̂ − α|, and calls visit(worker, i, α, E)
// for every test point i, spreading each block over the workers. Results that
// visit stores by i do not depend on the number of workers.
func forEachKernel(model *ridge.Model, test *mat.Dense, workers int, stage *progress.Stage, visit func(worker, i int, alpha []float64, alphaErr float64)) {
	m, d := test.Dims()
	n, _ := model.Design().Features().Dims()
	buf := mat.NewDense(min(kernelBlock, m), n, nil)
	errs := make([]float64, min(kernelBlock, m))
	for lo := 0; lo < m; lo += kernelBlock {
		hi := min(lo+kernelBlock, m)
		alpha := buf.Slice(0, hi-lo, 0, n).(*mat.Dense)
		model.Kernel(alpha, test.Slice(lo, hi, 0, d).(*mat.Dense), errs[:hi-lo])
		parallel.For(hi-lo, workers, func(w, i int) { visit(w, lo+i, alpha.RawRowView(i), errs[i]) })
		stage.Add(hi - lo)
	}
}

// smoothedPoint turns a certificate into a row: both radii of its bound
// (docs/science.md §5), or an abstention.
func smoothedPoint(class int, abstain bool, logEps, q float64, table *radius.Table) point {
	if abstain {
		return point{prediction: -1, logEps: logEps, radius: -1, radiusKL: -1}
	}
	return point{prediction: class, logEps: logEps, radius: table.Radius(logEps), radiusKL: radius.KL(logEps, q, table.MaxFlips())}
}

// usesKernel reports whether the unit's certificate reads only α.
func (u Unit) usesKernel() bool { return u.Method == "analytic" || u.Method == "ridge-exact" }

// certify runs certificate units over the whole test set: either units that
// all use α at one λ (one pass over α serves them all), or a single unit.
func (p *prepared) certify(batch []Unit, c Config, stage *progress.Stage) ([][]point, error) {
	m := p.test.Len()
	pts := make([][]point, len(batch))
	for j := range pts {
		pts[j] = make([]point, m)
	}
	if batch[0].usesKernel() {
		p.certifyKernel(batch, stage, pts)
		return pts, nil
	}
	u := batch[0]
	y := p.train.Y
	switch u.Method {
	case "sampled":
		res, err := sampler.Certify(p.models[u.Lambda], y, p.testF, sampler.Config{
			N0: c.Sampler.N0, N: c.Sampler.N, Alpha: c.Sampler.Alpha, Q: u.Q,
			Seed: c.Seed, Purpose: u.Name(),
		}, stage.Callback())
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			pts[0][i] = smoothedPoint(r.Class, r.Abstain, r.LogEps, u.Q, p.tables[u.Q])
		}
	case "dpa":
		// Each part holds about n/k points, so λ/k keeps the penalty per
		// training point (λ/n) that the full-data learner has; the config's λ
		// itself would shrink every part to its intercept.
		parts := dpa.Partition(p.train.X, u.K)
		res, err := dpa.Certify(p.trainF, y, 2, parts, u.K, u.Lambda/float64(u.K), c.Features.Intercept, p.testF)
		if err != nil {
			return nil, inputErrorf("dpa.k = %d with ridge.lambda = %v: %v", u.K, u.Lambda, err)
		}
		for i, r := range res {
			pts[0][i] = point{prediction: r.Class, logEps: math.NaN(), radius: r.Radius, radiusKL: r.Radius}
		}
		stage.Add(m)
	default:
		return nil, fmt.Errorf("experiments: unit %s is not a certificate", u.Name())
	}
	return pts, nil
}

// certifyKernel fills pts[j] for every analytic and ridge-exact unit of the
// batch from one computation of α per test point. ridge-exact takes α's error
// bound as its margin (docs/science.md §10).
func (p *prepared) certifyKernel(batch []Unit, stage *progress.Stage, pts [][]point) {
	y := p.train.Y
	workers := runtime.GOMAXPROCS(0)
	certifiers := make([]exact.Certifier, workers)
	forEachKernel(p.models[batch[0].Lambda], p.testF, workers, stage, func(w, i int, alpha []float64, alphaErr float64) {
		for j, u := range batch {
			if u.Method == "analytic" {
				cert := analytic.Certify(alpha, y, u.Q)
				pts[j][i] = smoothedPoint(cert.Class, cert.Abstain(), cert.LogEps, u.Q, p.tables[u.Q])
				continue
			}
			class, r := certifiers[w].Certify(alpha, y, 2, alphaErr)
			pts[j][i] = point{prediction: class, logEps: math.NaN(), radius: r, radiusKL: r}
		}
	})
}

// pointsHeader is the contract of points.csv.
var pointsHeader = []string{"method", "q", "lambda", "index", "label", "prediction", "log_eps", "radius", "radius_kl", "correct"}

// encodePoints writes the rows of one unit (no header): floats in shortest
// round-trip form, empty cells where a method has no q or log ε.
func encodePoints(u Unit, labels []int, pts []point) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	q := ""
	if u.Method == "analytic" || u.Method == "sampled" {
		q = formatFloat(u.Q)
	}
	lambda := formatFloat(u.Lambda)
	for i, pt := range pts {
		logEps := ""
		if !math.IsNaN(pt.logEps) {
			logEps = formatFloat(pt.logEps)
		}
		correct := "0"
		if pt.prediction == labels[i] {
			correct = "1"
		}
		_ = w.Write([]string{u.Label(), q, lambda, strconv.Itoa(i), strconv.Itoa(labels[i]),
			strconv.Itoa(pt.prediction), logEps, strconv.Itoa(pt.radius), strconv.Itoa(pt.radiusKL), correct})
	}
	w.Flush()
	return buf.Bytes()
}
