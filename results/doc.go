// Package results analyses one experiment output directory: it derives the certified-accuracy and
// summary tables, and renders the paper's figures and an offline HTML report, written beside the
// inputs.
//
// It reads only the files of the directory — points.csv, the optional baseline.csv and
// manifest.json, in the format package tables defines — and knows nothing of how their numbers
// were made. Certified accuracy at r is the share of test points that are predicted correctly
// with a radius ≥ r; abstentions and wrong predictions never count (docs/science.md §5).
//
// Render writes, each atomically (temporary file in the same directory, then rename):
//
//	certified_accuracy.csv        certified accuracy of every curve at every budget 0..max_flips
//	summary.csv, summary.md       one row per (method, q, λ)
//	certified_accuracy.svg/.png   certified accuracy against flipped labels (the paper's Figure 1)
//	sampled_vs_analytic.svg/.png  Monte Carlo against analytic certificates (when both are present)
//	ablation.svg/.png             certified accuracy over the q × λ grid (when both are swept)
//	report.html                   all of the above on one page, with the manifest
//
// WriteTables writes the three tables alone. The same inputs give byte-identical outputs.
package results
