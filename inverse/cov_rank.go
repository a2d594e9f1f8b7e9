package inverse

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

// dataTypes are MNE's data channel types in its order (_DATA_CH_TYPES_SPLIT
// as far as package fif tells them apart).
var dataTypes = []string{"mag", "grad", "eeg", "csd", "seeg", "ecog", "dbs", "fnirs"}

// defaultScalings are MNE's default 'scalings' (compute_covariance's
// working units: fT, fT/cm, µV, ...).
var defaultScalings = map[string]float64{
	"mag": 1e15, "grad": 1e13, "eeg": 1e6, "csd": 1e3, "seeg": 1e3,
	"ecog": 1e6, "dbs": 1e6, "fnirs": 1,
}

// typePicks are the channels of one type.
type typePicks struct {
	typ string // "meg" for magnetometers and gradiometers combined
	idx []int
}

// picksByType is MNE's _picks_by_type(info, meg_combined, ref_meg=False,
// exclude): data channels grouped by type in MNE's order; with combined,
// magnetometers and gradiometers form one "meg" group when both exist.
func picksByType(info *fif.Info, combined, excludeBads bool) []typePicks {
	by := map[string][]int{}
	for i, c := range info.Chs {
		if excludeBads && info.IsBad(c.Name) {
			continue
		}
		t := fif.ChannelType(c)
		by[t] = append(by[t], i)
	}
	var out []typePicks
	for _, t := range dataTypes {
		if len(by[t]) > 0 {
			out = append(out, typePicks{typ: t, idx: by[t]})
		}
	}
	if combined && len(by["mag"]) > 0 && len(by["grad"]) > 0 {
		meg := append(slices.Clone(by["mag"]), by["grad"]...)
		slices.Sort(meg)
		out = append([]typePicks{{typ: "meg", idx: meg}}, out[2:]...)
	}
	return out
}

// RankMode chooses how the rank of the data is found (MNE's rank
// argument).
type RankMode int

const (
	// RankEstimate estimates the rank of each channel group from the
	// singular values of the (scaled, projected) data, as MNE's default
	// rank=None.
	RankEstimate RankMode = iota
	// RankInfo takes it from the measurement info: the SSS dimension of
	// the first Maxwell-filtering record for MEG (else the channel count),
	// minus the projection dimensions (rank='info').
	RankInfo
	// RankFull uses the channel counts (rank='full').
	RankFull
)

// Rank is the rank argument: a mode, and explicit ranks by channel group
// ("meg", "mag", "grad", "eeg", ...) that override it (MNE's rank dict).
type Rank struct {
	Mode   RankMode
	Values map[string]int
}

// ParseRank reads "none" (estimate), "info", "full" or "meg=72,eeg=59".
func ParseRank(s string) (Rank, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "estimate":
		return Rank{Mode: RankEstimate}, nil
	case "info":
		return Rank{Mode: RankInfo}, nil
	case "full":
		return Rank{Mode: RankFull}, nil
	}
	r := Rank{Mode: RankEstimate, Values: map[string]int{}}
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); !ok || err != nil || n < 0 {
			return Rank{}, fmt.Errorf("rank %q: want none, info, full or type=N pairs such as meg=72", s)
		}
		r.Values[strings.TrimSpace(k)] = n
	}
	return r, nil
}

// SSSRank returns the number of SSS components kept by the first Maxwell
// filtering record of info's processing history (MNE's _get_rank_sss), and
// false when there is none.
func SSSRank(info *fif.Info) (int, bool) {
	if len(info.ProcHistory) == 0 {
		return 0, false
	}
	s := info.ProcHistory[0].MaxInfo.SSSInfo
	if s == nil || s.InOrder == nil {
		return 0, false
	}
	in := int(*s.InOrder)
	nfree := (in+1)*(in+1) - 1
	comps := s.Components
	if len(comps) > nfree {
		comps = comps[:nfree]
	}
	sum := 0
	for _, c := range comps {
		sum += int(c)
	}
	return nfree - (len(comps) - sum), true
}

// infoRank is MNE's _info_rank.
func infoRank(info *fif.Info, typ string, n int, mode RankMode) int {
	if (typ == "meg" || typ == "mag" || typ == "grad") && mode != RankFull {
		if r, ok := SSSRank(info); ok {
			return r
		}
	}
	return n
}

// rankJob holds what compute_rank needs for the covariance data.
type rankJob struct {
	info   *fif.Info
	set    *sampleSet // samples, rows = the channels of info
	gram   []float64  // unscaled Gram of all samples, n x n
	scales []float64  // per channel
	log    *slog.Logger
}

// computeRank is MNE's compute_rank(RawArray(data), rank, scalings, info)
// for the channel groups of _picks_by_type(meg_combined=True).
func (j *rankJob) computeRank(r Rank) (map[string]int, error) {
	out := map[string]int{}
	for _, tp := range picksByType(j.info, true, true) {
		if v, ok := r.Values[tp.typ]; ok {
			if v > len(tp.idx) {
				return nil, fmt.Errorf("rank[%q]=%d exceeds the number of channels (%d)", tp.typ, v, len(tp.idx))
			}
			out[tp.typ] = v
			continue
		}
		names := make([]string, len(tp.idx))
		for i, c := range tp.idx {
			names[i] = j.info.Chs[c].Name
		}
		proj, nproj, err := covProjector(j.info.Projs, names, nil)
		if err != nil {
			return nil, err
		}
		var rank int
		if r.Mode == RankInfo || r.Mode == RankFull {
			rank = infoRank(j.info, tp.typ, len(tp.idx), r.Mode)
			if r.Mode != RankFull {
				rank -= nproj
				j.log.Info(fmt.Sprintf("    %s: rank %d after %d projector%s applied to %d channel%s", strings.ToUpper(tp.typ), rank, nproj, plural(nproj), len(tp.idx), plural(len(tp.idx))))
			} else {
				j.log.Info(fmt.Sprintf("    %s: rank %d from info", strings.ToUpper(tp.typ), rank))
			}
		} else {
			rank, err = j.estimate(tp.idx, proj)
			if err != nil {
				return nil, err
			}
			j.log.Info(fmt.Sprintf("    %s: rank %d computed from %d data channel%s with %d projector%s", strings.ToUpper(tp.typ), rank, len(tp.idx), plural(len(tp.idx)), nproj, plural(nproj)))
			if ir := infoRank(j.info, tp.typ, len(tp.idx), RankInfo); rank > ir {
				j.log.Warn(fmt.Sprintf("Something went wrong in the data-driven estimation of the data rank as it exceeds the theoretical rank from the info (%d > %d). Consider setting rank to \"auto\" or setting it explicitly as an integer.", rank, ir))
			}
		}
		out[tp.typ] = rank
	}
	return out, nil
}

// estimate counts the singular values of the scaled, projected data of
// channels idx above MNE's tolerance len(s)·max(s)·eps. When the Gram
// matrix shows that every singular value is far above the tolerance, its
// eigenvalues settle the question; otherwise the singular values are
// computed from the data themselves (a QR of the samples, block by block),
// as the Gram matrix cannot resolve values near the tolerance.
func (j *rankJob) estimate(idx []int, proj []float64) (int, error) {
	nb := len(idx)
	n := len(j.info.Chs)
	g := mat.NewSymDense(nb, nil)
	for a, ia := range idx {
		for b, ib := range idx {
			g.SetSym(a, b, j.gram[ia*n+ib])
		}
	}
	if proj != nil {
		pm := mat.NewDense(nb, nb, proj)
		var t, u mat.Dense
		t.Mul(pm, g)
		u.Mul(&t, pm.T())
		for a := range nb {
			for b := a; b < nb; b++ {
				g.SetSym(a, b, 0.5*(u.At(a, b)+u.At(b, a)))
			}
		}
	}
	for a := range nb {
		for b := a; b < nb; b++ {
			g.SetSym(a, b, g.At(a, b)*j.scales[idx[a]]*j.scales[idx[b]])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(g, false) {
		return 0, fmt.Errorf("rank estimation: eigendecomposition did not converge")
	}
	lam := es.Values(nil)
	lmax := lam[len(lam)-1]
	eps := 0x1p-52
	ns := min(nb, j.set.n)
	if lmax > 0 && lam[0] > 20*float64(j.set.n)*float64(nb)*eps*lmax {
		smax := math.Sqrt(lmax)
		j.log.Info(fmt.Sprintf("    Using tolerance %.2g (%.2g eps * %d dim * %.2g  max singular value)", float64(ns)*smax*eps, eps, ns, smax))
		return nb, nil
	}
	s, err := j.singularValues(idx, proj)
	if err != nil {
		return 0, err
	}
	smax := s[0]
	tol := float64(len(s)) * smax * eps
	j.log.Info(fmt.Sprintf("    Using tolerance %.2g (%.2g eps * %d dim * %.2g  max singular value)", tol, eps, len(s), smax))
	rank := 0
	for _, v := range s {
		if v > tol {
			rank++
		}
	}
	return rank, nil
}

// singularValues returns the singular values (descending) of the scaled,
// projected data rows idx over all samples, via a running QR
// factorization of the transposed data (TSQR).
func (j *rankJob) singularValues(idx []int, proj []float64) ([]float64, error) {
	nb := len(idx)
	sub := &sampleSet{rows: idx, segs: j.set.segs, n: j.set.n}
	blks := sub.blocks([]int{0, sub.n})
	buf := make([]float64, nb*blockCols)
	var r *mat.Dense // nb x nb upper triangle so far
	for _, blk := range blks {
		nc := sub.gather(buf, blk)
		x := mat.NewDense(nb, nc, buf[:nb*nc])
		if proj != nil {
			var px mat.Dense
			px.Mul(mat.NewDense(nb, nb, proj), x)
			x = &px
		}
		rows := nc
		if r != nil {
			rows += nb
		}
		m := mat.NewDense(rows, nb, nil)
		off := 0
		if r != nil {
			m.Slice(0, nb, 0, nb).(*mat.Dense).Copy(r)
			off = nb
		}
		for a := range nb {
			sc := j.scales[idx[a]]
			for c := range nc {
				m.Set(off+c, a, x.At(a, c)*sc)
			}
		}
		if rows < nb {
			// Too few samples so far for a square R: keep them as they are.
			r = m
			continue
		}
		var qr mat.QR
		qr.Factorize(m)
		var rr mat.Dense
		qr.RTo(&rr)
		r = mat.DenseCopyOf(rr.Slice(0, nb, 0, nb))
	}
	if r == nil {
		return nil, fmt.Errorf("rank estimation: no samples")
	}
	var svd mat.SVD
	if !svd.Factorize(r, mat.SVDNone) {
		return nil, fmt.Errorf("rank estimation: SVD did not converge")
	}
	return svd.Values(nil), nil
}

// subspace is MNE's _smart_eigh(C, info, rank, proj_subspace=True): the
// rows of the returned matrix (k x n) span the kept subspace of each
// channel group; the channel indices they come from are MNE's "used"
// rows. It returns nil when the rank is full (MNE's identity shortcut).
func subspace(c *mat.SymDense, info *fif.Info, rank map[string]int) (*mat.Dense, []int, error) {
	n := len(info.Chs)
	proj, _, err := covProjector(info.Projs, info.ChNames(), nil)
	if err != nil {
		return nil, nil, err
	}
	cm := mat.DenseCopyOf(c)
	if proj != nil {
		pm := mat.NewDense(n, n, proj)
		var t mat.Dense
		t.Mul(pm, cm)
		cm.Mul(&t, pm.T())
	}
	total := 0
	for _, v := range rank {
		total += v
	}
	if total == n {
		return nil, nil, nil
	}
	eigvec := mat.NewDense(n, n, nil)
	mask := make([]bool, n)
	for _, tp := range picksByType(info, true, false) {
		r, ok := rank[tp.typ]
		if !ok && (tp.typ == "mag" || tp.typ == "grad") {
			r, ok = rank["meg"]
		}
		if !ok {
			return nil, nil, fmt.Errorf("no rank for the %s channels", tp.typ)
		}
		nb := len(tp.idx)
		sub := mat.NewSymDense(nb, nil)
		for a, ia := range tp.idx {
			for b := a; b < nb; b++ {
				sub.SetSym(a, b, cm.At(ia, tp.idx[b]))
			}
		}
		var es mat.EigenSym
		if !es.Factorize(sub, true) {
			return nil, nil, fmt.Errorf("covariance subspace: eigendecomposition did not converge")
		}
		var v mat.Dense
		es.VectorsTo(&v)
		drop := nb - r
		if r == 0 { // MNE's eig[:-0] selects nothing: every component is kept
			drop = 0
		}
		// P = I - V_rej V_rejᵀ, whose eigenvectors of eigenvalue 1 span
		// the kept subspace.
		p := mat.NewSymDense(nb, nil)
		for a := range nb {
			for b := a; b < nb; b++ {
				d := 0.0
				for k := range drop {
					d += v.At(a, k) * v.At(b, k)
				}
				if a == b {
					d = 1 - d
				} else {
					d = -d
				}
				p.SetSym(a, b, d)
			}
		}
		var ep mat.EigenSym
		if !ep.Factorize(p, true) {
			return nil, nil, fmt.Errorf("covariance subspace: eigendecomposition did not converge")
		}
		var w mat.Dense
		ep.VectorsTo(&w)
		for k := range nb {
			mask[tp.idx[k]] = k >= drop
			for a, ia := range tp.idx {
				eigvec.Set(tp.idx[k], ia, w.At(a, k))
			}
		}
	}
	var used []int
	for i, m := range mask {
		if m {
			used = append(used, i)
		}
	}
	e := mat.NewDense(len(used), n, nil)
	for r, i := range used {
		e.SetRow(r, eigvec.RawRowView(i))
	}
	return e, used, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
