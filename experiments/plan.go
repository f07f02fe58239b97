package experiments

import (
	"fmt"
	"math"

	"flipcert/tables"
)

// Unit is one independent piece of work: a certificate method at one q and
// λ, or one training of the undefended network under attack. Its results
// depend on nothing but the config and the unit's own fields.
type Unit struct {
	// Method is a certificate unit's method, DPA's number of partitions k in
	// Method.Parts. A sampled unit computes every N of sampler.n in one
	// nested pass, so its Method.Samples is 0.
	Method tables.Method
	Q      float64 // smoothed methods; 0 for the others
	Lambda float64 // certificate units
	Net    NetRun  // baseline units; the zero value for certificate units
}

// NetRun is a baseline unit: the undefended network trained on attacked
// labels and scored once (docs/science.md §6).
type NetRun struct {
	Attack string // random | pointwise; "" marks a certificate unit
	Flips  int    // the attack's budget
	Seed   uint64 // the repetition, 1..baseline.seeds
}

// isNet reports whether u is a baseline unit.
func (u Unit) isNet() bool { return u.Net.Attack != "" }

// setting is the unit's method, q and λ as its rows name them (q NaN for
// unsmoothed methods); samples names the sampled certificate's N in the
// method when a run sweeps N (0 otherwise).
func (u Unit) setting(samples int) tables.Setting {
	s := tables.Setting{Method: u.Method, Q: math.NaN(), Lambda: u.Lambda}
	s.Method.Samples = samples
	if s.Method.Kind.Smoothed() {
		s.Q = u.Q
	}
	return s
}

// String names the unit for people: progress lines, messages, the
// manifest's stages.
func (u Unit) String() string {
	if u.isNet() {
		return fmt.Sprintf("baseline %s, %d flips, seed %d", u.Net.Attack, u.Net.Flips, u.Net.Seed)
	}
	s := u.Method.String()
	if u.Method.Kind.Smoothed() {
		s += " q=" + tables.FormatFloat(u.Q)
	}
	return s + " λ=" + tables.FormatFloat(u.Lambda)
}

// file is the stem of the unit's files in the units folder. It is part of
// the folder's layout (see layout): resuming finds finished units by it.
func (u Unit) file() string {
	switch {
	case u.isNet():
		return fmt.Sprintf("baseline_%s_flips%d_seed%d", u.Net.Attack, u.Net.Flips, u.Net.Seed)
	case u.Method.Kind.Smoothed():
		return fmt.Sprintf("%s_q%s_lambda%s", u.Method, tables.FormatFloat(u.Q), tables.FormatFloat(u.Lambda))
	}
	return fmt.Sprintf("%s_lambda%s", u.Method, tables.FormatFloat(u.Lambda))
}

// streamKey is the purpose of the random streams a sampled unit draws from
// (package randstream): the label samples of its certificate, and, with
// "/attack" appended, those verifying its attacks. It is part of the
// results, so it is spelled out here, never derived from a display name:
// changing it changes every sampled row.
func (u Unit) streamKey() string {
	if u.Method.Kind != tables.Sampled {
		panic("experiments: only sampled units draw label samples")
	}
	return fmt.Sprintf("sampled_q%s_lambda%s", tables.FormatFloat(u.Q), tables.FormatFloat(u.Lambda))
}

// Plan lists the units of a config in the order their rows appear in the
// output tables: the certificate methods in the order of tables.Kind (each
// by q, then λ; DPA by k, then λ), then the baseline by attack, flips and
// seed.
func Plan(c Config) []Unit {
	var units []Unit
	for _, f := range []struct {
		kind tables.Kind
		on   bool
		qs   []float64
	}{
		{tables.Analytic, c.Analytic.Enabled, c.Smoothing.Q},
		{tables.Whitebox, c.Whitebox.Enabled, c.Smoothing.Q},
		{tables.Sampled, c.Sampler.Enabled, c.sampledQ()},
	} {
		if !f.on {
			continue
		}
		for _, q := range f.qs {
			for _, l := range c.Ridge.Lambda {
				units = append(units, Unit{Method: tables.Method{Kind: f.kind}, Q: q, Lambda: l})
			}
		}
	}
	if c.RidgeExact.Enabled {
		for _, l := range c.Ridge.Lambda {
			units = append(units, Unit{Method: tables.Method{Kind: tables.RidgeExact}, Lambda: l})
		}
	}
	if c.DPA.Enabled {
		for _, k := range c.DPA.Parts {
			for _, l := range c.Ridge.Lambda {
				units = append(units, Unit{Method: tables.Method{Kind: tables.DPA, Parts: k}, Lambda: l})
			}
		}
	}
	if c.Baseline.Enabled {
		for _, a := range c.Baseline.Attacks {
			for _, f := range c.Baseline.Flips {
				for s := range c.Baseline.Seeds {
					units = append(units, Unit{Net: NetRun{Attack: a, Flips: f, Seed: uint64(s + 1)}})
				}
			}
		}
	}
	return units
}

// Shard returns the units that shard i of n runs: every n-th unit from the
// i-th, so that each shard gets a mix of cheap and costly methods.
func Shard(units []Unit, i, n int) []Unit {
	var mine []Unit
	for j, u := range units {
		if j%n == i {
			mine = append(mine, u)
		}
	}
	return mine
}
