package fif

import (
	"fmt"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Source orientations of a forward solution (FIFFV_MNE_*_ORI) and the
// included-methods code for MEG.
const (
	FixedOri int32 = 1
	FreeOri  int32 = 2
	MNEMEG   int32 = 1 // FIFFV_MNE_MEG
)

// Forward is an MEG forward solution as stored in a -fwd.fif file (MNE's
// Forward before convert_forward_solution):
//
//   - Gain is row-major NChan x NCol with NCol = 3*NSource for FreeOri
//     (columns x, y, z of source 0, then of source 1, ...; Cartesian axes
//     of CoordFrame) or NSource for FixedOri; units T/(A·m) (T/m/(A·m) for
//     gradiometers).
//   - Sources are the vertices in use of Src, hemisphere after hemisphere,
//     in ascending vertex order; SourceRR and SourceNN are their positions
//     (m) and surface normals in CoordFrame (head).
//   - Src holds the full source spaces, in CoordFrame (head), with Inuse
//     marking the sources (after the mindist exclusion).
//   - Chs are the channels (rows of Gain) with their names; MRIHeadT maps
//     MRI to head coordinates, DevHeadT device to head.
type Forward struct {
	SourceOri  int32 // FreeOri or FixedOri
	CoordFrame int32 // FrameHead
	Chs        []Channel
	Bads       []string
	NChan      int
	NSource    int
	Gain       []float64
	SourceRR   [][3]float64
	SourceNN   [][3]float64
	Src        []*SourceSpace
	MRIHeadT   *Transform
	DevHeadT   *Transform
	MeasFile   string
	MRIFile    string
	MeasID     *tag.ID
}

// ChNames returns the channel names (rows of Gain).
func (f *Forward) ChNames() []string {
	n := make([]string, len(f.Chs))
	for i, c := range f.Chs {
		n[i] = c.Name
	}
	return n
}

// NCol returns the number of gain columns (3*NSource or NSource).
func (f *Forward) NCol() int {
	if f.SourceOri == FixedOri {
		return f.NSource
	}
	return 3 * f.NSource
}

// Vertices returns the vertex numbers of the sources of each source space.
func (f *Forward) Vertices() [][]int32 {
	v := make([][]int32, len(f.Src))
	for i, s := range f.Src {
		v[i] = s.Vertno()
	}
	return v
}

func (f *Forward) check() error {
	if f.NChan != len(f.Chs) || f.NChan == 0 {
		return fmt.Errorf("forward solution has %d channels but %d channel infos", f.NChan, len(f.Chs))
	}
	if len(f.Gain) != f.NChan*f.NCol() {
		return fmt.Errorf("gain has %d elements, expected %d x %d", len(f.Gain), f.NChan, f.NCol())
	}
	n := 0
	for _, s := range f.Src {
		if err := s.check(); err != nil {
			return err
		}
		n += s.NUse()
	}
	if n != f.NSource {
		return fmt.Errorf("source spaces have %d sources in use, the solution %d", n, f.NSource)
	}
	if f.MRIHeadT == nil || f.MRIHeadT.From != FrameMRI || f.MRIHeadT.To != FrameHead {
		return fmt.Errorf("forward solution needs an MRI -> head transformation")
	}
	if f.DevHeadT == nil {
		return fmt.Errorf("forward solution needs a device -> head transformation")
	}
	return nil
}

// WriteForward writes f as a -fwd.fif file that mne.read_forward_solution
// reads (MEG only; the gain in single precision, as MNE stores it). The
// file appears only once completely written.
func WriteForward(path string, f *Forward) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("fif: %s: %w", path, err)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		w.Abort()
		return err
	}
	w.StartBlock(tag.BlockMNE)
	w.StartBlock(tag.BlockMNEEnv)
	w.IDTag(tag.BlockID, tree.NewID())
	w.EndBlock(tag.BlockMNEEnv)

	w.StartBlock(tag.BlockMNEParentMRIFile)
	w.String(tag.MNEFileName, f.MRIFile)
	if err := WriteCoordTrans(w, f.MRIHeadT); err != nil {
		return fail(err)
	}
	w.EndBlock(tag.BlockMNEParentMRIFile)

	if err := writeParentMeas(w, parentMeas{file: f.MeasFile, id: f.MeasID, devHead: f.DevHeadT, chs: f.Chs, bads: f.Bads}); err != nil {
		return fail(err)
	}

	for _, s := range f.Src {
		if err := WriteSourceSpaceBlock(w, s); err != nil {
			return fail(err)
		}
	}

	w.StartBlock(tag.BlockMNEForwardSolution)
	w.Int32s(tag.MNEIncludedMethods, MNEMEG)
	w.Int32s(tag.MNECoordFrame, f.CoordFrame)
	w.Int32s(tag.MNESourceOrientation, f.SourceOri)
	w.Int32s(tag.MNESourceSpaceNPoints, int32(f.NSource))
	w.Int32s(tag.NChan, int32(f.NChan))
	// Stored transposed: columns x channels, channel names as column names.
	m := &NamedMatrix{NRow: f.NChan, NCol: f.NCol(), RowNames: f.ChNames(), Data: f.Gain}
	if err := WriteNamedMatrix(w, tag.MNEForwardSolution, m.Transpose()); err != nil {
		return fail(err)
	}
	w.EndBlock(tag.BlockMNEForwardSolution)
	w.EndBlock(tag.BlockMNE)
	return w.Close()
}

// ReadForward reads an MEG forward solution from a -fwd.fif file written by
// megflow or MNE (the MEG block; EEG blocks are ignored). Source positions
// and normals are taken from the source spaces (in head coordinates).
func ReadForward(path string) (*Forward, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fwd := &Forward{}
	var sol *tree.Node
	for _, b := range f.Root.Blocks(tag.BlockMNEForwardSolution) {
		m, err := findInt(f, b, tag.MNEIncludedMethods, -1)
		if err != nil {
			return nil, err
		}
		if int32(m) == MNEMEG {
			sol = b
			break
		}
	}
	if sol == nil {
		return nil, fmt.Errorf("fif: %s: no MEG forward solution block (FIFFB_MNE_FORWARD_SOLUTION with FIFFV_MNE_MEG)", path)
	}
	ori, err := findInt(f, sol, tag.MNESourceOrientation, -1)
	if err != nil {
		return nil, err
	}
	cf, err := findInt(f, sol, tag.MNECoordFrame, -1)
	if err != nil {
		return nil, err
	}
	ns, err := findInt(f, sol, tag.MNESourceSpaceNPoints, -1)
	if err != nil {
		return nil, err
	}
	fwd.SourceOri, fwd.CoordFrame, fwd.NSource = int32(ori), int32(cf), int(ns)
	if fwd.SourceOri != FreeOri && fwd.SourceOri != FixedOri {
		return nil, fmt.Errorf("fif: %s: unknown source orientation %d", path, ori)
	}
	nm, ok, err := ReadNamedMatrix(f, sol, tag.MNEForwardSolution)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("fif: %s: forward solution block without its matrix", path)
	}
	g := nm.Transpose()
	fwd.NChan = g.NRow
	fwd.Gain = g.Data
	if g.NCol != fwd.NCol() {
		return nil, fmt.Errorf("fif: %s: gain has %d columns, expected %d for %d sources", path, g.NCol, fwd.NCol(), fwd.NSource)
	}

	if b := f.Root.Blocks(tag.BlockMNEParentMRIFile); len(b) > 0 {
		if e, ok := b[0].Find(tag.CoordTrans); ok {
			r, err := f.CoordTrans(e)
			if err != nil {
				return nil, err
			}
			fwd.MRIHeadT = TransformFromRec(r)
		}
		if e, ok := b[0].Find(tag.MNEFileName); ok {
			fwd.MRIFile, _ = f.String(e)
		}
	}
	pm, err := readParentMeas(f)
	if err != nil {
		return nil, err
	}
	fwd.Chs, fwd.Bads, fwd.DevHeadT, fwd.MeasFile, fwd.MeasID = pm.chs, pm.bads, pm.devHead, pm.file, pm.id
	byName := make(map[string]Channel, len(fwd.Chs))
	for _, c := range fwd.Chs {
		byName[c.Name] = c
	}
	// Rows of the matrix follow its row names.
	if len(g.RowNames) == fwd.NChan {
		chs := make([]Channel, fwd.NChan)
		for i, n := range g.RowNames {
			c, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("fif: %s: gain row %q has no channel information", path, n)
			}
			chs[i] = c
		}
		fwd.Chs = chs
	} else if len(fwd.Chs) != fwd.NChan {
		return nil, fmt.Errorf("fif: %s: %d channel infos for %d gain rows", path, len(fwd.Chs), fwd.NChan)
	}
	if fwd.Src, err = ReadSourceSpaceBlocks(f, f.Root); err != nil {
		return nil, err
	}
	// MNE stores the source spaces in MRI coordinates; like
	// read_forward_solution, give them in the solution's frame.
	for i, s := range fwd.Src {
		if fwd.Src[i], err = s.InFrame(fwd.CoordFrame, fwd.MRIHeadT); err != nil {
			return nil, fmt.Errorf("fif: %s: %w", path, err)
		}
	}
	for _, s := range fwd.Src {
		for _, v := range s.Vertno() {
			fwd.SourceRR = append(fwd.SourceRR, s.Rr[v])
			fwd.SourceNN = append(fwd.SourceNN, s.NN[v])
		}
	}
	if len(fwd.SourceRR) != fwd.NSource {
		return nil, fmt.Errorf("fif: %s: source spaces hold %d sources, the solution %d", path, len(fwd.SourceRR), fwd.NSource)
	}
	return fwd, nil
}
