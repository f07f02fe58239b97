// Package whitebox computes the white-box certificate of the smoothed ridge
// classifier against label flips (docs/science.md §14).
//
// The Neyman-Pearson radius of package radius lets an attacker reshape the
// noise distribution as freely as the likelihood ratio of r changed labels
// allows. For ridge the attacker's power is concrete: the smoothed score is a
// sum of one independent term per training label, and relabelling point i
// changes the law of its own term only. At a fixed Chernoff parameter t the
// log-moment-generating function is a sum over the points, so the r
// relabellings that raise it most are the r largest increments δᵢ(t), and
// for every set F of at most r relabelled points
//
//	log P_F(h ≠ c) ≤ min_{t≥0} [ψ(t) + sum of the r largest δᵢ(t)],
//
// ψ being the analytic certificate's exponent (package analytic). Within
// each kind of move δᵢ(t) grows with |αᵢ|, so the r largest are a merge of
// lists sorted once per test point. For K classes each rival class has its
// own worst relabelling and the rivals are combined by the union bound, as in
// the analytic certificate.
//
// The certificate is deterministic and holds for every relabelling of at
// most r points, for the exact kernel vector and despite rounding: every
// exponent is padded by derived bounds on its rounding error and by t·E for
// the kernel-vector error E. A Certifier keeps scratch memory between calls.
package whitebox
