// Package mnisttest gives tests and benchmarks the MNIST images, read once per
// test binary from the files the GoMNIST module ships.
package mnisttest

import (
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"flipcert/dataset"
	"flipcert/features"
	"flipcert/ridge"
)

// splits holds the training and test splits; reading them takes about a
// second, which tests that ask for images many times should pay once.
var splits = sync.OnceValues(func() ([2]dataset.Digits, error) {
	train, test, err := dataset.LoadModuleMNIST()
	return [2]dataset.Digits{train, test}, err
})

// Digits returns up to limit images (0 = all) of the given digits from the
// training or test split, labelled by each digit's position in digits.
func Digits(tb testing.TB, test bool, limit int, digits ...int) (*mat.Dense, []int) {
	tb.Helper()
	s, err := splits()
	if err != nil {
		tb.Fatal(err)
	}
	if test {
		return s[1].Select(limit, digits...)
	}
	return s[0].Select(limit, digits...)
}

// Ridge17 is the benchmarks' MNIST 1/7 problem: ridge at λ = 3·10⁴ on the
// 50 leading principal components of the training images plus the
// intercept, with the training labels and the 2,163 test points' features.
func Ridge17(tb testing.TB) (model *ridge.Model, y []int, test *mat.Dense) {
	tb.Helper()
	x, y := Digits(tb, false, 0, 1, 7)
	tx, _ := Digits(tb, true, 0, 1, 7)
	pca, err := features.FitPCA(x, 50)
	if err != nil {
		tb.Fatal(err)
	}
	phi := features.WithIntercept(pca.Transform(x))
	model, err = ridge.NewDesign(phi, true).Fit(3e4)
	if err != nil {
		tb.Fatal(err)
	}
	return model, y, features.WithIntercept(pca.Transform(tx))
}
