package fif

import (
	"fmt"
	"math"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Covariance kinds (FIFFV_MNE_*_COV).
const (
	CovKindNoise  int32 = 1 // noise covariance
	CovKindSource int32 = 2 // source covariance (inverse operators)
	CovKindFMRI   int32 = 3 // fMRI prior covariance
	CovKindSignal int32 = 4 // signal covariance
	CovKindDepth  int32 = 5 // depth weighting prior (inverse operators)
	CovKindOrient int32 = 6 // orientation prior (inverse operators)
)

// Cov is a covariance matrix (MNE's Covariance) with its channel names,
// bad channels and projectors.
type Cov struct {
	Kind  int32    // CovKindNoise for a noise covariance
	Names []string // one per row (may be empty in files that omit names)
	// Data is the full Dim x Dim matrix, row-major, also when the file
	// stores only the lower triangle or the diagonal (see ReadCovNode for
	// the one exception).
	Data []float64
	// Diag is true when the covariance is diagonal (stored as its
	// diagonal, FIFF_MNE_COV_DIAG); Data is then zero off the diagonal and
	// DiagValues holds the diagonal.
	Diag       bool
	DiagValues []float64
	NFree      int // degrees of freedom; -1 when absent
	Bads       []string
	Projs      []Projector
	Method     string // estimator ("empirical", "shrunk", ...); "" when absent
	// Loglik is the log-likelihood score of the estimator (FIFF_MNE_COV_SCORE),
	// meaningful when HasLoglik is true.
	Loglik    float64
	HasLoglik bool
	// Eig and EigVec are a precomputed eigendecomposition (both or
	// neither): EigVec is EigVecDims[0] x EigVecDims[1], row-major, as
	// stored.
	Eig        []float64
	EigVec     []float64
	EigVecDims [2]int
}

// Dim returns the number of rows (and columns) of the covariance.
func (c *Cov) Dim() int {
	if c.Data == nil && c.Diag {
		return len(c.DiagValues)
	}
	n := int(math.Sqrt(float64(len(c.Data))))
	for n*n > len(c.Data) {
		n--
	}
	for (n+1)*(n+1) <= len(c.Data) {
		n++
	}
	return n
}

// ReadCov reads the noise covariance of a -cov.fif file, as mne.read_cov
// does: the first FIFFB_MNE_COV block of kind FIFFV_MNE_NOISE_COV.
func ReadCov(path string) (*Cov, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, ok, err := ReadCovNode(f, f.Root, CovKindNoise, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		if len(f.Root.Blocks(tag.BlockMNECov)) == 0 {
			return nil, fmt.Errorf("fif: %s: no covariance block (FIFFB_MNE_COV) in the file", path)
		}
		return nil, fmt.Errorf("fif: %s: no noise covariance (FIFFB_MNE_COV of kind %d) in the file", path, CovKindNoise)
	}
	return c, nil
}

// maxDenseDiagCov bounds the dimension of a diagonal covariance expanded
// to a full matrix (512 MB); larger ones are source-space priors, read
// with dense = false.
const maxDenseDiagCov = 8192

// ReadCovNode reads the first covariance of the given kind found in node or
// below it (MNE's _read_cov, used for noise covariances and the priors
// stored in inverse operators). ok is false, with a nil error, when there
// is none. With dense false, a diagonal covariance is returned with
// DiagValues only and Data nil (the source covariance and depth and
// orientation priors of an inverse operator have tens of thousands of
// rows); with dense true Data is always the full matrix.
func ReadCovNode(f *tree.File, node *tree.Node, kind int32, dense bool) (c *Cov, ok bool, err error) {
	for _, b := range node.Blocks(tag.BlockMNECov) {
		e, has := b.Find(tag.MNECovKind)
		if !has {
			continue
		}
		k, err := (&infoReader{f: f}).int32v(e)
		if err != nil {
			return nil, false, err
		}
		if k != kind {
			continue
		}
		c, err := readCovBlock(f, b, kind, dense)
		if err != nil {
			return nil, false, err
		}
		return c, true, nil
	}
	return nil, false, nil
}

func readCovBlock(f *tree.File, b *tree.Node, kind int32, dense bool) (*Cov, error) {
	c := &Cov{Kind: kind, NFree: -1}
	e, has := b.Find(tag.MNECovDim)
	if !has {
		return nil, fmt.Errorf("fif: %s: covariance block at offset %d has no dimension (FIFF_MNE_COV_DIM)", f.Path, b.Start)
	}
	r := &infoReader{f: f} // scalar tags are read as MNE's int() reads them
	d, err := r.int32v(e)
	if err != nil {
		return nil, err
	}
	if d < 0 || d > 1<<20 {
		return nil, f.Errorf(e, "implausible covariance dimension %d", d)
	}
	dim := int(d)
	if e, has := b.Find(tag.MNECovNFree); has {
		v, err := r.int32v(e)
		if err != nil {
			return nil, err
		}
		c.NFree = int(v)
	}
	if e, has := b.Find(tag.MNECovMethod); has {
		if c.Method, err = f.String(e); err != nil {
			return nil, err
		}
	}
	if e, has := b.Find(tag.MNECovScore); has {
		if c.Loglik, err = f.Float(e); err != nil {
			return nil, err
		}
		c.HasLoglik = true
	}
	if e, has := b.Find(tag.MNERowNames); has {
		s, err := f.String(e)
		if err != nil {
			return nil, err
		}
		c.Names = readNameList(s)
		if len(c.Names) != dim {
			return nil, f.Errorf(e, "%d channel names for a covariance of dimension %d", len(c.Names), dim)
		}
	}
	if e, has := b.Find(tag.MNECov); has {
		switch {
		case e.Type.Coding() == tag.MatrixCCS || e.Type.Coding() == tag.MatrixRCS:
			s, err := f.Sparse(e)
			if err != nil {
				return nil, err
			}
			if s.NRow != dim || s.NCol != dim {
				return nil, f.Errorf(e, "sparse covariance of %d x %d for dimension %d", s.NRow, s.NCol, dim)
			}
			c.Data = s.Dense()
		case e.Type.IsMatrix():
			return nil, f.Errorf(e, "expected the packed lower triangle of the covariance, found a %s", e.Type)
		default:
			vals, err := f.Floats(e)
			if err != nil {
				return nil, err
			}
			if len(vals) != dim*(dim+1)/2 {
				return nil, f.Errorf(e, "%d values for the lower triangle of a %d x %d covariance (expected %d)", len(vals), dim, dim, dim*(dim+1)/2)
			}
			c.Data = unpackLowerTriangle(vals, dim)
		}
	} else if e, has := b.Find(tag.MNECovDiag); has {
		vals, err := f.Floats(e)
		if err != nil {
			return nil, err
		}
		if len(vals) != dim {
			return nil, f.Errorf(e, "%d diagonal values for a covariance of dimension %d", len(vals), dim)
		}
		c.Diag = true
		c.DiagValues = vals
		if dense {
			if dim > maxDenseDiagCov {
				return nil, f.Errorf(e, "diagonal covariance of dimension %d is too large to expand to a full matrix", dim)
			}
			c.Data = make([]float64, dim*dim)
			for i, v := range vals {
				c.Data[i*dim+i] = v
			}
		}
	} else {
		return nil, fmt.Errorf("fif: %s: covariance block at offset %d has no matrix (FIFF_MNE_COV or FIFF_MNE_COV_DIAG)", f.Path, b.Start)
	}
	e1, has1 := b.Find(tag.MNECovEigenvalues)
	e2, has2 := b.Find(tag.MNECovEigenvectors)
	if has1 && has2 {
		if c.Eig, err = f.Floats(e1); err != nil {
			return nil, err
		}
		m, err := f.Matrix(e2)
		if err != nil {
			return nil, err
		}
		if len(m.Dims) != 2 || m.Elem == tag.ComplexFloat || m.Elem == tag.ComplexDouble {
			return nil, f.Errorf(e2, "eigenvectors must be a real 2-D matrix, found %s of dimensions %v", m.Elem, m.Dims)
		}
		c.EigVec, c.EigVecDims = m.Data, [2]int{m.Dims[0], m.Dims[1]}
	}
	if c.Projs, err = covReadProjs(f, b); err != nil {
		return nil, err
	}
	if c.Bads, err = covReadBads(f, b); err != nil {
		return nil, err
	}
	return c, nil
}

// unpackLowerTriangle expands the row-major packed lower triangle (row i
// holds columns 0..i) into a full symmetric matrix. The diagonal goes
// through (v + v) / 2, the operations MNE performs, so that values agree
// to the bit even at the extremes of the float64 range.
func unpackLowerTriangle(vals []float64, dim int) []float64 {
	out := make([]float64, dim*dim)
	k := 0
	for i := range dim {
		for j := 0; j < i; j++ {
			out[i*dim+j] = vals[k]
			out[j*dim+i] = vals[k]
			k++
		}
		v := vals[k]
		out[i*dim+i] = (v + v) / 2
		k++
	}
	return out
}

// covReadProjs and covReadBads read the projectors (first FIFFB_PROJ
// block) and bad channels (FIFFB_MNE_BAD_CHANNELS) found in or below a
// covariance block, with the measurement-info readers of info_read.go (the
// same MNE functions, _read_proj and _read_bad_channels, serve both).
func covReadProjs(f *tree.File, node *tree.Node) ([]Projector, error) {
	return (&infoReader{f: f}).projs(node, nil)
}

func covReadBads(f *tree.File, node *tree.Node) ([]string, error) {
	return (&infoReader{f: f}).bads(node, nil)
}

// covEncodeProjs prepares the FIFFB_PROJ block of a covariance with the
// projector encoder of info_write.go (MNE's _write_proj serves both), so
// that an invalid projector is reported before anything is written.
func covEncodeProjs(projs []Projector) ([]tagOp, error) {
	e := &infoEncoder{}
	e.start(tag.BlockProj)
	for i := range projs {
		e.proj(&projs[i], projs[i].ColNames)
	}
	e.end(tag.BlockProj)
	return e.ops, e.err
}

// covReplay writes encoded tags and blocks.
func covReplay(w *tree.Writer, ops []tagOp) {
	for _, op := range ops {
		switch op.kind {
		case tag.BlockStart:
			w.StartBlock(op.block)
		case tag.BlockEnd:
			w.EndBlock(op.block)
		default:
			w.WriteTag(op.kind, op.typ, op.payload)
		}
	}
}

// check validates c before it is written.
func (c *Cov) check() error {
	dim := c.Dim()
	if c.Data != nil && dim*dim != len(c.Data) {
		return fmt.Errorf("covariance data has %d values, not a square matrix", len(c.Data))
	}
	if c.Data == nil && !c.Diag {
		return fmt.Errorf("covariance has no data")
	}
	if c.Diag && c.DiagValues != nil && len(c.DiagValues) != dim {
		return fmt.Errorf("%d diagonal values for a covariance of dimension %d", len(c.DiagValues), dim)
	}
	if len(c.Names) > 0 && len(c.Names) != dim {
		return fmt.Errorf("%d channel names for a covariance of dimension %d", len(c.Names), dim)
	}
	if (c.Eig == nil) != (c.EigVec == nil) {
		return fmt.Errorf("eigenvalues and eigenvectors must be given together")
	}
	if c.EigVec != nil && c.EigVecDims[0]*c.EigVecDims[1] != len(c.EigVec) {
		return fmt.Errorf("eigenvectors of %d x %d have %d values", c.EigVecDims[0], c.EigVecDims[1], len(c.EigVec))
	}
	if c.NFree > math.MaxInt32 {
		return fmt.Errorf("nfree %d does not fit in a FIF integer", c.NFree)
	}
	return nil
}

// WriteCovBlock writes c as an FIFFB_MNE_COV block, in the order and form
// MNE's _write_cov uses: kind, dimension, nfree (when positive), names, the
// packed lower triangle (FIFF_MNE_COV, double) or the diagonal
// (FIFF_MNE_COV_DIAG), the eigendecomposition when present, projectors,
// bad channels, method and log-likelihood (when present). A Kind of 0 is
// written as a noise covariance. A diagonal covariance is written from
// DiagValues when set, else from the diagonal of Data.
func WriteCovBlock(w *tree.Writer, c *Cov) error {
	if err := c.check(); err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	names, err := joinNameList(c.Names, "covariance channel names")
	if err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	bads, err := joinNameList(c.Bads, "covariance bad channels")
	if err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	var projOps []tagOp
	if len(c.Projs) > 0 {
		if projOps, err = covEncodeProjs(c.Projs); err != nil {
			return fmt.Errorf("fif: %s: covariance: %w", w.Path(), err)
		}
	}
	dim := c.Dim()
	kind := c.Kind
	if kind == 0 {
		kind = CovKindNoise
	}
	w.StartBlock(tag.BlockMNECov)
	w.Int32s(tag.MNECovKind, kind)
	w.Int32s(tag.MNECovDim, int32(dim))
	if c.NFree > 0 {
		w.Int32s(tag.MNECovNFree, int32(c.NFree))
	}
	if len(c.Names) > 0 {
		w.String(tag.MNERowNames, names)
	}
	if c.Diag {
		diag := c.DiagValues
		if diag == nil {
			diag = make([]float64, dim)
			for i := range diag {
				diag[i] = c.Data[i*dim+i]
			}
		}
		w.Float64s(tag.MNECovDiag, diag...)
	} else {
		packed := make([]float64, 0, dim*(dim+1)/2)
		for i := range dim {
			packed = append(packed, c.Data[i*dim:i*dim+i+1]...)
		}
		w.Float64s(tag.MNECov, packed...)
	}
	if c.Eig != nil && c.EigVec != nil {
		w.Matrix(tag.MNECovEigenvectors, tag.Float, c.EigVecDims[:], c.EigVec)
		w.Float64s(tag.MNECovEigenvalues, c.Eig...)
	}
	covReplay(w, projOps)
	if len(c.Bads) > 0 {
		w.StartBlock(tag.BlockMNEBadChannels)
		w.String(tag.MNEChNameList, bads)
		w.EndBlock(tag.BlockMNEBadChannels)
	}
	if c.Method != "" {
		w.String(tag.MNECovMethod, c.Method)
	}
	if c.HasLoglik {
		w.Float64s(tag.MNECovScore, c.Loglik)
	}
	w.EndBlock(tag.BlockMNECov)
	return w.Err()
}

// WriteCov writes a -cov.fif file holding c, as mne.write_cov does (the
// covariance block at the top level of the file). The file appears only
// once completely written.
func WriteCov(path string, c *Cov) error {
	if c == nil {
		return fmt.Errorf("fif: %s: no covariance to write", path)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	if err := WriteCovBlock(w, c); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}
