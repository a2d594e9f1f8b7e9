package fif

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

const covGolden = "cov/sample_audvis-cov"

func TestCovGolden(t *testing.T) {
	g := fobjGolden(t)
	c, err := ReadCov(fobjData(t, "sample_audvis-cov.fif"))
	if err != nil {
		t.Fatal(err)
	}
	names, err := g.ReadStrings(covGolden + "/names")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Names, names) {
		t.Errorf("names differ from MNE's (%d vs %d)", len(c.Names), len(names))
	}
	data, dims, err := g.ReadFloat64(covGolden + "/data")
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != 2 || dims[0] != c.Dim() || dims[1] != c.Dim() {
		t.Errorf("dimension %d, MNE %v", c.Dim(), dims)
	}
	fobjBitEqual(t, "cov data", c.Data, data)
	bads, err := g.ReadStrings(covGolden + "/bads")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Bads, bads) {
		t.Errorf("bads %q, MNE %q", c.Bads, bads)
	}
	desc, err := g.ReadStrings(covGolden + "/proj_desc")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Projs {
		got = append(got, p.Desc)
	}
	if !slices.Equal(got, desc) {
		t.Errorf("projector descriptions %q, MNE %q", got, desc)
	}
	nfree, err := g.AttrInt64(covGolden, "nfree")
	if err != nil {
		t.Fatal(err)
	}
	if int64(c.NFree) != nfree {
		t.Errorf("nfree %d, MNE %d", c.NFree, nfree)
	}
	diag, err := g.AttrInt64(covGolden, "diag")
	if err != nil {
		t.Fatal(err)
	}
	if c.Diag != (diag != 0) {
		t.Errorf("diag %v, MNE %d", c.Diag, diag)
	}
	if c.Kind != CovKindNoise || c.Method != "" || c.HasLoglik || c.Eig != nil {
		t.Errorf("kind %d, method %q, loglik %v, eig %v: the file holds none of these", c.Kind, c.Method, c.HasLoglik, c.Eig != nil)
	}
}

func covEqual(t *testing.T, what string, got, want *Cov) {
	t.Helper()
	if got.Kind != want.Kind || got.Diag != want.Diag || got.NFree != want.NFree || got.Method != want.Method ||
		got.HasLoglik != want.HasLoglik || math.Float64bits(got.Loglik) != math.Float64bits(want.Loglik) {
		t.Errorf("%s: header %+v, want %+v", what,
			[]any{got.Kind, got.Diag, got.NFree, got.Method, got.HasLoglik, got.Loglik},
			[]any{want.Kind, want.Diag, want.NFree, want.Method, want.HasLoglik, want.Loglik})
	}
	if !slices.Equal(got.Names, want.Names) || !slices.Equal(got.Bads, want.Bads) {
		t.Errorf("%s: names/bads %q %q, want %q %q", what, got.Names, got.Bads, want.Names, want.Bads)
	}
	fobjBitEqual(t, what+" data", got.Data, want.Data)
	fobjBitEqual(t, what+" diagonal", got.DiagValues, want.DiagValues)
	fobjBitEqual(t, what+" eig", got.Eig, want.Eig)
	fobjBitEqual(t, what+" eigvec", got.EigVec, want.EigVec)
	if got.EigVecDims != want.EigVecDims {
		t.Errorf("%s: eigenvector dims %v, want %v", what, got.EigVecDims, want.EigVecDims)
	}
	if len(got.Projs) != len(want.Projs) {
		t.Errorf("%s: %d projectors, want %d", what, len(got.Projs), len(want.Projs))
		return
	}
	for i, p := range got.Projs {
		q := want.Projs[i]
		if p.Desc != q.Desc || p.Kind != q.Kind || p.Active != q.Active || p.NVec != q.NVec || !slices.Equal(p.ColNames, q.ColNames) {
			t.Errorf("%s: projector %d = %q/%d/%v/%d, want %q/%d/%v/%d", what, i, p.Desc, p.Kind, p.Active, p.NVec, q.Desc, q.Kind, q.Active, q.NVec)
		}
		fobjBitEqual(t, what+" projector "+p.Desc, p.Data, q.Data)
	}
}

func TestCovRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src, err := ReadCov(fobjData(t, "sample_audvis-cov.fif"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "full-cov.fif")
	if err := WriteCov(p, src); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCov(p)
	if err != nil {
		t.Fatal(err)
	}
	covEqual(t, "full", back, src)

	// Diagonal, with method, score and an eigendecomposition; names with
	// a colon survive through MNE's {COLON} escape.
	n := 3
	d := &Cov{Kind: CovKindNoise, Names: []string{"A:1", "B", "C"}, Diag: true, NFree: 7,
		Method: "diagonal_fixed", Loglik: -123.25, HasLoglik: true, Bads: []string{"B"},
		Data: make([]float64, n*n), Eig: []float64{1, 2, 3},
		EigVec: []float64{float64(float32(0.1)), 0.5, 0.25, 1, 0, 0}, EigVecDims: [2]int{2, 3}}
	for i := range n {
		d.Data[i*n+i] = float64(i+1) * 1e-24
		d.DiagValues = append(d.DiagValues, d.Data[i*n+i])
	}
	p = filepath.Join(dir, "diag-cov.fif")
	if err := WriteCov(p, d); err != nil {
		t.Fatal(err)
	}
	back, err = ReadCov(p)
	if err != nil {
		t.Fatal(err)
	}
	covEqual(t, "diag", back, d)

	// Without the full matrix (as inverse operators read their priors).
	f, err := tree.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sparse, ok, err := ReadCovNode(f, f.Root, CovKindNoise, false)
	if err != nil || !ok {
		t.Fatalf("ReadCovNode: %v, %v", ok, err)
	}
	if sparse.Data != nil || sparse.Dim() != n {
		t.Errorf("dense=false: data %v, dimension %d", sparse.Data, sparse.Dim())
	}
	fobjBitEqual(t, "diagonal only", sparse.DiagValues, d.DiagValues)
	if _, ok, err := ReadCovNode(f, f.Root, CovKindSource, false); ok || err != nil {
		t.Errorf("absent kind: ok %v, err %v", ok, err)
	}
	// ... and written back from the diagonal alone.
	p2 := filepath.Join(dir, "diag2-cov.fif")
	if err := WriteCov(p2, sparse); err != nil {
		t.Fatal(err)
	}
	back, err = ReadCov(p2)
	if err != nil {
		t.Fatal(err)
	}
	covEqual(t, "diag from DiagValues", back, d)

	// Inconsistent covariances are refused before anything is written.
	for _, c := range []struct {
		cov *Cov
		msg string
	}{
		{&Cov{Data: make([]float64, 5)}, "not a square"},
		{&Cov{}, "no data"},
		{&Cov{Diag: true, Data: make([]float64, 4), DiagValues: []float64{1}}, "1 diagonal values"},
		{&Cov{Data: make([]float64, 4), Names: []string{"a"}}, "1 channel names"},
		{&Cov{Data: make([]float64, 4), Eig: []float64{1}}, "together"},
		{&Cov{Data: make([]float64, 4), Names: []string{"a{COLON}", "b"}}, "{COLON}"},
	} {
		p := filepath.Join(dir, "bad-cov.fif")
		fobjErrorMentions(t, WriteCov(p, c.cov), p, c.msg)
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("failed write left %s behind", p)
		}
	}
}

func TestCovMNE(t *testing.T) {
	src := fobjData(t, "sample_audvis-cov.fif")
	c, err := ReadCov(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours-cov.fif")
	if err := WriteCov(ours, c); err != nil {
		t.Fatal(err)
	}
	// A diagonal covariance with method and score, written by MNE and by us.
	theirs := filepath.Join(dir, "mne-diag-cov.fif")
	type mneCov struct {
		Names  []string    `json:"names"`
		Data   [][]float64 `json:"data"`
		Diag   []float64   `json:"diag"`
		Bads   []string    `json:"bads"`
		NFree  int         `json:"nfree"`
		Method string      `json:"method"`
		Loglik *float64    `json:"loglik"`
		Projs  []struct {
			Desc   string      `json:"desc"`
			Kind   int32       `json:"kind"`
			Active bool        `json:"active"`
			Names  []string    `json:"col_names"`
			Data   [][]float64 `json:"data"`
		} `json:"projs"`
	}
	var got []mneCov
	fobjMNE(t, &got, `
import sys, json, mne, numpy as np
src, ours, theirs = sys.argv[1:4]
c = mne.read_cov(src)
d = c.copy().as_diag()
d['method'] = 'diagonal_fixed'
d['loglik'] = -42.5
d.save(theirs)
def dump(c):
    out = dict(names=list(c['names']), bads=list(c['bads']), nfree=int(c['nfree']),
               method=c.get('method', ''), loglik=c.get('loglik'),
               projs=[dict(desc=p['desc'], kind=int(p['kind']), active=bool(p['active']),
                           col_names=list(p['data']['col_names']), data=p['data']['data'].tolist())
                      for p in c['projs']])
    if c['diag']:
        out['diag'] = c['data'].tolist()
    else:
        out['data'] = c['data'].tolist()
    return out
print(json.dumps([dump(mne.read_cov(ours))]))
`, src, ours, theirs)
	if len(got) != 1 {
		t.Fatalf("snippet returned %d covariances", len(got))
	}
	m := got[0]
	if !slices.Equal(m.Names, c.Names) || !slices.Equal(m.Bads, c.Bads) || m.NFree != c.NFree || m.Method != "" || m.Loglik != nil {
		t.Errorf("MNE reads names/bads/nfree/method/loglik of our file as %d names, %q, %d, %q, %v", len(m.Names), m.Bads, m.NFree, m.Method, m.Loglik)
	}
	var flat []float64
	for _, r := range m.Data {
		flat = append(flat, r...)
	}
	fobjBitEqual(t, "MNE's read of our cov", flat, c.Data)
	if len(m.Projs) != len(c.Projs) {
		t.Fatalf("MNE reads %d projectors, megflow wrote %d", len(m.Projs), len(c.Projs))
	}
	for i, p := range m.Projs {
		q := c.Projs[i]
		if p.Desc != q.Desc || p.Kind != q.Kind || p.Active != q.Active || !slices.Equal(p.Names, q.ColNames) {
			t.Errorf("projector %d: MNE reads %q/%d/%v, megflow wrote %q/%d/%v", i, p.Desc, p.Kind, p.Active, q.Desc, q.Kind, q.Active)
		}
		var v []float64
		for _, r := range p.Data {
			v = append(v, r...)
		}
		fobjBitEqual(t, "projector "+p.Desc, v, q.Data)
	}

	// megflow reads the diagonal covariance MNE wrote.
	d, err := ReadCov(theirs)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Diag || d.Method != "diagonal_fixed" || !d.HasLoglik || d.Loglik != -42.5 || d.NFree != c.NFree {
		t.Errorf("MNE's diagonal cov read as diag %v, method %q, loglik %v/%v, nfree %d", d.Diag, d.Method, d.HasLoglik, d.Loglik, d.NFree)
	}
	n := c.Dim()
	want := make([]float64, n*n)
	for i := range n {
		want[i*n+i] = c.Data[i*n+i]
	}
	fobjBitEqual(t, "diagonal cov", d.Data, want)
}

func TestCovMissing(t *testing.T) {
	src := fobjData(t, "sample_audvis_trunc_raw-eve.fif")
	_, err := ReadCov(src)
	fobjErrorMentions(t, err, src, "FIFFB_MNE_COV")

	dir := t.TempDir()
	write := func(name string, body func(w *tree.Writer)) string {
		p := filepath.Join(dir, name)
		w, err := tree.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w.StartBlock(tag.BlockMNECov)
		body(w)
		w.EndBlock(tag.BlockMNECov)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		body func(w *tree.Writer)
		msg  string
	}{
		{"source-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindSource)
			w.Int32s(tag.MNECovDim, 1)
			w.Float64s(tag.MNECovDiag, 1)
		}, "noise covariance"},
		{"nodim-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
		}, "FIFF_MNE_COV_DIM"},
		{"nodata-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
			w.Int32s(tag.MNECovDim, 2)
		}, "FIFF_MNE_COV_DIAG"},
		{"short-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
			w.Int32s(tag.MNECovDim, 2)
			w.Float64s(tag.MNECov, 1, 2)
		}, "expected 3"},
		{"names-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
			w.Int32s(tag.MNECovDim, 2)
			w.String(tag.MNERowNames, "a:b:c")
			w.Float64s(tag.MNECov, 1, 2, 3)
		}, "3 channel names"},
		{"hugediag-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
			w.Int32s(tag.MNECovDim, 10000)
			w.Float64s(tag.MNECovDiag, make([]float64, 10000)...)
		}, "too large"},
		{"hugedim-cov.fif", func(w *tree.Writer) {
			w.Int32s(tag.MNECovKind, CovKindNoise)
			w.Int32s(tag.MNECovDim, math.MaxInt32)
			w.Float64s(tag.MNECov, 1, 2, 3)
		}, "dimension"},
	} {
		p := write(c.name, c.body)
		_, err := ReadCov(p)
		fobjErrorMentions(t, err, p, c.msg)
	}

	// A sparse full covariance (as some MNE-C files hold) is expanded.
	p := write("sparse-cov.fif", func(w *tree.Writer) {
		w.Int32s(tag.MNECovKind, CovKindNoise)
		w.Int32s(tag.MNECovDim, 2)
		s := tag.Sparse{Coding: tag.MatrixCCS, NRow: 2, NCol: 2, Data: []float64{4, 1, 1, 9}, Indices: []int32{0, 1, 0, 1}, Ptr: []int32{0, 2, 4}}
		w.WriteTag(tag.MNECov, tag.MatrixCCS|tag.Double, tag.AppendSparse(nil, tag.Double, s))
	})
	c, err := ReadCov(p)
	if err != nil {
		t.Fatal(err)
	}
	fobjBitEqual(t, "sparse cov", c.Data, []float64{4, 1, 1, 9})
}

func TestCovUnpackLowerTriangle(t *testing.T) {
	// Row-major lower triangle: (0,0) (1,0) (1,1) (2,0) (2,1) (2,2).
	got := unpackLowerTriangle([]float64{1, 2, 3, 4, 5, 6}, 3)
	fobjBitEqual(t, "unpacked", got, []float64{1, 2, 4, 2, 3, 5, 4, 5, 6})
	// MNE adds the matrix to its transpose and halves the diagonal, which
	// overflows for the largest values; so do we.
	got = unpackLowerTriangle([]float64{math.MaxFloat64}, 1)
	if !math.IsInf(got[0], 1) {
		t.Errorf("diagonal of MaxFloat64 unpacked to %v, MNE gives +Inf", got[0])
	}
}

func TestNamedMatrixRoundTrip(t *testing.T) {
	m := &NamedMatrix{NRow: 2, NCol: 3, RowNames: []string{"r1", "r2"}, ColNames: []string{"a", "b", "c"},
		Data: []float64{1, 2, 3, 4, 5, float64(float32(0.1))}}
	p := filepath.Join(t.TempDir(), "nm.fif")
	w, err := tree.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMNE)
	if err := WriteNamedMatrix(w, tag.MNEForwardSolution, m); err != nil {
		t.Fatal(err)
	}
	noNames := &NamedMatrix{NRow: 1, NCol: 2, Data: []float64{7, 8}}
	if err := WriteNamedMatrix(w, tag.MNECTFCompData, noNames); err != nil {
		t.Fatal(err)
	}
	bad := &NamedMatrix{NRow: 2, NCol: 2, Data: []float64{1}}
	fobjErrorMentions(t, WriteNamedMatrix(w, tag.MNECTFCompData, bad), "2 x 2 has 1 values")
	fobjErrorMentions(t, WriteNamedMatrix(w, tag.MNECTFCompData, &NamedMatrix{NRow: 1, NCol: 1, Data: []float64{1}, ColNames: []string{"a:b"}}), "':'")
	w.EndBlock(tag.BlockMNE)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := tree.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mne := f.Root.Child(tag.BlockMNE)
	got, ok, err := ReadNamedMatrix(f, mne, tag.MNEForwardSolution)
	if err != nil || !ok {
		t.Fatalf("ReadNamedMatrix: %v, %v", ok, err)
	}
	if got.NRow != 2 || got.NCol != 3 || !slices.Equal(got.RowNames, m.RowNames) || !slices.Equal(got.ColNames, m.ColNames) {
		t.Errorf("read %+v", got)
	}
	fobjBitEqual(t, "named matrix", got.Data, m.Data)
	tr := got.Transpose()
	if tr.NRow != 3 || tr.At(2, 1) != got.At(1, 2) || !slices.Equal(tr.RowNames, m.ColNames) {
		t.Errorf("transpose %+v", tr)
	}
	// Directly on the named-matrix block, and the second matrix by its kind.
	got, ok, err = ReadNamedMatrix(f, mne.Children[1], tag.MNECTFCompData)
	if err != nil || !ok || got.RowNames != nil || !slices.Equal(got.Data, []float64{7, 8}) {
		t.Errorf("second matrix: %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := ReadNamedMatrix(f, mne, tag.MNEInverseFields); ok || err != nil {
		t.Errorf("absent matrix: ok %v, err %v", ok, err)
	}
	if _, ok, err := ReadNamedMatrix(f, mne.Children[0], tag.MNEInverseFields); ok || err != nil {
		t.Errorf("absent kind in a named-matrix block: ok %v, err %v", ok, err)
	}
}
