package tree

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/internal/sharedtest"
)

// decodeAll decodes every tag of f with the decoder its type calls for, as
// a reader of any object would. Errors are fine; panics are not.
func decodeAll(f *File) {
	for _, e := range f.Dir {
		switch {
		case e.Type.Coding() == tag.MatrixDense:
			f.Matrix(e)
		case e.Type.Coding() == tag.MatrixCCS || e.Type.Coding() == tag.MatrixRCS:
			f.Sparse(e)
		case e.Type == tag.String:
			f.String(e)
		case e.Type == tag.ChInfoStruct:
			f.ChInfo(e)
		case e.Type == tag.CoordTransStruct:
			f.CoordTrans(e)
		case e.Type == tag.DigPointStruct || e.Type == tag.DigStringStruct:
			f.DigPoints(e)
		case e.Type == tag.IDStruct:
			f.IDStruct(e)
		case e.Type == tag.OldPack:
			if b, err := f.Payload(e); err == nil {
				tag.DecodeOldPack(b)
			}
		case e.Type == tag.DirEntryStruct:
			if b, err := f.Payload(e); err == nil {
				tag.DecodeDir(b)
			}
		default:
			f.Floats(e)
		}
	}
}

// seedFiles are small real files from the shared data, cut to keep the
// corpus small; the fuzzer explores from their structure.
var seedFiles = []string{
	"data/fif/sample_audvis_trunc-trans.fif",
	"data/fif/sample_audvis_trunc_raw-eve.fif",
	"data/maxfilter/ct_sparse.fif",
	"data/subjects/fsaverage5/bem/fsaverage5-trans.fif",
	"data/fif/test_elekta_3ch_raw.fif",
}

func FuzzOpen(f *testing.F) {
	f.Add(minimalFile(f))
	if shared := sharedtest.Find(); shared != "" {
		for _, rel := range seedFiles {
			if b, err := os.ReadFile(filepath.Join(shared, rel)); err == nil {
				if len(b) > 16<<10 { // small seeds keep the fuzzer fast (minimizing large inputs stalls it)
					b = b[:16<<10]
				}
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := OpenBytes("fuzz.fif", b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T, want *tree.Error: %v", err, err)
			}
			return
		}
		decodeAll(file)
	})
}

// minimalFile writes a small valid FIF file with blocks, a matrix, a
// sparse matrix and a string, for the fuzz corpus and the tests.
func minimalFile(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "min.fif")
	w, err := Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	w.StartBlock(tag.BlockMeasInfo)
	w.Int32s(tag.NChan, 2)
	w.Float32s(tag.SFreq, 1000)
	w.String(tag.Comment, "minimal")
	w.Matrix(tag.ProjItemVectors, tag.Float, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	w.WriteTag(tag.SSSCTC, tag.MatrixCCS|tag.Float, tag.AppendSparse(nil, tag.Float, tag.Sparse{
		Coding: tag.MatrixCCS, NRow: 2, NCol: 2, Data: []float64{1, 2}, Indices: []int32{0, 1}, Ptr: []int32{0, 1, 2}}))
	w.EndBlock(tag.BlockMeasInfo)
	w.EndBlock(tag.BlockMeas)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
