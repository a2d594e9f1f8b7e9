package fif

import (
	"fmt"
	"log/slog"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// This file builds SSP projection operators from measurement info, as
// MNE's make_projector (mne/_fiff/proj.py) does. It lives in package fif,
// like MNE's, because every later stage (preprocessing, covariance rank,
// the inverse whitener) needs the same operator.

// projRankTol is MNE's threshold for dropping linearly dependent projection
// vectors: singular values below 1e-2 of the largest are discarded.
const projRankTol = 1e-2

// projKindEEGAvgRef is FIFFV_PROJ_ITEM_EEG_AVREF: an average reference
// projector, which may lose channels without a warning.
const projKindEEGAvgRef = 10

// SSP is an SSP projection operator over the channels of a recording,
// P = I - U·Uᵀ, stored as U restricted to the channels it touches (the
// other rows and columns of P are the identity).
type SSP struct {
	// NProj is the dimension of the projected-out subspace (MNE's nproj);
	// 0 means the operator is the identity.
	NProj int
	nchan int
	sel   []int     // channels with a non-zero row in U, ascending
	u     []float64 // len(sel) × NProj, row-major
	// contiguous is true when sel is one run of channels, so that a block
	// can be projected in place without gathering its rows.
	contiguous bool
}

// SSPOptions control MakeSSP.
type SSPOptions struct {
	// ExcludeActive leaves out the projectors already marked active (MNE's
	// make_projector(include_active=False)). By default all are used, as
	// MNE's default and raw.apply_proj do.
	ExcludeActive bool
	// Log receives MNE's warning about vectors shrunk by dropping bad or
	// missing channels; nil discards it.
	Log *slog.Logger
}

// MakeSSP builds the projection operator of projs for the channels chNames
// as mne.make_projector does: each vector is restricted to the channels
// that are present and not in bads, normalized to unit length (vectors
// left all zero are skipped), and the vectors are orthogonalized by an SVD
// that keeps the singular values above 1e-2 of the largest.
func MakeSSP(projs []Projector, chNames, bads []string, opt SSPOptions) (*SSP, error) {
	nchan := len(chNames)
	if nchan == 0 {
		return nil, fmt.Errorf("SSP: no channel names specified")
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	index := make(map[string]int, nchan)
	for i, n := range chNames {
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	isBad := make(map[string]bool, len(bads))
	for _, b := range bads {
		isBad[b] = true
	}
	var vecs [][]float64
	for k, p := range projs {
		if p.Active && opt.ExcludeActive {
			continue
		}
		ncol := len(p.ColNames)
		if len(p.Data) != p.NVec*ncol {
			return nil, fmt.Errorf("SSP: projection item %d (%s) has %d values for %d vectors × %d channels", k, p.Desc, len(p.Data), p.NVec, ncol)
		}
		col := make(map[string]int, ncol)
		for j, n := range p.ColNames {
			if _, dup := col[n]; dup {
				return nil, fmt.Errorf("SSP: channel name list in projection item %d (%s) contains duplicate items (%s)", k, p.Desc, n)
			}
			col[n] = j
		}
		// Pairs (channel, column) of the good channels the item covers,
		// in channel order.
		var chs, cols []int
		for c, n := range chNames {
			if j, ok := col[n]; ok && !isBad[n] && index[n] == c {
				chs = append(chs, c)
				cols = append(cols, j)
			}
		}
		for r := range p.NVec {
			v := make([]float64, nchan)
			row := p.Data[r*ncol : (r+1)*ncol]
			for i, c := range chs {
				v[c] = row[cols[i]]
			}
			size := floats.Norm(v, 2)
			if size > 0 {
				if size < 0.9 && (p.Kind != projKindEEGAvgRef || len(chs) == 1) {
					orig := 0
					for j := range ncol {
						for q := range p.NVec {
							if p.Data[q*ncol+j] != 0 {
								orig++
								break
							}
						}
					}
					log.Warn(fmt.Sprintf("Projection vector %q has been reduced to %.2f%% of its original magnitude by subselecting %d/%d of the original channels. "+
						"If the ignored channels were bad during SSP computation, recompute the projectors with the bad channels properly marked.",
						p.Desc, 100*size, len(chs), orig))
				}
				floats.Scale(1/size, v)
			}
			// Zero vectors are kept (they do not change the SVD) only to
			// mirror MNE; whether any vector is non-zero decides below.
			vecs = append(vecs, v)
		}
	}
	s := &SSP{nchan: nchan}
	// Channels touched by any vector.
	used := make([]bool, nchan)
	nonzero := false
	for _, v := range vecs {
		for c, x := range v {
			if x != 0 {
				used[c] = true
				nonzero = true
			}
		}
	}
	if !nonzero {
		return s, nil
	}
	for c, u := range used {
		if u {
			s.sel = append(s.sel, c)
		}
	}
	nsel, nvec := len(s.sel), len(vecs)
	a := mat.NewDense(nsel, nvec, nil)
	for j, v := range vecs {
		for i, c := range s.sel {
			a.Set(i, j, v[c])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThinU) {
		return nil, fmt.Errorf("SSP: the SVD of the %d projection vectors did not converge", nvec)
	}
	sv := svd.Values(nil)
	for _, x := range sv {
		if x/sv[0] > projRankTol {
			s.NProj++
		}
	}
	if s.NProj >= nchan {
		return nil, fmt.Errorf("SSP: application of %d projectors for %d channels will yield no components", s.NProj, nchan)
	}
	var u mat.Dense
	svd.UTo(&u)
	s.u = make([]float64, nsel*s.NProj)
	for i := range nsel {
		for k := range s.NProj {
			s.u[i*s.NProj+k] = u.At(i, k)
		}
	}
	s.contiguous = s.sel[nsel-1]-s.sel[0] == nsel-1
	return s, nil
}

// MakeSSPInfo is MakeSSP for the projectors, channels and bads of info
// (mne.io.proj.make_projector_info).
func MakeSSPInfo(info *Info, opt SSPOptions) (*SSP, error) {
	return MakeSSP(info.Projs, info.ChNames(), info.Bads, opt)
}

// Matrix returns the operator as a dense nchan × nchan row-major matrix
// (MNE's proj), I - U·Uᵀ.
func (s *SSP) Matrix() []float64 {
	n := s.nchan
	m := make([]float64, n*n)
	for i := range n {
		m[i*n+i] = 1
	}
	k := s.NProj
	for a, ca := range s.sel {
		for b, cb := range s.sel {
			var d float64
			for q := range k {
				d += s.u[a*k+q] * s.u[b*k+q]
			}
			m[ca*n+cb] -= d
		}
	}
	return m
}

// Channels returns the indices of the channels the operator changes or
// reads (all others pass through unchanged).
func (s *SSP) Channels() []int { return slices.Clone(s.sel) }

// Apply projects a channel-major block of all nchan channels × ns samples
// in place: x ← x - U·(Uᵀ·x) on the channels the projectors touch.
// scratch may be nil; pass the same slice between calls to reuse memory.
// It returns the scratch to reuse.
func (s *SSP) Apply(block []float64, ns int, scratch []float64) ([]float64, error) {
	if len(block) != s.nchan*ns {
		return scratch, fmt.Errorf("SSP: block has %d values, need %d channels × %d samples", len(block), s.nchan, ns)
	}
	if s.NProj == 0 || ns == 0 {
		return scratch, nil
	}
	k, nsel := s.NProj, len(s.sel)
	need := k * ns
	if !s.contiguous {
		need += nsel * ns
	}
	if cap(scratch) < need {
		scratch = make([]float64, need)
	}
	t := scratch[:k*ns]
	var x []float64
	if s.contiguous {
		x = block[s.sel[0]*ns : (s.sel[0]+nsel)*ns]
	} else {
		x = scratch[k*ns : k*ns+nsel*ns]
		for i, c := range s.sel {
			copy(x[i*ns:(i+1)*ns], block[c*ns:(c+1)*ns])
		}
	}
	um := blas64.General{Rows: nsel, Cols: k, Stride: k, Data: s.u}
	xm := blas64.General{Rows: nsel, Cols: ns, Stride: ns, Data: x}
	tm := blas64.General{Rows: k, Cols: ns, Stride: ns, Data: t}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, um, xm, 0, tm)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, -1, um, tm, 1, xm)
	if !s.contiguous {
		for i, c := range s.sel {
			copy(block[c*ns:(c+1)*ns], x[i*ns:(i+1)*ns])
		}
	}
	return scratch, nil
}
