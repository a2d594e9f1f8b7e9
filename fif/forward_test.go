package fif

import (
	"path/filepath"
	"testing"
)

func tinySrc(id int32, frame int32) *SourceSpace {
	return &SourceSpace{Type: SpaceSurface, ID: id, CoordFrame: frame, SubjectHisID: "s",
		Rr:    [][3]float64{{0, 0, 0}, {0.01, 0, 0}, {0, 0.01, 0}, {0, 0, 0.01}},
		NN:    [][3]float64{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		Inuse: []int32{1, 0, 1, 1},
		Tris:  [][3]int32{{0, 1, 2}, {0, 2, 3}}, UseTris: [][3]int32{{0, 2, 3}}}
}

func TestSourceSpaceBEMRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x-src.fif")
	if err := WriteSourceSpaces(p, []*SourceSpace{tinySrc(SourceSpaceLH, FrameMRI), tinySrc(SourceSpaceRH, FrameMRI)}); err != nil {
		t.Fatal(err)
	}
	src, err := ReadSourceSpaces(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(src) != 2 || src[1].ID != SourceSpaceRH || src[0].NUse() != 3 || src[0].Tris[1] != [3]int32{0, 2, 3} ||
		src[0].UseTris[0] != [3]int32{0, 2, 3} || src[0].SubjectHisID != "s" || src[0].Rr[1][0] != float64(float32(0.01)) {
		t.Fatalf("round trip: %+v", src[0])
	}
	if v := src[0].Vertno(); len(v) != 3 || v[1] != 2 {
		t.Fatalf("vertno %v", v)
	}
	b := &BEM{Surfs: []*BEMSurface{{ID: BEMSurfBrain, Sigma: 0.3, CoordFrame: FrameMRI, Rr: src[0].Rr, NN: src[0].NN, Tris: src[0].Tris}}}
	b.Solution = make([]float64, 16)
	for i := range b.Solution {
		b.Solution[i] = float64(i)
	}
	bp := filepath.Join(dir, "x-bem-sol.fif")
	if err := WriteBEM(bp, b); err != nil {
		t.Fatal(err)
	}
	bb, err := ReadBEM(bp)
	if err != nil {
		t.Fatal(err)
	}
	if bb.NSol() != 4 || bb.Solution[7] != 7 || bb.Surfs[0].Sigma != float64(float32(0.3)) || bb.Approx != BEMApproxLinear {
		t.Fatalf("BEM round trip: %+v", bb)
	}
	b.Solution = make([]float64, 3)
	if err := WriteBEM(bp+"2", b); err == nil {
		t.Fatal("wrong solution size accepted")
	}
}

func TestForwardRoundTrip(t *testing.T) {
	chs := []Channel{{Name: "MEG 0111", Kind: KindMEG, CoilType: 3012, Cal: 1, Range: 1, LogNo: 111},
		{Name: "MEG 0113", Kind: KindMEG, CoilType: 3012, Cal: 1, Range: 1, LogNo: 113}}
	mh := &Transform{From: FrameMRI, To: FrameHead}
	dh := &Transform{From: FrameDevice, To: FrameHead}
	for i := range 4 {
		mh.M[i][i], dh.M[i][i] = 1, 1
	}
	src := []*SourceSpace{tinySrc(SourceSpaceLH, FrameHead)}
	f := &Forward{SourceOri: FreeOri, CoordFrame: FrameHead, Chs: chs, NChan: 2, NSource: 3,
		Gain: make([]float64, 2*9), Src: src, MRIHeadT: mh, DevHeadT: dh, Bads: []string{"MEG 0113"}}
	for i := range f.Gain {
		f.Gain[i] = float64(i) * 1e-9
	}
	p := filepath.Join(t.TempDir(), "x-fwd.fif")
	if err := WriteForward(p, f); err != nil {
		t.Fatal(err)
	}
	g, err := ReadForward(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.NChan != 2 || g.NSource != 3 || g.NCol() != 9 || g.ChNames()[1] != "MEG 0113" || len(g.Bads) != 1 {
		t.Fatalf("forward round trip: %+v", g)
	}
	for i, v := range f.Gain {
		if d := g.Gain[i] - v; d > 1e-15 || d < -1e-15 {
			t.Fatalf("gain %d: %g vs %g", i, g.Gain[i], v)
		}
	}
	if g.SourceRR[1][1] != float64(float32(src[0].Rr[2][1])) || g.MRIHeadT.From != FrameMRI || g.DevHeadT == nil {
		t.Fatalf("sources/transforms: %+v", g)
	}
	if vs := g.Vertices(); len(vs) != 1 || len(vs[0]) != 3 {
		t.Fatalf("vertices %v", vs)
	}
	f.Gain = f.Gain[:5]
	if err := WriteForward(p+"2", f); err == nil {
		t.Fatal("wrong gain size accepted")
	}
}
