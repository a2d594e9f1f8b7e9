package fif

import (
	"fmt"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Source space kinds (FIFFV_MNE_SPACE_*) and hemisphere ids.
const (
	SpaceSurface  int32 = 1
	SpaceVolume   int32 = 2
	SpaceDiscrete int32 = 3

	SourceSpaceLH int32 = 101 // FIFFV_MNE_SURF_LEFT_HEMI
	SourceSpaceRH int32 = 102 // FIFFV_MNE_SURF_RIGHT_HEMI
)

// SourceSpace is one MNE source space (a hemisphere of a cortical surface
// for the surface kind): every vertex of the surface with its normal, the
// vertices in use (the sources) and the triangulations. Positions are in
// metres in CoordFrame (MRI for -src.fif files, head inside -fwd.fif files).
type SourceSpace struct {
	Type         int32 // SpaceSurface, ...
	ID           int32 // SourceSpaceLH, SourceSpaceRH, or -1
	CoordFrame   int32 // FrameMRI or FrameHead
	SubjectHisID string
	Rr           [][3]float64 // all NP vertices
	NN           [][3]float64 // unit normals of all vertices
	Inuse        []int32      // 1 for the vertices in use, else 0 (len NP)
	Tris         [][3]int32   // full triangulation, zero based (may be empty)
	UseTris      [][3]int32   // triangulation of the vertices in use (may be empty)
}

// NP returns the number of vertices.
func (s *SourceSpace) NP() int { return len(s.Rr) }

// InFrame returns the source space in coordinate frame to, transformed by
// mriHead (MRI -> head, used in either direction); s itself when it is
// already in that frame. MNE stores source spaces in MRI coordinates in
// -fwd.fif files and moves them to the solution's frame when reading.
func (s *SourceSpace) InFrame(to int32, mriHead *Transform) (*SourceSpace, error) {
	if s.CoordFrame == to {
		return s, nil
	}
	if mriHead == nil {
		return nil, fmt.Errorf("source space in frame %d, wanted in frame %d, and no MRI -> head transformation", s.CoordFrame, to)
	}
	t := mriHead
	switch {
	case s.CoordFrame == mriHead.From && to == mriHead.To:
	case s.CoordFrame == mriHead.To && to == mriHead.From:
		var err error
		if t, err = mriHead.Inverse(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("cannot transform a source space from frame %d to %d with a %d -> %d transformation", s.CoordFrame, to, mriHead.From, mriHead.To)
	}
	m := t.M
	c := *s
	c.CoordFrame = to
	c.Rr = make([][3]float64, len(s.Rr))
	c.NN = make([][3]float64, len(s.NN))
	for i, p := range s.Rr {
		for a := range 3 {
			c.Rr[i][a] = m[a][0]*p[0] + m[a][1]*p[1] + m[a][2]*p[2] + m[a][3]
		}
	}
	for i, p := range s.NN {
		for a := range 3 {
			c.NN[i][a] = m[a][0]*p[0] + m[a][1]*p[1] + m[a][2]*p[2]
		}
	}
	return &c, nil
}

// Vertno returns the indices of the vertices in use, ascending.
func (s *SourceSpace) Vertno() []int32 {
	var v []int32
	for i, u := range s.Inuse {
		if u != 0 {
			v = append(v, int32(i))
		}
	}
	return v
}

// NUse returns the number of vertices in use.
func (s *SourceSpace) NUse() int {
	n := 0
	for _, u := range s.Inuse {
		if u != 0 {
			n++
		}
	}
	return n
}

func (s *SourceSpace) check() error {
	np := len(s.Rr)
	if np == 0 {
		return fmt.Errorf("source space %d has no vertices", s.ID)
	}
	if len(s.NN) != np || len(s.Inuse) != np {
		return fmt.Errorf("source space %d: %d positions but %d normals and %d selection flags", s.ID, np, len(s.NN), len(s.Inuse))
	}
	for _, tris := range [][][3]int32{s.Tris, s.UseTris} {
		for i, t := range tris {
			for _, v := range t {
				if v < 0 || int(v) >= np {
					return fmt.Errorf("source space %d: triangle %d refers to vertex %d of %d", s.ID, i, v, np)
				}
			}
		}
	}
	return nil
}

func flatVec(v [][3]float64) []float64 {
	out := make([]float64, 0, 3*len(v))
	for _, x := range v {
		out = append(out, x[0], x[1], x[2])
	}
	return out
}

func flatTris(t [][3]int32) []int32 {
	out := make([]int32, 0, 3*len(t))
	for _, x := range t {
		out = append(out, x[0]+1, x[1]+1, x[2]+1)
	}
	return out
}

// appendIntMatrix writes an int32 dense matrix tag (MNE's write_int_matrix).
func writeIntMatrix(w *tree.Writer, kind int32, rows, cols int, data []int32) {
	f := make([]float64, len(data))
	for i, v := range data {
		f[i] = float64(v)
	}
	w.Matrix(kind, tag.Int, []int{rows, cols}, f)
}

// WriteSourceSpaceBlock writes one FIFFB_MNE_SOURCE_SPACE block as MNE's
// write_source_spaces does for a surface source space.
func WriteSourceSpaceBlock(w *tree.Writer, s *SourceSpace) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("fif: %s: %w", w.Path(), err)
	}
	w.StartBlock(tag.BlockMNESourceSpace)
	w.Int32s(tag.MNESourceSpaceType, s.Type)
	if s.ID >= 0 {
		w.Int32s(tag.MNESourceSpaceID, s.ID)
	}
	w.String(tag.SubjHisID, s.SubjectHisID)
	w.Int32s(tag.MNECoordFrame, s.CoordFrame)
	w.Int32s(tag.MNESourceSpaceNPoints, int32(len(s.Rr)))
	w.Matrix(tag.MNESourceSpacePoints, tag.Float, []int{len(s.Rr), 3}, flatVec(s.Rr))
	w.Matrix(tag.MNESourceSpaceNormals, tag.Float, []int{len(s.NN), 3}, flatVec(s.NN))
	w.Int32s(tag.MNESourceSpaceSelection, s.Inuse...)
	w.Int32s(tag.MNESourceSpaceNUse, int32(s.NUse()))
	if len(s.Tris) > 0 {
		w.Int32s(tag.MNESourceSpaceNTri, int32(len(s.Tris)))
		writeIntMatrix(w, tag.MNESourceSpaceTriangles, len(s.Tris), 3, flatTris(s.Tris))
	}
	if len(s.UseTris) > 0 {
		w.Int32s(tag.MNESourceSpaceNUseTri, int32(len(s.UseTris)))
		writeIntMatrix(w, tag.MNESourceSpaceUseTriangles, len(s.UseTris), 3, flatTris(s.UseTris))
	}
	w.EndBlock(tag.BlockMNESourceSpace)
	return w.Err()
}

// WriteSourceSpaces writes a -src.fif file (an FIFFB_MNE block holding one
// source space block per element) that mne.read_source_spaces reads. The
// file appears only once completely written.
func WriteSourceSpaces(path string, src []*SourceSpace) error {
	if len(src) == 0 {
		return fmt.Errorf("fif: %s: no source spaces to write", path)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	w.StartBlock(tag.BlockMNE)
	for _, s := range src {
		if err := WriteSourceSpaceBlock(w, s); err != nil {
			w.Abort()
			return err
		}
	}
	w.EndBlock(tag.BlockMNE)
	return w.Close()
}

// ReadSourceSpaces reads every source space of a -src.fif (or -fwd.fif,
// -inv.fif) file, in file order.
func ReadSourceSpaces(path string) ([]*SourceSpace, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := ReadSourceSpaceBlocks(f, f.Root)
	if err != nil {
		return nil, err
	}
	if len(src) == 0 {
		return nil, fmt.Errorf("fif: %s: no source spaces (FIFFB_MNE_SOURCE_SPACE blocks) in the file", path)
	}
	return src, nil
}

// ReadSourceSpaceBlocks reads the source space blocks found anywhere under
// node.
func ReadSourceSpaceBlocks(f *tree.File, node *tree.Node) ([]*SourceSpace, error) {
	var out []*SourceSpace
	for _, b := range node.Blocks(tag.BlockMNESourceSpace) {
		s, err := readSourceSpace(f, b)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func findInt(f *tree.File, b *tree.Node, kind int32, def int64) (int64, error) {
	e, ok := b.Find(kind)
	if !ok {
		return def, nil
	}
	return f.Int(e)
}

func readVec3Matrix(f *tree.File, b *tree.Node, kind int32, n int, what string) ([][3]float64, error) {
	e, ok := b.Find(kind)
	if !ok {
		return nil, fmt.Errorf("fif: %s: source space without %s", f.Path, what)
	}
	m, err := f.Matrix(e)
	if err != nil {
		return nil, err
	}
	if m.Rows() != n || m.Cols() != 3 {
		return nil, f.Errorf(e, "%s is %dx%d, expected %dx3", what, m.Rows(), m.Cols(), n)
	}
	out := make([][3]float64, n)
	for i := range out {
		out[i] = [3]float64{m.Data[3*i], m.Data[3*i+1], m.Data[3*i+2]}
	}
	return out, nil
}

func readTriMatrix(f *tree.File, b *tree.Node, kind int32, np int) ([][3]int32, error) {
	e, ok := b.Find(kind)
	if !ok {
		return nil, nil
	}
	m, err := f.Matrix(e)
	if err != nil {
		return nil, err
	}
	if m.Cols() != 3 {
		return nil, f.Errorf(e, "triangle matrix has %d columns, expected 3", m.Cols())
	}
	out := make([][3]int32, m.Rows())
	for i := range out {
		for j := range 3 {
			v := int32(m.Data[3*i+j]) - 1
			if v < 0 || int(v) >= np {
				return nil, f.Errorf(e, "triangle %d refers to vertex %d of %d", i, v+1, np)
			}
			out[i][j] = v
		}
	}
	return out, nil
}

func readSourceSpace(f *tree.File, b *tree.Node) (*SourceSpace, error) {
	s := &SourceSpace{}
	typ, err := findInt(f, b, tag.MNESourceSpaceType, int64(SpaceSurface))
	if err != nil {
		return nil, err
	}
	s.Type = int32(typ)
	id, err := findInt(f, b, tag.MNESourceSpaceID, -1)
	if err != nil {
		return nil, err
	}
	s.ID = int32(id)
	if e, ok := b.Find(tag.SubjHisID); ok {
		if s.SubjectHisID, err = f.String(e); err != nil {
			return nil, err
		}
	}
	cf, err := findInt(f, b, tag.MNECoordFrame, -1)
	if err != nil {
		return nil, err
	}
	if cf < 0 {
		return nil, fmt.Errorf("fif: %s: source space %d has no coordinate frame", f.Path, s.ID)
	}
	s.CoordFrame = int32(cf)
	np, err := findInt(f, b, tag.MNESourceSpaceNPoints, -1)
	if err != nil {
		return nil, err
	}
	if np <= 0 {
		return nil, fmt.Errorf("fif: %s: source space %d has no vertex count", f.Path, s.ID)
	}
	if s.Rr, err = readVec3Matrix(f, b, tag.MNESourceSpacePoints, int(np), "vertex positions"); err != nil {
		return nil, err
	}
	if s.NN, err = readVec3Matrix(f, b, tag.MNESourceSpaceNormals, int(np), "vertex normals"); err != nil {
		return nil, err
	}
	s.Inuse = make([]int32, np)
	if e, ok := b.Find(tag.MNESourceSpaceSelection); ok {
		v, err := f.Ints(e)
		if err != nil {
			return nil, err
		}
		if len(v) != int(np) {
			return nil, f.Errorf(e, "selection has %d entries, expected %d", len(v), np)
		}
		for i, x := range v {
			if x != 0 {
				s.Inuse[i] = 1
			}
		}
	}
	if s.Tris, err = readTriMatrix(f, b, tag.MNESourceSpaceTriangles, int(np)); err != nil {
		return nil, err
	}
	if s.UseTris, err = readTriMatrix(f, b, tag.MNESourceSpaceUseTriangles, int(np)); err != nil {
		return nil, err
	}
	return s, nil
}
