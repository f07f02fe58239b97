package experiments

import (
	"slices"
	"testing"

	"flipcert/tables"
)

// TestStreamKeysAreFrozen: the sampled certificate's label samples are drawn
// from streams keyed by this text since flipcert's first runs, so every
// sampled row of every existing folder depends on it; display names may
// change, the key may not.
func TestStreamKeysAreFrozen(t *testing.T) {
	for _, tc := range []struct {
		u    Unit
		want string
	}{
		{Unit{Method: tables.Method{Kind: tables.Sampled}, Q: 0.05, Lambda: 30000}, "sampled_q0.05_lambda30000"},
		{Unit{Method: tables.Method{Kind: tables.Sampled}, Q: 1e-05, Lambda: 0.5}, "sampled_q1e-05_lambda0.5"},
	} {
		if got := tc.u.streamKey(); got != tc.want {
			t.Errorf("%v: stream key %q, want %q", tc.u, got, tc.want)
		}
		if tc.u.String() == tc.u.streamKey() {
			t.Errorf("%v: the display name is the stream key", tc.u)
		}
	}
}

// TestUnitFilesAreDistinct: every unit of a plan has its own files, so no
// two units can overwrite each other's rows.
func TestUnitFilesAreDistinct(t *testing.T) {
	c := Default()
	c.DPA.Enabled, c.Baseline.Enabled = true, true
	c.Ridge.Lambda = Floats{1, 10}
	seen := map[string]Unit{}
	for _, u := range Plan(c) {
		if v, ok := seen[u.file()]; ok {
			t.Fatalf("%v and %v share the file %s", u, v, u.file())
		}
		seen[u.file()] = u
	}
	if len(seen) < 20 {
		t.Fatalf("only %d units in the plan", len(seen))
	}
}

// TestWhiteRadiusWhateverTheBatch checks that a batch computes the
// white-box radii the smoothed attack is probed at whenever whitebox is on,
// also when its whitebox units are in another shard's batch, and never when
// it is off.
func TestWhiteRadiusWhateverTheBatch(t *testing.T) {
	p := &prepared{smoothingQ: []float64{0.1, 0.3}}
	analytic := Unit{Method: tables.Method{Kind: tables.Analytic}, Q: 0.1, Lambda: 1}
	sampled := Unit{Method: tables.Method{Kind: tables.Sampled}, Q: 0.3, Lambda: 1}
	for _, on := range []bool{true, false} {
		c := Default()
		c.Whitebox.Enabled = on
		w := p.planLambda([]Unit{analytic, sampled}, c)
		if w.white[0.1] != on || w.white[0.3] != on {
			t.Errorf("whitebox on = %v: white-box radii at q = 0.1, 0.3: %v, %v", on, w.white[0.1], w.white[0.3])
		}
	}
}

// TestPassPartCharges checks which parts of a kernel pass each unit's cost
// takes: its own certificate at its q, whitebox also the analytic one it
// rests on, never the kernel vectors' or the attacks' parts (the kernel
// vectors are shared separately) nor another q's.
func TestPassPartCharges(t *testing.T) {
	parts := []passPart{
		{name: "kernel vectors"},
		{name: "analytic q=0.1", kind: tables.Analytic, q: 0.1, cert: true},
		{name: "whitebox q=0.1", kind: tables.Whitebox, q: 0.1, cert: true},
		{name: "analytic q=0.3", kind: tables.Analytic, q: 0.3, cert: true},
		{name: "ridge-exact", kind: tables.RidgeExact, cert: true},
		{name: "attacks"},
	}
	for _, tc := range []struct {
		unit Unit
		want []string
	}{
		{Unit{Method: tables.Method{Kind: tables.Analytic}, Q: 0.1}, []string{"analytic q=0.1"}},
		{Unit{Method: tables.Method{Kind: tables.Whitebox}, Q: 0.1}, []string{"analytic q=0.1", "whitebox q=0.1"}},
		{Unit{Method: tables.Method{Kind: tables.Analytic}, Q: 0.3}, []string{"analytic q=0.3"}},
		{Unit{Method: tables.Method{Kind: tables.RidgeExact}}, []string{"ridge-exact"}},
	} {
		var got []string
		for _, p := range parts {
			if p.charges(tc.unit) {
				got = append(got, p.name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: charged %v, want %v", tc.unit, got, tc.want)
		}
	}
}
