package experiments

import (
	"errors"
	"testing"
)

// FuzzParseConfig checks that any document gives a config or an InputError,
// never a panic; more seeds live in testdata/fuzz.
func FuzzParseConfig(f *testing.F) {
	f.Add(tinyConfig)
	f.Add("name: x\nsmoothing: {q: 0.2}\nridge: {lambda: [1, 2e5]}\n")
	f.Add("data: {classes: [1, 7]}\nbaseline: {enabled: true, flips: 100}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := ParseConfig([]byte(doc), "f.yaml", "/")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		for _, q := range c.Smoothing.Q {
			if !(q > 0 && q < 0.5) {
				t.Fatalf("accepted q = %v", q)
			}
		}
	})
}
