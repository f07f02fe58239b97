package experiments

import (
	"testing"

	"flipcert/tables"
)

// benchPrepared is MNIST 1/7 with PCA-50 features and an intercept (n =
// 13,007, d = 51, m = 2,163), the size of the paper's experiment.
func benchPrepared(b *testing.B, c Config) *prepared {
	b.Helper()
	in, err := loadInputs(c)
	if err != nil {
		b.Fatal(err)
	}
	var stages []tables.Stage
	p, err := prepare(c, in, runEnv{stages: &stages})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCertifyUnit times one work unit per method over the whole MNIST
// 1/7 test set, kernel vectors α included.
func BenchmarkCertifyUnit(b *testing.B) {
	c, err := ParseConfig([]byte("features: {kind: pca, dim: 50}\nridge: {lambda: 30000}\nsmoothing: {q: [0.05, 0.4]}\n"), "bench.yaml", ".")
	if err != nil {
		b.Fatal(err)
	}
	p := benchPrepared(b, c)
	var stages []tables.Stage
	env := runEnv{stages: &stages}
	discard := func(Unit, output) error { return nil }
	for _, u := range []Unit{
		{Method: tables.Method{Kind: tables.Analytic}, Q: 0.05, Lambda: 30000},
		{Method: tables.Method{Kind: tables.Analytic}, Q: 0.4, Lambda: 30000},
		{Method: tables.Method{Kind: tables.Sampled}, Q: 0.05, Lambda: 30000},
		{Method: tables.Method{Kind: tables.Sampled}, Q: 0.4, Lambda: 30000},
		{Method: tables.Method{Kind: tables.RidgeExact}, Lambda: 30000},
		{Method: tables.Method{Kind: tables.DPA, Parts: 1000}, Lambda: 30000},
	} {
		b.Run(u.file(), func(b *testing.B) {
			for b.Loop() {
				var err error
				if u.Method.Kind == tables.DPA {
					_, err = p.runDPA(u, c, env)
				} else {
					err = p.runLambda([]Unit{u}, c, env, discard)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(p.test.Len()*p.train.Len()), "ns/point×label")
		})
	}
}
