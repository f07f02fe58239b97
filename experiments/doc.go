// Package experiments turns a config into a plan of work units and runs them:
// it loads the data, computes the label-free features, fits the ridge kernels
// and certifies every test point with every method of the config, writing one
// file per finished unit, then assembles the output tables.
//
// A unit is one (method, q, λ) certificate sweep over the test set, or one
// (attack, flips, seed) cell of the undefended baseline. Units are written
// atomically under units/ in the output directory, so an interrupted run
// resumes where it stopped, and a sweep can be split into shards (Options.Shard)
// that run on separate machines and are merged afterwards (Merge). The
// assembled tables are byte-identical whatever the sharding, the interruptions
// or GOMAXPROCS.
package experiments
