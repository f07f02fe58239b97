package attacks

import (
	"sync"
	"testing"

	"flipcert/dataset"

	"gonum.org/v1/gonum/mat"
)

var mnistSplits = sync.OnceValues(func() ([2]dataset.Digits, error) {
	train, test, err := dataset.LoadModuleMNIST()
	return [2]dataset.Digits{train, test}, err
})

// loadDigits returns up to limit images (0 = all) of the given digits from the
// MNIST training or test split, labelled by each digit's position in digits.
func loadDigits(tb testing.TB, test bool, limit int, digits ...int) (*mat.Dense, []int) {
	tb.Helper()
	splits, err := mnistSplits()
	if err != nil {
		tb.Fatal(err)
	}
	if test {
		return splits[1].Select(limit, digits...)
	}
	return splits[0].Select(limit, digits...)
}
