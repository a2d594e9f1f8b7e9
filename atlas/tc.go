package atlas

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/geom"
)

// Mode is how a label's source time courses are combined into one, as in
// MNE's extract_label_time_course.
type Mode int

const (
	// Mean is the average over the label's sources.
	Mean Mode = iota
	// MeanFlip averages after flipping the sign of sources whose normal
	// points against the label's dominant orientation (label_sign_flip).
	MeanFlip
	// PCAFlip is the first right singular vector of the label's sources ×
	// times data, signed to agree with the flips and scaled by the RMS of
	// the singular values over the number of sources (MNE's _pca_flip).
	PCAFlip
	// Max is the maximum absolute value over the label's sources.
	Max
)

var modeNames = [...]string{"mean", "mean_flip", "pca_flip", "max"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "mean", "mean_flip", "pca_flip" or "max".
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("atlas: unknown mode %q (want mean, mean_flip, pca_flip or max)", s)
}

// Sources is a two-hemisphere surface source space as far as labels need
// it: the vertex numbers in use per hemisphere (ascending; the row order
// of source estimates, left then right) and the surface normal of each of
// those vertices (NN[h][i] belongs to Vertno[h][i]; the source space's
// 'nn' at its vertno, which MNE's label_sign_flip uses).
type Sources struct {
	Vertno [2][]int
	NN     [2][]geom.Vec3
}

// N returns the number of sources.
func (s *Sources) N() int { return len(s.Vertno[0]) + len(s.Vertno[1]) }

// Extractor extracts label time courses from source estimates on one
// source space; it precomputes each label's source rows and sign flips.
type Extractor struct {
	Labels []Label
	Mode   Mode
	// Rows[l] are the source rows (into the stacked lh+rh source order) of
	// label l, ascending; empty for a label without sources.
	Rows [][]int
	// Flip[l][i] is the sign (−1, 0 or +1) of source Rows[l][i]; nil for
	// the modes that do not use it.
	Flip [][]float64
	nSrc int
}

// NewExtractor prepares extraction for labels on src. Like MNE, a label
// with no source is an error unless allowEmpty (its time course is then
// zero).
func NewExtractor(labels []Label, src *Sources, mode Mode, allowEmpty bool) (*Extractor, error) {
	e := &Extractor{Labels: labels, Mode: mode, nSrc: src.N()}
	for h := range 2 {
		if len(src.NN[h]) != len(src.Vertno[h]) && (mode == MeanFlip || mode == PCAFlip) {
			return nil, fmt.Errorf("atlas: %s: %d normals for %d vertices", Hemis[h], len(src.NN[h]), len(src.Vertno[h]))
		}
		if !sort.IntsAreSorted(src.Vertno[h]) {
			return nil, fmt.Errorf("atlas: %s source vertices are not ascending", Hemis[h])
		}
	}
	var empty []string
	for _, l := range labels {
		h := HemiIndex(l.Hemi)
		if h < 0 {
			return nil, fmt.Errorf("atlas: label %s: hemisphere %q not supported", l.Name, l.Hemi)
		}
		in := map[int]bool{}
		for _, v := range l.Vertices {
			in[v] = true
		}
		off := 0
		if h == 1 {
			off = len(src.Vertno[0])
		}
		var rows []int
		var nn []geom.Vec3
		for i, v := range src.Vertno[h] {
			if in[v] {
				rows = append(rows, off+i)
				if mode == MeanFlip || mode == PCAFlip {
					nn = append(nn, src.NN[h][i])
				}
			}
		}
		if len(rows) == 0 {
			empty = append(empty, l.Name)
		}
		e.Rows = append(e.Rows, rows)
		if mode == MeanFlip || mode == PCAFlip {
			e.Flip = append(e.Flip, SignFlip(nn))
		}
	}
	if len(empty) > 0 && !allowEmpty {
		return nil, fmt.Errorf("atlas: source space does not contain any vertices for %d labels: %v", len(empty), empty)
	}
	return e, nil
}

// SignFlip returns MNE's label_sign_flip for sources with normals nn: the
// sign of each normal's projection on the first right singular vector of
// the normals, oriented so that the projections have a non-negative mean.
func SignFlip(nn []geom.Vec3) []float64 {
	if len(nn) == 0 {
		return nil
	}
	var g mat.SymDense
	g.ReuseAsSym(3)
	for _, n := range nn {
		for a := 0; a < 3; a++ {
			for b := a; b < 3; b++ {
				g.SetSym(a, b, g.At(a, b)+n[a]*n[b])
			}
		}
	}
	var es mat.EigenSym
	es.Factorize(&g, true)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	vals := es.Values(nil)
	top := 0
	for i := range vals {
		if vals[i] > vals[top] {
			top = i
		}
	}
	v := geom.Vec3{vecs.At(0, top), vecs.At(1, top), vecs.At(2, top)}
	dots := make([]float64, len(nn))
	var mean float64
	for i, n := range nn {
		dots[i] = n.Dot(v)
		mean += dots[i]
	}
	flip := make([]float64, len(nn))
	for i, d := range dots {
		if mean < 0 {
			d = -d
		}
		switch {
		case d > 0:
			flip[i] = 1
		case d < 0:
			flip[i] = -1
		}
	}
	return flip
}

// Extract returns the label time courses (n_labels × nTimes, row-major) of
// one source estimate data (n_sources × nTimes, row-major).
func (e *Extractor) Extract(data []float64, nTimes int) ([]float64, error) {
	if len(data) != e.nSrc*nTimes {
		return nil, fmt.Errorf("atlas: source estimate has %d values, want %d sources × %d times", len(data), e.nSrc, nTimes)
	}
	out := make([]float64, len(e.Labels)*nTimes)
	for l, rows := range e.Rows {
		if len(rows) == 0 {
			continue
		}
		o := out[l*nTimes : (l+1)*nTimes]
		switch e.Mode {
		case Mean, MeanFlip:
			for i, r := range rows {
				s := 1.0
				if e.Mode == MeanFlip {
					s = e.Flip[l][i]
				}
				for t, v := range data[r*nTimes : (r+1)*nTimes] {
					o[t] += s * v
				}
			}
			inv := 1 / float64(len(rows))
			for t := range o {
				o[t] *= inv
			}
		case Max:
			for t := range o {
				o[t] = math.Inf(-1)
			}
			for _, r := range rows {
				for t, v := range data[r*nTimes : (r+1)*nTimes] {
					o[t] = max(o[t], math.Abs(v))
				}
			}
		case PCAFlip:
			pcaFlip(o, data, rows, e.Flip[l], nTimes)
		default:
			return nil, fmt.Errorf("atlas: unknown mode %v", e.Mode)
		}
	}
	return out, nil
}

// pcaFlip is MNE's _pca_flip on the rows of data.
func pcaFlip(o, data []float64, rows []int, flip []float64, nTimes int) {
	x := mat.NewDense(len(rows), nTimes, nil)
	for i, r := range rows {
		x.SetRow(i, data[r*nTimes:(r+1)*nTimes])
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		for t := range o {
			o[t] = math.NaN()
		}
		return
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	var dot, ss float64
	for i := range rows {
		dot += u.At(i, 0) * flip[i]
	}
	for _, x := range s {
		ss += x * x
	}
	sign := 0.0
	switch {
	case dot > 0:
		sign = 1
	case dot < 0:
		sign = -1
	}
	scale := math.Sqrt(ss) / math.Sqrt(float64(len(rows)))
	for t := range o {
		o[t] = sign * scale * v.At(t, 0)
	}
}

// Weights returns the linear operator of the Mean and MeanFlip modes:
// tc[l] = Σ_i W[l][i] · source[Rows[l][i]]. It fails for the non-linear
// modes. Folded into an inverse kernel (K: n_sources × n_channels) it
// gives a labels × channels operator, W K, far cheaper than applying K to
// every vertex when only label time courses are needed (FoldKernel).
func (e *Extractor) Weights() ([][]float64, error) {
	if e.Mode != Mean && e.Mode != MeanFlip {
		return nil, fmt.Errorf("atlas: mode %v is not linear", e.Mode)
	}
	w := make([][]float64, len(e.Rows))
	for l, rows := range e.Rows {
		w[l] = make([]float64, len(rows))
		for i := range rows {
			w[l][i] = 1 / float64(len(rows))
			if e.Mode == MeanFlip {
				w[l][i] *= e.Flip[l][i]
			}
		}
	}
	return w, nil
}

// FoldKernel returns W K (n_labels × nChan, row-major) for an inverse
// kernel K (n_sources × nChan, row-major) and the linear modes.
func (e *Extractor) FoldKernel(k []float64, nChan int) ([]float64, error) {
	if len(k) != e.nSrc*nChan {
		return nil, fmt.Errorf("atlas: kernel has %d values, want %d sources × %d channels", len(k), e.nSrc, nChan)
	}
	w, err := e.Weights()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(e.Rows)*nChan)
	for l, rows := range e.Rows {
		o := out[l*nChan : (l+1)*nChan]
		for i, r := range rows {
			for c, v := range k[r*nChan : (r+1)*nChan] {
				o[c] += w[l][i] * v
			}
		}
	}
	return out, nil
}
