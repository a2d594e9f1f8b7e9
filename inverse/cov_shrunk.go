package inverse

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

// chooseShrinkage runs scikit-learn's GridSearchCV(ShrunkCovariance(
// assume_centered=True), shrinkage grid, cv=KFold) on the coordinates idx:
// for each fold, a shrunk covariance of the training folds is scored by the
// Gaussian log-likelihood of the test fold (EmpiricalCovariance.score with
// a pinvh precision); the grid value with the best mean score wins, the
// first one on ties. grams are the per-fold Gram matrices (scaled, in the
// working coordinates) and sizes their sample counts.
//
// The shrunk matrices of one fold share the eigenvectors of its training
// covariance, so one eigendecomposition per fold serves the whole grid.
func chooseShrinkage(grams []*mat.SymDense, sizes []int, idx []int, grid []float64) (float64, error) {
	p := len(idx)
	nf := len(grams)
	mean := make([]float64, len(grid))
	for f := range nf {
		train := mat.NewSymDense(p, nil)
		test := mat.NewSymDense(p, nil)
		ntrain := 0
		for g := range nf {
			if g != f {
				ntrain += sizes[g]
			}
		}
		for a := range p {
			for b := a; b < p; b++ {
				s := 0.0
				for g := range nf {
					if g != f {
						s += grams[g].At(idx[a], idx[b])
					}
				}
				train.SetSym(a, b, s/float64(ntrain))
				test.SetSym(a, b, grams[f].At(idx[a], idx[b])/float64(sizes[f]))
			}
		}
		mu := 0.0
		for a := range p {
			mu += train.At(a, a)
		}
		mu /= float64(p)
		var es mat.EigenSym
		if !es.Factorize(train, true) {
			return 0, fmt.Errorf("eigendecomposition of the training covariance did not converge")
		}
		lam := es.Values(nil)
		var v mat.Dense
		es.VectorsTo(&v)
		// d_i = v_iᵀ T v_i, so that sum(T ∘ P) = Σ d_i / σ_i.
		var tv mat.Dense
		tv.Mul(test, &v)
		d := make([]float64, p)
		for i := range p {
			s := 0.0
			for a := range p {
				s += v.At(a, i) * tv.At(a, i)
			}
			d[i] = s
		}
		for gi, a := range grid {
			mean[gi] += logLikelihood(lam, d, a, mu) / float64(nf)
		}
	}
	best := 0
	for i, s := range mean {
		if math.IsNaN(mean[best]) || s > mean[best] {
			best = i
		}
	}
	return grid[best], nil
}

// logLikelihood is scikit-learn's log_likelihood(test_cov, pinvh(shrunk))
// for the shrunk covariance of eigenvalues (1-a)λ + a·mu: with pinvh's
// cut-off (eigenvalues at most p·eps of the largest are dropped, which
// makes the precision singular and its log-determinant -inf).
func logLikelihood(lam, d []float64, a, mu float64) float64 {
	p := len(lam)
	maxS := 0.0
	sig := make([]float64, p)
	for i, l := range lam {
		sig[i] = (1-a)*l + a*mu
		maxS = max(maxS, math.Abs(sig[i]))
	}
	cut := maxS * float64(p) * 0x1p-52
	sum, logdet, neg := 0.0, 0.0, 0
	for i, s := range sig {
		if math.Abs(s) <= cut {
			return math.Inf(-1)
		}
		sum += d[i] / s
		logdet -= math.Log(math.Abs(s))
		if s < 0 {
			neg++
		}
	}
	if neg%2 == 1 {
		logdet = math.Inf(-1)
	}
	return (-sum + logdet - float64(p)*math.Log(2*math.Pi)) / 2
}

// applyShrinkage is MNE's _ShrunkCovariance.fit on the empirical
// covariance c: each group's block shrunk toward its mean variance, the
// blocks between groups scaled by sqrt((1-a_i)(1-a_j)), and those between
// EEG and other groups set to zero.
func applyShrinkage(c *mat.Dense, groups []typePicks, shrink []float64) {
	for gi, tp := range groups {
		a := shrink[gi]
		n := len(tp.idx)
		mu := 0.0
		for _, i := range tp.idx {
			mu += c.At(i, i)
		}
		mu /= float64(n)
		blk := make([]float64, n*n)
		for x, i := range tp.idx {
			for y, j := range tp.idx {
				v := (1 - a) * c.At(i, j)
				if x == y {
					v += a * mu
				}
				blk[x*n+y] = v
			}
		}
		for x, i := range tp.idx {
			for y, j := range tp.idx {
				c.Set(i, j, blk[x*n+y])
			}
		}
	}
	// The cross blocks, as numpy's cov[np.ix_(pi, pj)] *= f then
	// cov[np.ix_(pj, pi)] *= f: each distinct element once per statement.
	// After a rank reduction the groups' positions repeat (MNE maps the
	// channels into the kept coordinates with searchsorted), and scaling
	// an element once per repetition would break positive semidefiniteness.
	uniq := make([][]int, len(groups))
	for gi, tp := range groups {
		u := slices.Clone(tp.idx)
		slices.Sort(u)
		uniq[gi] = slices.Compact(u)
	}
	for gi := range groups {
		for gj := gi + 1; gj < len(groups); gj++ {
			f := math.Sqrt((1 - shrink[gi]) * (1 - shrink[gj]))
			if groups[gi].typ == "eeg" || groups[gj].typ == "eeg" {
				f = 0
			}
			for _, i := range uniq[gi] {
				for _, j := range uniq[gj] {
					c.Set(i, j, c.At(i, j)*f)
				}
			}
			for _, j := range uniq[gj] {
				for _, i := range uniq[gi] {
					c.Set(j, i, c.At(j, i)*f)
				}
			}
		}
	}
}

// regularizeDiagonal is MNE's diagonal_fixed (_RegCovariance: regularize
// with rank='full' and no projection): for each channel type, reg times
// the mean of its variances is added to its diagonal.
func regularizeDiagonal(c *mat.Dense, info *fif.Info, regs map[string]float64) error {
	n, _ := c.Dims()
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := 0.5 * (c.At(i, j) + c.At(j, i))
			c.Set(i, j, v)
			c.Set(j, i, v)
		}
	}
	for _, tp := range picksByType(info, false, true) {
		reg, ok := regs[tp.typ]
		if !ok {
			reg = 0.1
		}
		if reg == 0 {
			continue
		}
		sigma := 0.0
		for _, i := range tp.idx {
			sigma += c.At(i, i)
		}
		sigma /= float64(len(tp.idx))
		for _, i := range tp.idx {
			c.Set(i, i, c.At(i, i)+reg*sigma)
		}
	}
	return nil
}
