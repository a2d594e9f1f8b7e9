package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

func proj(desc string, active bool, cols []string, rows ...[]float64) fif.Projector {
	p := fif.Projector{Kind: 1, Desc: desc, Active: active, ColNames: cols, NVec: len(rows)}
	for _, r := range rows {
		p.Data = append(p.Data, r...)
	}
	return p
}

func TestApplyProjCases(t *testing.T) {
	src := stimRaw(100, 0, [][]float64{make([]float64, 10)})
	p, err := ApplyProj(src, fif.SSPOptions{})
	if err != nil || p.SSP() != nil || !strings.Contains(p.Note, "No projector") {
		t.Errorf("no projs: %v %v", err, p.Note)
	}
	src.info.Projs = []fif.Projector{proj("a", true, []string{"MEG0111"}, []float64{1})}
	p, _ = ApplyProj(src, fif.SSPOptions{})
	if p.SSP() != nil || !strings.Contains(p.Note, "already") {
		t.Errorf("all active: %v", p.Note)
	}
	src.info.Projs = []fif.Projector{proj("a", false, []string{"MEG9999"}, []float64{1})}
	p, _ = ApplyProj(src, fif.SSPOptions{})
	if p.SSP() != nil || p.RawInfo().Projs[0].Active {
		t.Errorf("no overlap: %v", p.Note)
	}
	src.info.Projs = []fif.Projector{proj("a", false, []string{"MEG0111"}, []float64{1})}
	p, _ = ApplyProj(src, fif.SSPOptions{})
	if p.SSP() == nil || !p.RawInfo().Projs[0].Active || src.info.Projs[0].Active {
		t.Fatalf("apply: %v", p.Note)
	}
	buf := make([]float64, 2*10)
	if err := p.ReadAll(buf, 0, 10); err != nil {
		t.Fatal(err)
	}
	for k := range 10 {
		if buf[k] != 0 {
			t.Fatalf("the only projected channel should be zeroed, got %v", buf[:10])
		}
	}
}

// TestApplyProjMNE compares ApplyProj with raw.apply_proj() on a recording
// with 11 projectors (7 magnetometer, 4 gradiometer PCA vectors), and the
// operator with mne.io.proj.make_projector_info (skipped without MNE).
func TestApplyProjMNE(t *testing.T) {
	path := sharedtest.Path(t, "data/fif/141027_cropped_90Hz_raw.fif")
	sharedtest.RequireMNE(t)
	dir := t.TempDir()
	dataOut, projOut := filepath.Join(dir, "data.bin"), filepath.Join(dir, "proj.bin")
	script := fmt.Sprintf(`import mne, numpy as np
raw = mne.io.read_raw_fif(%q, preload=True, allow_maxshield=True, verbose="error")
P, nproj = mne.io.proj.make_projector_info(raw.info)
P.astype("<f8").tofile(%q)
raw.apply_proj(verbose="error")
raw.get_data().astype("<f8").tofile(%q)
print(nproj)
`, path, projOut, dataOut)
	out, err := exec.Command(sharedtest.Python, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	raw, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := ApplyProj(raw, fif.SSPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.SSP() == nil {
		t.Fatalf("nothing applied: %s", p.Note)
	}
	if got := fmt.Sprint(p.SSP().NProj); got != strings.TrimSpace(string(out)) {
		t.Errorf("nproj %s, MNE %s", got, out)
	}
	wantP := readF64(t, projOut)
	gotP := p.SSP().Matrix()
	var worstP float64
	for i := range gotP {
		worstP = max(worstP, math.Abs(gotP[i]-wantP[i]))
	}
	if worstP > 1e-12 {
		t.Errorf("projector matrix: max abs diff %.3g", worstP)
	}
	nch, ns := len(raw.Info.Chs), int(raw.NTimes)
	got := make([]float64, nch*ns)
	if err := p.ReadAll(got, 0, int64(ns)); err != nil {
		t.Fatal(err)
	}
	want := readF64(t, dataOut)
	var worst float64
	for c := range nch {
		var d, ref float64
		for k := range ns {
			d = max(d, math.Abs(got[c*ns+k]-want[c*ns+k]))
			ref = max(ref, math.Abs(want[c*ns+k]))
		}
		if ref > 0 {
			worst = max(worst, d/ref)
		} else if d != 0 {
			t.Errorf("channel %s: MNE all zeros, megflow differs by %g", raw.Info.Chs[c].Name, d)
		}
	}
	t.Logf("apply_proj: projector max abs diff %.3g; data max |diff| / max |MNE| per channel: %.3g", worstP, worst)
	if worst > 1e-10 {
		t.Errorf("data: worst relative difference %.3g > 1e-10", worst)
	}
	for _, q := range p.RawInfo().Projs {
		if !q.Active {
			t.Errorf("projector %s not marked active", q.Desc)
		}
	}
}

// BenchmarkSSPApply projects one second (1100 samples) of 306 channels
// with 11 projection vectors over all of them.
func BenchmarkSSPApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	nch, ns := 306, 1100
	chs := make([]string, nch)
	for i := range chs {
		chs[i] = fmt.Sprintf("MEG%04d", i)
	}
	var projs []fif.Projector
	for k := range 11 {
		r := make([]float64, nch)
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		projs = append(projs, proj(fmt.Sprint("v", k), false, chs, r))
	}
	s, err := fif.MakeSSP(projs, chs, nil, fif.SSPOptions{})
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float64, nch*ns)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	var scratch []float64
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		scratch, _ = s.Apply(x, ns, scratch)
	}
}

// TestApplyProjWrite writes a projected recording and reads it back: the
// projectors are stored active and the history records the step.
func TestApplyProjWrite(t *testing.T) {
	raw, err := fif.OpenRaw(sharedtest.Path(t, "data/fif/141027_cropped_90Hz_raw.fif"), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := ApplyProj(raw, fif.SSPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "proj_raw.fif")
	if _, err := fif.WriteRaw(out, p, fif.RawWriteOptions{Format: "double", History: "megflow test apply_proj"}); err != nil {
		t.Fatal(err)
	}
	back, err := fif.OpenRaw(out, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if len(back.Info.Projs) != 11 {
		t.Fatalf("%d projectors written", len(back.Info.Projs))
	}
	for _, q := range back.Info.Projs {
		if !q.Active {
			t.Errorf("projector %s stored inactive", q.Desc)
		}
	}
	h := back.Info.ProcHistory
	if len(h) == 0 || h[len(h)-1].Creator != "megflow test apply_proj" {
		t.Errorf("history %+v", h)
	}
	// Reading it again applies nothing more.
	again, err := ApplyProj(back, fif.SSPOptions{})
	if err != nil || again.SSP() != nil {
		t.Errorf("re-applied: %v %s", err, again.Note)
	}
}
