// Package results analyses one experiment output directory: it derives the certified-accuracy and
// summary tables, checks the certificates against sampling and against attacks, and renders the
// paper's figures and an offline HTML report, written beside the inputs.
//
// It reads only the files of the directory — points.csv, manifest.json and the optional
// baseline.csv, mc_vs_analytic.csv, attack.csv and explain/*.png, in the format package tables
// defines — and knows nothing of how their numbers were made. Certified accuracy at r is the share
// of test points that are predicted correctly with a radius ≥ r; abstentions and wrong predictions
// never count (docs/science.md §5). Accuracy under attack at r is the share predicted correctly
// whose attack needs more than r flips: an upper bound to set beside it (docs/science.md §11).
//
// Render writes, each atomically (temporary file in the same directory, then rename):
//
//	certified_accuracy.csv        certified accuracy of every curve at every budget 0..max_flips
//	summary.csv, summary.md       one row per (method, q, λ); summary.md adds the checks below
//	mc_check.csv                  per (q, λ, N): contradictions of the analytic bound by the
//	                              samples (must be 0) and the samples needed (with mc_vs_analytic.csv)
//	costs.csv                     seconds per method, q and λ, and per test point (with manifest costs)
//	attack_summary.csv            per (method, q, λ): median attack size and attack/(radius + 1),
//	                              and rows with flips ≤ radius (must be 0) (with attack.csv)
//	certified_accuracy.svg/.png   certified accuracy against flipped labels (the paper's Figure 1)
//	sampled_vs_analytic.svg/.png  Monte Carlo against analytic certificates (when both are present)
//	tightness.svg/.png            certified accuracy and accuracy under attack (with attack.csv)
//	ablation.svg/.png             certified accuracy over the q × λ grid (when both are swept)
//	report.html                   all of the above on one page, the explain pictures, the manifest
//
// Outputs that do not apply are not written, and a stale copy from an earlier render is removed.
// WriteTables writes the tables alone. The same inputs give byte-identical outputs.
package results
