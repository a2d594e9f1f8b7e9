package maxwell

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// CrossTalk is a cross-talk compensation matrix (MaxFilter's
// ct_sparse.fif): the decoupler applied to the MEG data before the SSS
// decomposition, over the named channels.
type CrossTalk struct {
	Name   string   // base name of the file, for messages
	Names  []string // channel names of the rows/columns
	Matrix []float64
	// Record is what the processing history stores (the decoupler
	// transposed, as MaxFilter and MNE store it).
	Record fif.SSSCTC
}

// ReadCrossTalk reads a cross-talk FIF file as MNE's _read_ctc: the first
// FIFFB_CHANNEL_DECOUPLER block (decoupler matrix and channel names),
// inside a FIFFB_DATA_CORRECTION block whose comment must be
// "cross-talk compensation matrix".
func ReadCrossTalk(path string) (*CrossTalk, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("maxwell: invalid cross-talk FIF %s: %s", path, fmt.Sprintf(format, args...))
	}
	blocks := f.Root.Blocks(tag.BlockChannelDecoupler)
	if len(blocks) == 0 {
		return nil, bad("no channel decoupler block (FIFFB_CHANNEL_DECOUPLER)")
	}
	ct := &CrossTalk{Name: filepath.Base(path)}
	rec := &ct.Record
	var sp *tag.Sparse
	for _, e := range blocks[0].Entries {
		switch e.Kind {
		case tag.BlockID:
			id, err := f.IDStruct(e)
			if err != nil {
				return nil, err
			}
			rec.BlockID = &id
		case tag.MeasDate:
			v, err := f.Ints(e)
			if err != nil {
				return nil, err
			}
			rec.Date = int32s(v)
		case tag.Creator:
			if rec.Creator, err = f.String(e); err != nil {
				return nil, err
			}
		case tag.DecouplerMatrix:
			s, err := f.Sparse(e)
			if err != nil {
				return nil, err
			}
			sp = &s
		case tag.ProjItemChNameList:
			s, err := f.String(e)
			if err != nil {
				return nil, err
			}
			names := strings.Split(s, ":")
			last := len(names) - 1
			if i := strings.IndexByte(names[last], 0); i >= 0 {
				names[last] = names[last][:i]
			}
			ct.Names = names
		}
	}
	if sp == nil {
		return nil, bad("no decoupler matrix")
	}
	if sp.NRow != sp.NCol || sp.NRow != len(ct.Names) {
		return nil, bad("decoupler is %d x %d for %d channel names", sp.NRow, sp.NCol, len(ct.Names))
	}
	dc := f.Root.Blocks(tag.BlockDataCorrection)
	if len(dc) == 0 {
		return nil, bad("no data correction block")
	}
	var comment string
	for _, e := range dc[0].Entries {
		switch e.Kind {
		case tag.Comment:
			if comment, err = f.String(e); err != nil {
				return nil, err
			}
		case tag.Creator:
			if rec.Creator, err = f.String(e); err != nil {
				return nil, err
			}
		case tag.MeasDate:
			v, err := f.Ints(e)
			if err != nil {
				return nil, err
			}
			rec.Date = int32s(v)
		}
	}
	if comment != "cross-talk compensation matrix" {
		return nil, bad("comment %q is not \"cross-talk compensation matrix\"", comment)
	}
	ct.Matrix = sp.Dense()
	t := transposeSparse(*sp)
	rec.Decoupler = &t
	rec.ChNames = slices.Clone(ct.Names)
	return ct, nil
}

func int32s(v []int64) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// transposeSparse returns the transpose of s in compressed column storage
// with sorted row indices (scipy's .T.tocsc()).
func transposeSparse(s tag.Sparse) tag.Sparse {
	type ent struct {
		r, c int32
		v    float64
	}
	var es []ent
	for j := 0; j+1 < len(s.Ptr); j++ {
		for k := s.Ptr[j]; k < s.Ptr[j+1]; k++ {
			i := s.Indices[k]
			if s.Coding == tag.MatrixCCS {
				es = append(es, ent{i, int32(j), s.Data[k]})
			} else {
				es = append(es, ent{int32(j), i, s.Data[k]})
			}
		}
	}
	// Transpose: (r, c) -> (c, r); sort by new column (old row), then new
	// row (old column).
	slices.SortStableFunc(es, func(a, b ent) int {
		if a.r != b.r {
			return int(a.r - b.r)
		}
		return int(a.c - b.c)
	})
	out := tag.Sparse{Coding: tag.MatrixCCS, NRow: s.NCol, NCol: s.NRow,
		Data: make([]float64, len(es)), Indices: make([]int32, len(es)), Ptr: make([]int32, s.NRow+1)}
	for k, e := range es {
		out.Data[k] = e.v
		out.Indices[k] = e.c
		out.Ptr[e.r+1]++
	}
	for j := 0; j < s.NRow; j++ {
		out.Ptr[j+1] += out.Ptr[j]
	}
	return out
}

// cleanName removes whitespace from a channel name ("MEG 0113" ->
// "MEG0113"), as MNE's _clean_names(remove_whitespace=True).
func cleanName(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// matrixFor returns the cross-talk matrix restricted and ordered to the
// given MEG channel names (MNE's _read_cross_talk): an error names the
// MEG channels the file lacks.
func (ct *CrossTalk) matrixFor(names []string) ([]float64, error) {
	ctNames := ct.Names
	if len(names) > 0 && !slices.Contains(ctNames, names[0]) {
		ctNames = mapSlice(ctNames, cleanName)
		names = mapSlice(names, cleanName)
	}
	index := make(map[string]int, len(ctNames))
	for i, n := range ctNames {
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	var missing []string
	picks := make([]int, len(names))
	for k, n := range names {
		i, ok := index[n]
		if !ok {
			missing = append(missing, n)
		}
		picks[k] = i
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("maxwell: cross-talk file %s lacks MEG channels %s: %w", ct.Name, strings.Join(missing, ", "), ErrCalibrationMismatch)
	}
	n := len(ct.Names)
	m := len(names)
	out := make([]float64, m*m)
	for a, i := range picks {
		for b, j := range picks {
			out[a*m+b] = ct.Matrix[i*n+j]
		}
	}
	return out, nil
}

func mapSlice(s []string, f func(string) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}
