package fif

import (
	"fmt"
	"strings"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// NamedMatrix is a dense matrix with optional row and column names, as
// stored in an FIFFB_MNE_NAMED_MATRIX block (forward solutions, inverse
// operators, CTF compensation, ...).
type NamedMatrix struct {
	NRow, NCol int
	RowNames   []string // empty, or NRow names
	ColNames   []string // empty, or NCol names
	Data       []float64
}

// At returns element (i, j).
func (m *NamedMatrix) At(i, j int) float64 { return m.Data[i*m.NCol+j] }

// Transpose returns a new matrix with rows and columns (and their names)
// exchanged.
func (m *NamedMatrix) Transpose() *NamedMatrix {
	t := &NamedMatrix{
		NRow: m.NCol, NCol: m.NRow,
		RowNames: append([]string(nil), m.ColNames...),
		ColNames: append([]string(nil), m.RowNames...),
		Data:     make([]float64, len(m.Data)),
	}
	for i := 0; i < m.NRow; i++ {
		for j := 0; j < m.NCol; j++ {
			t.Data[j*m.NRow+i] = m.Data[i*m.NCol+j]
		}
	}
	return t
}

// nameListSplit splits a colon-separated FIF name list the way MNE does
// (an empty string gives one empty name).
func nameListSplit(s string) []string { return strings.Split(s, ":") }

// ReadNamedMatrix reads the named matrix whose data tag has kind matKind.
// When node is itself a named-matrix block it is used directly; otherwise
// the first direct child named-matrix block holding a matKind tag is used,
// as MNE does. ok is false (with a nil error) when no such matrix exists.
func ReadNamedMatrix(f *tree.File, node *tree.Node, matKind int32) (m *NamedMatrix, ok bool, err error) {
	if node == nil {
		return nil, false, nil
	}
	if node.Block != tag.BlockMNENamedMatrix {
		var found *tree.Node
		for _, c := range node.Children {
			if c.Block != tag.BlockMNENamedMatrix {
				continue
			}
			if _, has := c.Find(matKind); has {
				found = c
				break
			}
		}
		if found == nil {
			return nil, false, nil
		}
		node = found
	}
	e, has := node.Find(matKind)
	if !has {
		return nil, false, nil
	}
	mat, err := f.Matrix(e)
	if err != nil {
		return nil, false, err
	}
	if len(mat.Dims) != 2 {
		return nil, false, f.Errorf(e, "named matrix data must be 2-D, found dimensions %v", mat.Dims)
	}
	if mat.Elem == tag.ComplexFloat || mat.Elem == tag.ComplexDouble {
		return nil, false, f.Errorf(e, "complex named matrices are not supported")
	}
	m = &NamedMatrix{NRow: mat.Dims[0], NCol: mat.Dims[1], Data: mat.Data}
	if te, has := node.Find(tag.MNENRow); has {
		v, err := f.Int(te)
		if err != nil {
			return nil, false, err
		}
		if int(v) != m.NRow {
			return nil, false, f.Errorf(te, "named matrix has %d rows but FIFF_MNE_NROW says %d", m.NRow, v)
		}
	}
	if te, has := node.Find(tag.MNENCol); has {
		v, err := f.Int(te)
		if err != nil {
			return nil, false, err
		}
		if int(v) != m.NCol {
			return nil, false, f.Errorf(te, "named matrix has %d columns but FIFF_MNE_NCOL says %d", m.NCol, v)
		}
	}
	if te, has := node.Find(tag.MNERowNames); has {
		s, err := f.String(te)
		if err != nil {
			return nil, false, err
		}
		m.RowNames = nameListSplit(s)
	}
	if te, has := node.Find(tag.MNEColNames); has {
		s, err := f.String(te)
		if err != nil {
			return nil, false, err
		}
		m.ColNames = nameListSplit(s)
	}
	return m, true, nil
}

// check validates the sizes of m before it is written.
func (m *NamedMatrix) check() error {
	if m.NRow < 0 || m.NCol < 0 {
		return fmt.Errorf("named matrix has negative size %d x %d", m.NRow, m.NCol)
	}
	if len(m.Data) != m.NRow*m.NCol {
		return fmt.Errorf("named matrix of %d x %d has %d values", m.NRow, m.NCol, len(m.Data))
	}
	if len(m.RowNames) > 0 && len(m.RowNames) != m.NRow {
		return fmt.Errorf("named matrix has %d rows but %d row names", m.NRow, len(m.RowNames))
	}
	if len(m.ColNames) > 0 && len(m.ColNames) != m.NCol {
		return fmt.Errorf("named matrix has %d columns but %d column names", m.NCol, len(m.ColNames))
	}
	for _, names := range [][]string{m.RowNames, m.ColNames} {
		for _, n := range names {
			if strings.Contains(n, ":") {
				return fmt.Errorf("name %q contains ':', which separates names in FIF name lists", n)
			}
		}
	}
	return nil
}

// WriteNamedMatrix writes m as an FIFFB_MNE_NAMED_MATRIX block whose data
// tag has kind matKind, as MNE's write_named_matrix does (sizes, names when
// present, and the data as a single-precision matrix). When m is
// inconsistent nothing is written and the error is returned; otherwise the
// returned error is the writer's sticky error, if any.
func WriteNamedMatrix(w *tree.Writer, matKind int32, m *NamedMatrix) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	w.StartBlock(tag.BlockMNENamedMatrix)
	w.Int32s(tag.MNENRow, int32(m.NRow))
	w.Int32s(tag.MNENCol, int32(m.NCol))
	if len(m.RowNames) > 0 {
		w.String(tag.MNERowNames, strings.Join(m.RowNames, ":"))
	}
	if len(m.ColNames) > 0 {
		w.String(tag.MNEColNames, strings.Join(m.ColNames, ":"))
	}
	w.Matrix(matKind, tag.Float, []int{m.NRow, m.NCol}, m.Data)
	w.EndBlock(tag.BlockMNENamedMatrix)
	return w.Err()
}
