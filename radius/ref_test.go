package radius

import (
	"math"
	"math/big"
)

// This file holds the high-precision reference the tests hold the table to:
// the Neyman-Pearson worst case of docs/science.md §5 and §8 written out
// level by level in 320-bit floating point (math/big), sharing no code with
// the package.

const refPrec = 320

func newF() *big.Float { return new(big.Float).SetPrec(refPrec) }

func bigInt(n int) *big.Float { return newF().SetInt64(int64(n)) }

func bigF(x float64) *big.Float { return newF().SetFloat64(x) }

// bigLn2 is ln 2 = Σ_{k≥1} 1/(k·2ᵏ), the tail after refPrec+10 terms being
// below 2^−(refPrec+10).
var bigLn2 = func() *big.Float {
	sum := newF()
	for k := 1; k <= refPrec+10; k++ {
		term := newF().SetMantExp(bigInt(1), -k)
		sum.Add(sum, term.Quo(term, bigInt(k)))
	}
	return sum
}()

// bigExp returns eˣ: x = n·ln 2 + s, e^s by its Taylor series at s/2¹⁶, then
// squared sixteen times.
func bigExp(x *big.Float) *big.Float {
	f, _ := x.Float64()
	n := math.Round(f / math.Ln2)
	s := newF().Sub(x, newF().Mul(bigF(n), bigLn2))
	const halvings = 16
	s.SetMantExp(s, -halvings)
	sum, term := bigInt(1), bigInt(1)
	for k := 1; ; k++ {
		term.Mul(term, s)
		term.Quo(term, bigInt(k))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil) < -refPrec-20 {
			break
		}
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(n))
}

// bigLog returns ln y for y > 0: y = m·2ᵉ with m ∈ [½, 1), and ln m by Newton's
// method on eᵗ = m from the float64 logarithm (53 → 106 → 212 → 424 bits).
func bigLog(y *big.Float) *big.Float {
	m := newF()
	e := y.MantExp(m)
	mf, _ := m.Float64()
	t := bigF(math.Log(mf))
	for range 4 {
		// t ← t − 1 + m·e^{−t}
		et := bigExp(newF().Neg(t))
		t.Add(t, et.Mul(et, m))
		t.Sub(t, bigInt(1))
	}
	return t.Add(t, newF().Mul(bigInt(e), bigLn2))
}

func bigPow(x *big.Float, n int) *big.Float {
	result, base := bigInt(1), newF().Set(x)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			result.Mul(result, base)
		}
		base.Mul(base, base)
	}
	return result
}

// level is the attacked and clean mass of one likelihood-ratio level.
type level struct{ att, clean *big.Float }

// levels yields the levels in fill order (largest ratio attacked/clean first).
type levels func(yield func(level) bool)

// refThreshold returns ε*: the clean mass of the worst set when its attacked
// mass reaches ½, the last level taken fractionally.
func refThreshold(ls levels) *big.Float {
	half := bigF(0.5)
	fa, fc := newF(), newF()
	var eps *big.Float
	ls(func(l level) bool {
		if l.att.Sign() == 0 {
			return true
		}
		if next := newF().Add(fa, l.att); next.Cmp(half) >= 0 {
			frac := newF().Sub(half, fa)
			frac.Mul(frac, l.clean).Quo(frac, l.att)
			eps = frac.Add(frac, fc)
			return false
		}
		fa.Add(fa, l.att)
		fc.Add(fc, l.clean)
		return true
	})
	return eps
}

// refWorstMass returns the largest attacked mass of a set of clean mass eps.
func refWorstMass(ls levels, eps *big.Float) *big.Float {
	fa, fc := newF(), newF()
	var mass *big.Float
	ls(func(l level) bool {
		if l.clean.Sign() == 0 {
			return true
		}
		if next := newF().Add(fc, l.clean); next.Cmp(eps) >= 0 {
			frac := newF().Sub(eps, fc)
			frac.Mul(frac, l.att).Quo(frac, l.clean)
			mass = frac.Add(frac, fa)
			return false
		}
		fa.Add(fa, l.att)
		fc.Add(fc, l.clean)
		return true
	})
	return mass
}

// binomialLevels are the levels of §5 for r flipped labels: j = 0, 1, … of
// them keep their clean label, j ~ Bin(r, 1−q) clean and Bin(r, q) attacked,
// each mass from the previous one by the ratio of binomial coefficients.
func binomialLevels(q float64, r int) levels {
	return func(yield func(level) bool) {
		bq := bigF(q)
		bp := newF().Sub(bigInt(1), bq) // 1−q, exact for the q used here
		odds := newF().Quo(bq, bp)      // q/(1−q)
		att, clean := bigPow(bp, r), bigPow(bq, r)
		for j := 0; j <= r; j++ {
			if !yield(level{newF().Set(att), newF().Set(clean)}) {
				return
			}
			c := newF().Quo(bigInt(r-j), bigInt(j+1))
			att.Mul(att, c).Mul(att, odds)
			clean.Mul(clean, c).Quo(clean, odds)
		}
	}
}

// multinomialLevels are the levels of §8 for r changed labels, z = r down to
// −r, each summed directly over (A, B, C) ~ Mult(r; ·) with A − B = z:
// clean probabilities (p, 1−q, (K−2)p), attacked (1−q, p, (K−2)p).
func multinomialLevels(q float64, classes, r int) levels {
	return func(yield func(level) bool) {
		bq := bigF(q)
		keep := newF().Sub(bigInt(1), bq)
		p := newF().Quo(bq, bigInt(classes-1))
		other := newF().Mul(p, bigInt(classes-2))
		fact := []*big.Float{bigInt(1)}
		for i := 1; i <= r; i++ {
			fact = append(fact, newF().Mul(fact[i-1], bigInt(i)))
		}
		powers := func(x *big.Float) []*big.Float {
			pw := []*big.Float{bigInt(1)}
			for i := 1; i <= r; i++ {
				pw = append(pw, newF().Mul(pw[i-1], x))
			}
			return pw
		}
		pp, pk, po := powers(p), powers(keep), powers(other)
		for z := r; z >= -r; z-- {
			att, clean := newF(), newF()
			for b := max(0, -z); 2*b+z <= r; b++ {
				a := b + z
				c := r - a - b
				m := newF().Quo(fact[r], fact[a])
				m.Quo(m, fact[b]).Quo(m, fact[c]).Mul(m, po[c])
				cl := newF().Mul(m, pp[a])
				clean.Add(clean, cl.Mul(cl, pk[b]))
				at := newF().Mul(m, pk[a])
				att.Add(att, at.Mul(at, pp[b]))
			}
			if !yield(level{att, clean}) {
				return
			}
		}
	}
}

// convolvedLevels returns the levels of §8 for r = 1..maxR, computed the
// other way: the attacked law of Z over its whole support [−r, r], advanced
// one change at a time (Z+1, Z, Z−1 w.p. 1−q, (K−2)p, p), with the clean mass
// of level z as ρ^{−z} times the attacked one; each gets every r's levels.
func convolvedLevels(q float64, classes, maxR int, each func(r int, ls levels)) {
	bq := bigF(q)
	keep := newF().Sub(bigInt(1), bq)
	p := newF().Quo(bq, bigInt(classes-1))
	other := newF().Mul(p, bigInt(classes-2))
	rho := newF().Quo(keep, p)
	att := []*big.Float{bigInt(1)} // att[i] is level z = i − r
	for r := 1; r <= maxR; r++ {
		next := make([]*big.Float, 2*r+1)
		for i := range next {
			v := newF()
			for _, from := range []struct {
				j    int
				prob *big.Float
			}{{i - 2, keep}, {i - 1, other}, {i, p}} {
				if from.j >= 0 && from.j < len(att) {
					v.Add(v, newF().Mul(att[from.j], from.prob))
				}
			}
			next[i] = v
		}
		att = next
		each(r, func(yield func(level) bool) {
			for i := len(att) - 1; i >= 0; i-- {
				z := i - r
				clean := newF().Quo(att[i], bigPow(rho, max(z, 0)))
				clean.Mul(clean, bigPow(rho, max(-z, 0)))
				if !yield(level{att[i], clean}) {
					return
				}
			}
		})
	}
}

// refLogThreshold returns log ε* in 320-bit precision.
func refLogThreshold(ls levels) *big.Float { return bigLog(refThreshold(ls)) }
