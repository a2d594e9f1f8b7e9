package fif

import (
	"fmt"
	"math"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// TransformFromRec converts an on-disk coordinate transformation to a
// Transform: the rotation and translation widened to float64 and a last row
// of 0 0 0 1. The stored inverse is ignored, as MNE ignores it.
func TransformFromRec(r tag.CoordTransRec) *Transform {
	t := &Transform{From: r.From, To: r.To}
	for i := range 3 {
		for j := range 3 {
			t.M[i][j] = float64(r.Rot[3*i+j])
		}
		t.M[i][3] = float64(r.Move[i])
	}
	t.M[3][3] = 1
	return t
}

// Rec converts t to the on-disk record, in single precision, with the
// inverse transformation computed in double precision (as MNE writes it).
// It fails when the transformation is not invertible.
func (t *Transform) Rec() (tag.CoordTransRec, error) {
	inv, err := t.Inverse()
	if err != nil {
		return tag.CoordTransRec{}, err
	}
	r := tag.CoordTransRec{From: t.From, To: t.To}
	for i := range 3 {
		for j := range 3 {
			r.Rot[3*i+j] = float32(t.M[i][j])
			r.InvRot[3*i+j] = float32(inv.M[i][j])
		}
		r.Move[i] = float32(t.M[i][3])
		r.InvMove[i] = float32(inv.M[i][3])
	}
	return r, nil
}

// Inverse returns the inverse transformation (To -> From). The matrix must
// be affine (last row 0 0 0 1) with an invertible 3x3 part.
func (t *Transform) Inverse() (*Transform, error) {
	m := t.M
	if m[3][0] != 0 || m[3][1] != 0 || m[3][2] != 0 || m[3][3] != 1 {
		return nil, fmt.Errorf("transform %d -> %d is not affine (last row %v)", t.From, t.To, m[3])
	}
	// Inverse of the 3x3 part by cofactors.
	c00 := m[1][1]*m[2][2] - m[1][2]*m[2][1]
	c01 := m[1][2]*m[2][0] - m[1][0]*m[2][2]
	c02 := m[1][0]*m[2][1] - m[1][1]*m[2][0]
	det := m[0][0]*c00 + m[0][1]*c01 + m[0][2]*c02
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return nil, fmt.Errorf("transform %d -> %d is singular", t.From, t.To)
	}
	var r [3][3]float64
	r[0][0] = c00 / det
	r[1][0] = c01 / det
	r[2][0] = c02 / det
	r[0][1] = (m[0][2]*m[2][1] - m[0][1]*m[2][2]) / det
	r[1][1] = (m[0][0]*m[2][2] - m[0][2]*m[2][0]) / det
	r[2][1] = (m[0][1]*m[2][0] - m[0][0]*m[2][1]) / det
	r[0][2] = (m[0][1]*m[1][2] - m[0][2]*m[1][1]) / det
	r[1][2] = (m[0][2]*m[1][0] - m[0][0]*m[1][2]) / det
	r[2][2] = (m[0][0]*m[1][1] - m[0][1]*m[1][0]) / det
	inv := &Transform{From: t.To, To: t.From}
	for i := range 3 {
		for j := range 3 {
			inv.M[i][j] = r[i][j]
		}
		inv.M[i][3] = -(r[i][0]*m[0][3] + r[i][1]*m[1][3] + r[i][2]*m[2][3])
	}
	inv.M[3][3] = 1
	return inv, nil
}

// ReadTrans reads the first coordinate transformation (FIFF_COORD_TRANS) of
// a FIF file, wherever it is, as mne.read_trans does.
func ReadTrans(path string) (*Transform, error) {
	all, err := readTransforms(path, true)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// ReadTransAll reads every coordinate transformation of a FIF file in file
// order (mne.read_trans(..., return_all=True)).
func ReadTransAll(path string) ([]*Transform, error) {
	return readTransforms(path, false)
}

func readTransforms(path string, first bool) ([]*Transform, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*Transform
	for _, e := range f.Dir {
		if e.Kind != tag.CoordTrans {
			continue
		}
		r, err := f.CoordTrans(e)
		if err != nil {
			return nil, err
		}
		out = append(out, TransformFromRec(r))
		if first {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fif: %s: no coordinate transformation (FIFF_COORD_TRANS) in the file: not a -trans.fif file", path)
	}
	return out, nil
}

// WriteCoordTrans writes t as a FIFF_COORD_TRANS tag.
func WriteCoordTrans(w *tree.Writer, t *Transform) error {
	r, err := t.Rec()
	if err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	w.WriteTag(tag.CoordTrans, tag.CoordTransStruct, tag.AppendCoordTrans(nil, r))
	return w.Err()
}

// WriteTrans writes a -trans.fif file holding t, as mne.write_trans does
// (a single FIFF_COORD_TRANS tag at the top level). The file appears only
// once completely written.
func WriteTrans(path string, t *Transform) error {
	if t == nil {
		return fmt.Errorf("fif: %s: no transformation to write", path)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	if err := WriteCoordTrans(w, t); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}
