// Package attacks computes the label-flip attacks that bound the
// certificates' radii from above (docs/science.md §11): the greedy
// relabeling order of a ridge kernel vector, the fewest relabelings that
// change the unsmoothed ridge classifier, the attack on the smoothed
// classifier proven by Berry–Esseen and Chernoff bounds or verified by
// sampling, and the attack on a DPA ensemble. (The attacks on the undefended
// network are package baseline's.)
package attacks
