package inverse

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

// rankScalings are MNE's 'scalings_cov_rank': the units in which the rank
// of a covariance matrix is estimated.
var rankScalings = map[string]float64{
	"mag": 1e12, "grad": 1e11, "eeg": 1e5, "csd": 1e3, "seeg": 1e3,
	"ecog": 1e5, "dbs": 1e5, "fnirs": 1,
}

// Whitener is a noise covariance prepared for whitening (MNE's
// prepare_noise_cov followed by compute_whitener with pca='white'): the
// covariance restricted to Names and projected, its eigendecomposition
// computed per channel group, and the whitener W = Λ^-1/2 Eᵀ with the rows
// of the discarded (smallest) eigenvalues set to zero.
type Whitener struct {
	Names []string
	// Data is the projected covariance, len(Names)² row-major.
	Data []float64
	// Eig holds one eigenvalue per channel (zero for discarded ones) and
	// EigVec the eigenvectors as rows (len(Names)² row-major), in the
	// channel positions of their group, as MNE's noise_cov['eig'/'eigvec'].
	Eig, EigVec []float64
	// W is the whitener, len(Names)² row-major (zero rows where Eig is 0).
	W []float64
	// Rank is the number of nonzero eigenvalues; RankByGroup the rank of
	// each channel group ("meg", "eeg", ...).
	Rank        int
	RankByGroup map[string]int
	// Proj is the SSP operator of the info and covariance projectors on
	// Names (nil when none applies) and NProj its dimension.
	Proj  []float64
	NProj int
}

// PrepareWhitener is MNE's prepare_noise_cov(cov, info, names, rank) and
// compute_whitener(pca='white'). The channels in names must be in info and
// in cov. It fails when the covariance is not positive definite on the
// rank it keeps.
func PrepareWhitener(info *fif.Info, cov *fif.Cov, names []string, rank Rank) (*Whitener, error) {
	n := len(names)
	if n == 0 {
		return nil, fmt.Errorf("whitener: no channels")
	}
	ci := make([]int, n)
	pos := map[string]int{}
	for i, name := range cov.Names {
		pos[name] = i
	}
	dim := int(math.Round(math.Sqrt(float64(len(cov.Data)))))
	if dim*dim != len(cov.Data) || dim != len(cov.Names) {
		return nil, fmt.Errorf("whitener: covariance data (%d values) does not match its %d names", len(cov.Data), len(cov.Names))
	}
	for i, name := range names {
		j, ok := pos[name]
		if !ok {
			return nil, fmt.Errorf("whitener: channel %s not in the noise covariance", name)
		}
		ci[i] = j
	}
	c := make([]float64, n*n)
	for i := range n {
		for j := range n {
			c[i*n+j] = cov.Data[ci[i]*dim+ci[j]]
		}
	}
	projs := append(slices.Clone(info.Projs), cov.Projs...)
	proj, nproj, err := covProjector(projs, names, nil)
	if err != nil {
		return nil, fmt.Errorf("whitener: projectors: %w", err)
	}
	if proj != nil {
		c = sandwich(proj, c, n)
	}
	types := make([]string, n)
	for i, name := range names {
		k := info.ChIndex(name)
		if k < 0 {
			return nil, fmt.Errorf("whitener: channel %s not in the measurement info", name)
		}
		types[i] = fif.ChannelType(info.Chs[k])
	}
	w := &Whitener{Names: slices.Clone(names), Data: c, Eig: make([]float64, n),
		EigVec: make([]float64, n*n), W: make([]float64, n*n), RankByGroup: map[string]int{},
		Proj: proj, NProj: nproj}
	for _, g := range groupChannels(types) {
		r, err := groupRank(info, c, n, g, types, names, projs, rank)
		if err != nil {
			return nil, err
		}
		w.RankByGroup[g.typ] = r
		if err := w.eigh(c, n, g.idx, r); err != nil {
			return nil, err
		}
	}
	for i := range n {
		if w.Eig[i] > 0 {
			w.Rank++
			s := 1 / math.Sqrt(w.Eig[i])
			for j := range n {
				w.W[i*n+j] = s * w.EigVec[i*n+j]
			}
		}
	}
	return w, nil
}

// sandwich returns P C Pᵀ for n x n row-major matrices.
func sandwich(p, c []float64, n int) []float64 {
	pm := mat.NewDense(n, n, p)
	var t, u mat.Dense
	t.Mul(pm, mat.NewDense(n, n, c))
	u.Mul(&t, pm.T())
	return u.RawMatrix().Data
}

// groupChannels is _picks_by_type(meg_combined=True) over channel types.
func groupChannels(types []string) []typePicks {
	by := map[string][]int{}
	for i, t := range types {
		by[t] = append(by[t], i)
	}
	var out []typePicks
	for _, t := range dataTypes {
		if len(by[t]) > 0 {
			out = append(out, typePicks{typ: t, idx: by[t]})
		}
	}
	if len(by["mag"]) > 0 && len(by["grad"]) > 0 {
		meg := append(slices.Clone(by["mag"]), by["grad"]...)
		slices.Sort(meg)
		out = append([]typePicks{{typ: "meg", idx: meg}}, out[2:]...)
	}
	return out
}

// groupRank is MNE's compute_rank for one channel group of a covariance:
// the given value, the info rank, or the count of singular values of the
// scaled, projected block above len·max·eps.
func groupRank(info *fif.Info, c []float64, n int, g typePicks, types, names []string, projs []fif.Projector, r Rank) (int, error) {
	nb := len(g.idx)
	if v, ok := r.Values[g.typ]; ok {
		if v > nb {
			return 0, fmt.Errorf("rank[%q]=%d exceeds the number of channels (%d)", g.typ, v, nb)
		}
		return v, nil
	}
	gnames := make([]string, nb)
	for a, i := range g.idx {
		gnames[a] = names[i]
	}
	proj, nproj, err := covProjector(info.Projs, gnames, nil)
	if err != nil {
		return 0, err
	}
	if r.Mode == RankInfo || r.Mode == RankFull {
		v := infoRank(info, g.typ, nb, r.Mode)
		if r.Mode == RankInfo {
			v -= nproj
		}
		return min(v, nb), nil
	}
	b := make([]float64, nb*nb)
	for a, i := range g.idx {
		for bb, j := range g.idx {
			b[a*nb+bb] = c[i*n+j]
		}
	}
	if proj != nil {
		b = sandwich(proj, b, nb)
	}
	for a, i := range g.idx {
		for bb, j := range g.idx {
			b[a*nb+bb] *= rankScalings[types[i]] * rankScalings[types[j]]
		}
	}
	sym := mat.NewSymDense(nb, nil)
	for a := range nb {
		for bb := a; bb < nb; bb++ {
			sym.SetSym(a, bb, 0.5*(b[a*nb+bb]+b[bb*nb+a]))
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, false) {
		return 0, fmt.Errorf("rank estimation: eigendecomposition did not converge")
	}
	s := es.Values(nil)
	mx := 0.0
	for i := range s {
		s[i] = math.Abs(s[i])
		mx = max(mx, s[i])
	}
	tol := float64(nb) * mx * 0x1p-52
	rank := 0
	for _, v := range s {
		if v > tol {
			rank++
		}
	}
	return rank, nil
}

// eigh is MNE's _get_ch_whitener for one group: the eigendecomposition of
// its block with all but the rank largest eigenvalues set to zero.
func (w *Whitener) eigh(c []float64, n int, idx []int, rank int) error {
	nb := len(idx)
	sym := mat.NewSymDense(nb, nil)
	for a, i := range idx {
		for b := a; b < nb; b++ {
			j := idx[b]
			sym.SetSym(a, b, 0.5*(c[i*n+j]+c[j*n+i]))
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return fmt.Errorf("whitener: eigendecomposition did not converge")
	}
	val := es.Values(nil)
	var vec mat.Dense
	es.VectorsTo(&vec)
	order := make([]int, nb)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return val[order[a]] < val[order[b]] })
	for a, k := range order {
		e := val[k]
		row := idx[a]
		if a < nb-rank {
			e = 0
		} else if !(e > 0) {
			return fmt.Errorf("noise covariance is not positive definite on the data's rank: eigenvalue %d of %d is %.3g with rank %d (check the rank, projectors and bad channels)", a+1, nb, e, rank)
		}
		w.Eig[row] = e
		for b, j := range idx {
			w.EigVec[row*n+j] = vec.At(b, k)
		}
	}
	return nil
}
