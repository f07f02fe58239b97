package experiments

import (
	"fmt"
	"math"

	"flipcert/tables"
)

// Unit is one independent piece of work; its results depend on nothing but
// the config and the unit's own fields.
type Unit struct {
	Method string  // analytic | sampled | ridge-exact | dpa | baseline
	Q      float64 // analytic, sampled
	Lambda float64 // every certificate method
	K      int     // dpa: number of partitions
	Attack string  // baseline: random | pointwise
	Flips  int     // baseline: attack budget
	Seed   uint64  // baseline: network and attack seed
}

// tableMethod is the unit's method as the tables name it; samples is the
// sampled certificate's N when the name carries it (0 otherwise).
func (u Unit) tableMethod(samples int) tables.Method {
	switch u.Method {
	case "analytic":
		return tables.Method{Kind: tables.Analytic}
	case "sampled":
		return tables.Method{Kind: tables.Sampled, Samples: samples}
	case "ridge-exact":
		return tables.Method{Kind: tables.RidgeExact}
	case "dpa":
		return tables.Method{Kind: tables.DPA, Parts: u.K}
	}
	panic("experiments: unit " + u.Method + " has no table method")
}

// setting is the unit's method, q and λ as its rows name them (q NaN for
// unsmoothed methods); samples as for tableMethod.
func (u Unit) setting(samples int) tables.Setting {
	s := tables.Setting{Method: u.tableMethod(samples), Q: math.NaN(), Lambda: u.Lambda}
	if s.Method.Kind.Smoothed() {
		s.Q = u.Q
	}
	return s
}

// Name identifies the unit in messages, file names and random-stream keys.
func (u Unit) Name() string {
	switch u.Method {
	case "analytic", "sampled":
		return fmt.Sprintf("%s_q%s_lambda%s", u.Method, tables.FormatFloat(u.Q), tables.FormatFloat(u.Lambda))
	case "baseline":
		return fmt.Sprintf("baseline_%s_flips%d_seed%d", u.Attack, u.Flips, u.Seed)
	default:
		return fmt.Sprintf("%s_lambda%s", u.tableMethod(0), tables.FormatFloat(u.Lambda))
	}
}

// Plan lists the units of a config in the order their rows appear in the
// output tables: analytic, sampled, ridge-exact, dpa (each by q, then λ, then
// k), then the baseline by attack, flips and seed.
func Plan(c Config) []Unit {
	var units []Unit
	for _, m := range []struct {
		name string
		on   bool
		qs   []float64
	}{{"analytic", c.Analytic.Enabled, c.Smoothing.Q}, {"sampled", c.Sampler.Enabled, c.sampledQ()}} {
		if !m.on {
			continue
		}
		for _, q := range m.qs {
			for _, l := range c.Ridge.Lambda {
				units = append(units, Unit{Method: m.name, Q: q, Lambda: l})
			}
		}
	}
	if c.RidgeExact.Enabled {
		for _, l := range c.Ridge.Lambda {
			units = append(units, Unit{Method: "ridge-exact", Lambda: l})
		}
	}
	if c.DPA.Enabled {
		for _, k := range c.DPA.K {
			for _, l := range c.Ridge.Lambda {
				units = append(units, Unit{Method: "dpa", K: k, Lambda: l})
			}
		}
	}
	if c.Baseline.Enabled {
		for _, a := range c.Baseline.Attacks {
			for _, f := range c.Baseline.Flips {
				for s := range c.Baseline.Seeds {
					units = append(units, Unit{Method: "baseline", Attack: a, Flips: f, Seed: uint64(s + 1)})
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
