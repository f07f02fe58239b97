// Package vec holds the float64 loops that dominate flipcert's running time:
// adding rows, adding a scaled row, and products of small matrices.
//
// Every function computes exactly the bits of its plain Go definition, given
// in its comment: one IEEE rounding per operation, in the stated order, each
// product rounded before it is added (never a fused multiply-add). That is
// what lets the sampler promise the arithmetic of docs/science.md §10 "The
// sampled classifier's arithmetic" and the networks give the same weights on
// every machine. On amd64 processors with AVX the loops run in assembly, four
// lanes at a time, which changes how many results are computed at once but
// not one operation of any result; elsewhere, or with the build tag purego,
// they run the definition as written. Tests compare the two bit for bit.
package vec
