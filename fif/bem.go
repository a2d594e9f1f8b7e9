package fif

import (
	"fmt"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// BEM surface ids (FIFFV_BEM_SURF_ID_*) and approximation methods.
const (
	BEMSurfBrain int32 = 1 // inner skull (MNE calls the innermost surface "brain")
	BEMSurfCSF   int32 = 2
	BEMSurfSkull int32 = 3 // outer skull
	BEMSurfHead  int32 = 4 // scalp

	BEMApproxConst  int32 = 1
	BEMApproxLinear int32 = 2
)

// BEMSurface is one surface of a boundary-element model: vertex positions
// (m) and normals in CoordFrame (MRI), triangles (zero based) and the
// conductivity (S/m) of the compartment inside it.
type BEMSurface struct {
	ID         int32
	Sigma      float64
	CoordFrame int32
	Rr         [][3]float64
	NN         [][3]float64
	Tris       [][3]int32
}

// BEM is a boundary-element model: its surfaces, outermost first (scalp,
// outer skull, inner skull; or the inner skull alone), and, for a
// solution, the linear-collocation potential solution matrix (row-major,
// N x N with N the total number of vertices).
type BEM struct {
	Surfs    []*BEMSurface
	Approx   int32     // BEMApproxLinear for a solution; 0 for surfaces only
	Solution []float64 // nil for surfaces only
}

// NSol returns the number of rows (and columns) of the solution matrix.
func (b *BEM) NSol() int {
	n := 0
	for _, s := range b.Surfs {
		n += len(s.Rr)
	}
	return n
}

func writeBEMSurfaces(w *tree.Writer, surfs []*BEMSurface) {
	for _, s := range surfs {
		w.StartBlock(tag.BlockBEMSurf)
		w.Float32s(tag.BEMSigma, float32(s.Sigma))
		w.Int32s(tag.BEMSurfID, s.ID)
		w.Int32s(tag.MNECoordFrame, s.CoordFrame)
		w.Int32s(tag.BEMSurfNNode, int32(len(s.Rr)))
		w.Int32s(tag.BEMSurfNTri, int32(len(s.Tris)))
		w.Matrix(tag.BEMSurfNodes, tag.Float, []int{len(s.Rr), 3}, flatVec(s.Rr))
		writeIntMatrix(w, tag.BEMSurfTriangles, len(s.Tris), 3, flatTris(s.Tris))
		if len(s.NN) > 0 {
			w.Matrix(tag.BEMSurfNormals, tag.Float, []int{len(s.NN), 3}, flatVec(s.NN))
		}
		w.EndBlock(tag.BlockBEMSurf)
	}
}

// WriteBEM writes a -bem.fif (surfaces only) or -bem-sol.fif (with the
// solution, in single precision) file as mne.write_bem_surfaces /
// write_bem_solution do. The file appears only once completely written.
func WriteBEM(path string, b *BEM) error {
	if len(b.Surfs) == 0 {
		return fmt.Errorf("fif: %s: BEM without surfaces", path)
	}
	n := b.NSol()
	if b.Solution != nil && len(b.Solution) != n*n {
		return fmt.Errorf("fif: %s: BEM solution has %d elements, expected %d x %d", path, len(b.Solution), n, n)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	w.StartBlock(tag.BlockBEM)
	if b.Solution != nil {
		w.Int32s(tag.BEMCoordFrame, b.Surfs[0].CoordFrame)
	}
	writeBEMSurfaces(w, b.Surfs)
	if b.Solution != nil {
		w.Int32s(tag.BEMApprox, BEMApproxLinear)
		w.Matrix(tag.BEMPotSolution, tag.Float, []int{n, n}, b.Solution)
	}
	w.EndBlock(tag.BlockBEM)
	return w.Close()
}

// ReadBEM reads the surfaces and, when present, the linear-collocation
// solution of a -bem.fif / -bem-sol.fif file. Surfaces come in file order.
func ReadBEM(path string) (*BEM, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	blocks := f.Root.Blocks(tag.BlockBEM)
	if len(blocks) == 0 {
		return nil, fmt.Errorf("fif: %s: no BEM block (FIFFB_BEM) in the file", path)
	}
	bb := blocks[0]
	defFrame, err := findInt(f, bb, tag.BEMCoordFrame, int64(FrameMRI))
	if err != nil {
		return nil, err
	}
	b := &BEM{}
	for _, sb := range bb.Blocks(tag.BlockBEMSurf) {
		s := &BEMSurface{}
		id, err := findInt(f, sb, tag.BEMSurfID, -1)
		if err != nil {
			return nil, err
		}
		s.ID = int32(id)
		s.Sigma = 1
		if e, ok := sb.Find(tag.BEMSigma); ok {
			if s.Sigma, err = f.Float(e); err != nil {
				return nil, err
			}
		}
		cf, err := findInt(f, sb, tag.MNECoordFrame, defFrame)
		if err != nil {
			return nil, err
		}
		s.CoordFrame = int32(cf)
		np, err := findInt(f, sb, tag.BEMSurfNNode, -1)
		if err != nil {
			return nil, err
		}
		if np <= 0 {
			return nil, fmt.Errorf("fif: %s: BEM surface %d without a vertex count", path, s.ID)
		}
		if s.Rr, err = readVec3Matrix(f, sb, tag.BEMSurfNodes, int(np), "BEM vertex positions"); err != nil {
			return nil, err
		}
		if _, ok := sb.Find(tag.BEMSurfNormals); ok {
			if s.NN, err = readVec3Matrix(f, sb, tag.BEMSurfNormals, int(np), "BEM vertex normals"); err != nil {
				return nil, err
			}
		}
		if s.Tris, err = readTriMatrix(f, sb, tag.BEMSurfTriangles, int(np)); err != nil {
			return nil, err
		}
		if len(s.Tris) == 0 {
			return nil, fmt.Errorf("fif: %s: BEM surface %d without triangles", path, s.ID)
		}
		b.Surfs = append(b.Surfs, s)
	}
	if len(b.Surfs) == 0 {
		return nil, fmt.Errorf("fif: %s: BEM block without surfaces", path)
	}
	if e, ok := bb.Find(tag.BEMPotSolution); ok {
		approx, err := findInt(f, bb, tag.BEMApprox, -1)
		if err != nil {
			return nil, err
		}
		if int32(approx) != BEMApproxLinear {
			return nil, fmt.Errorf("fif: %s: BEM approximation %d is not supported (only linear collocation)", path, approx)
		}
		m, err := f.Matrix(e)
		if err != nil {
			return nil, err
		}
		n := b.NSol()
		if m.Rows() != n || m.Cols() != n {
			return nil, f.Errorf(e, "BEM solution is %dx%d, expected %dx%d", m.Rows(), m.Cols(), n, n)
		}
		b.Approx, b.Solution = BEMApproxLinear, m.Data
	}
	return b, nil
}
