package simulate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/forward"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/preprocess"
)

func smallOptions() Options {
	o := DefaultOptions()
	o.Seed = 7
	o.Trials = 12
	o.Runs = 1
	o.SFreq = 550
	return o
}

// small is one small study shared by the tests of this file.
var small struct {
	dir string
	res *Result
	err error
}

func smallStudy(t *testing.T) (string, *Result) {
	t.Helper()
	if small.dir == "" && small.err == nil {
		dir, err := os.MkdirTemp("", "megflow-simulate-test")
		if err != nil {
			t.Fatal(err)
		}
		small.dir = dir
		small.res, small.err = Study(context.Background(), dir, smallOptions())
	}
	if small.err != nil {
		t.Fatal(small.err)
	}
	return small.dir, small.res
}

func TestMain(m *testing.M) {
	code := m.Run()
	if small.dir != "" {
		os.RemoveAll(small.dir)
	}
	os.Exit(code)
}

func TestStudyFiles(t *testing.T) {
	dir, res := smallStudy(t)
	want := []string{
		"dataset_description.json", "participants.tsv",
		"sub-01/ses-meg/meg/sub-01_ses-meg_task-facerecognition_run-01_meg.fif",
		"derivatives/freesurfer/subjects/sub-01/surf/lh.white",
		"derivatives/freesurfer/subjects/sub-01/surf/rh.sphere",
		"derivatives/freesurfer/subjects/sub-01/bem/inner_skull.surf",
		"derivatives/freesurfer/subjects/sub-01/bem/sub-01-trans.fif",
		"derivatives/freesurfer/subjects/sub-01/label/lh.aparc.annot",
		"derivatives/truth/sub-01_truth.h5",
	}
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if len(res.RawFiles) != 1 || res.Subject != "sub-01" {
		t.Errorf("result: %+v", res)
	}
	if res.InnerSkullMarginMM < 5 {
		t.Errorf("inner-skull margin %.1f mm, want >= 5", res.InnerSkullMarginMM)
	}
	// No temporary files left behind.
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(p)[0] == '.' {
			t.Errorf("left over: %s", p)
		}
		return nil
	})
}

func TestRawAndEvents(t *testing.T) {
	dir, res := smallStudy(t)
	raw, err := fif.OpenRaw(res.RawFiles[0], fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	info := raw.Info
	if info.NChan() != 310 {
		t.Fatalf("%d channels, want 310", info.NChan())
	}
	var nMag, nGrad int
	for _, c := range info.Chs {
		switch c.CoilType {
		case fif.CoilVVMagT3:
			nMag++
		case fif.CoilVVPlanarT1:
			nGrad++
		}
	}
	if nMag != 102 || nGrad != 204 {
		t.Errorf("%d magnetometers and %d gradiometers", nMag, nGrad)
	}
	if !info.IsBad(flatBad) || !info.IsBad(noisyBad) || info.DevHeadT == nil || len(info.Dig) < 100 {
		t.Errorf("bads %v, dev_head_t %v, %d dig points", info.Bads, info.DevHeadT, len(info.Dig))
	}
	mask := int64(4096 + 256)
	ev, err := preprocess.FindEvents(raw, preprocess.FindEventsOptions{
		StimChannels: []string{"STI101"}, Mask: &mask, MaskType: preprocess.MaskNotAnd, MinDuration: 0.003})
	if err != nil {
		t.Fatal(err)
	}
	f, err := h5.Open(res.TruthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, dims, err := f.ReadInt64("events")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != dims[0] {
		t.Fatalf("found %d events, truth has %d", len(ev), dims[0])
	}
	for i, e := range ev {
		if e.Sample != truth[3*i] || int64(e.ID) != truth[3*i+2] {
			t.Errorf("event %d: found (%d, %d), truth (%d, %d)", i, e.Sample, e.ID, truth[3*i], truth[3*i+2])
		}
	}
	// Without the mask, the high bits add events.
	ev2, err := preprocess.FindEvents(raw, preprocess.FindEventsOptions{StimChannels: []string{"STI101"}, MinDuration: 0.003})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev2) <= len(ev) {
		t.Errorf("without the mask %d events, with %d: the high bits should matter", len(ev2), len(ev))
	}
	// Flat channel all zeros; data finite and in plausible ranges.
	data, err := raw.Read(nil, 0, raw.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	n := int(raw.NTimes)
	for ch, c := range info.Chs {
		row := data[ch*n : (ch+1)*n]
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		rms := math.Sqrt(ss / float64(n))
		switch {
		case c.Name == flatBad:
			if rms != 0 {
				t.Errorf("%s rms %g, want 0", c.Name, rms)
			}
		case c.CoilType == fif.CoilVVMagT3:
			if rms < 20e-15 || rms > 10e-12 {
				t.Errorf("%s rms %g T", c.Name, rms)
			}
		case c.CoilType == fif.CoilVVPlanarT1:
			if rms < 1e-12 || rms > 1e-9 {
				t.Errorf("%s rms %g T/m", c.Name, rms)
			}
		}
	}
	_ = dir
}

func TestAnatomy(t *testing.T) {
	_, res := smallStudy(t)
	sd := res.SubjectsDir
	for _, h := range []string{"lh", "rh"} {
		wh, err := geom.ReadSurface(filepath.Join(sd, Subject, "surf", h+".white"))
		if err != nil {
			t.Fatal(err)
		}
		sph, err := geom.ReadSurface(filepath.Join(sd, Subject, "surf", h+".sphere"))
		if err != nil {
			t.Fatal(err)
		}
		if len(wh.Rr) != 10242 || len(sph.Rr) != 10242 || len(wh.Tris) != 20480 {
			t.Errorf("%s: %d white and %d sphere vertices, %d triangles", h, len(wh.Rr), len(sph.Rr), len(wh.Tris))
		}
		if r := sph.Rr[17].Norm(); math.Abs(r-100) > 1e-3 {
			t.Errorf("%s.sphere radius %g", h, r)
		}
		an, err := atlas.ReadAnnot(atlas.AnnotPath(sd, Subject, h, "aparc"))
		if err != nil {
			t.Fatal(err)
		}
		labels := atlas.LabelsFromAnnot(an, h)
		names := map[string]int{}
		for _, l := range labels {
			names[l.Name] = len(l.Vertices)
		}
		if len(labels) < 30 {
			t.Errorf("%s: %d labels", h, len(labels))
		}
		for _, n := range []string{"lateraloccipital", "fusiform", "inferiortemporal", "temporalpole", "precentral", "superiortemporal"} {
			if names[n+"-"+h] < 20 && names[n] < 20 {
				t.Errorf("%s: label %s has %d/%d vertices", h, n, names[n+"-"+h], names[n])
			}
		}
	}
	sk, err := geom.ReadSurface(filepath.Join(sd, Subject, "bem", "inner_skull.surf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sk.Rr) != 2562 || len(sk.Tris) != 5120 {
		t.Errorf("inner skull: %d vertices, %d triangles", len(sk.Rr), len(sk.Tris))
	}
	src, err := forward.SetupSourceSpace(sd, Subject, forward.SourceSpaceOptions{Spacing: "oct6"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range src {
		if s.NUse() != 4098 {
			t.Errorf("oct6 source space %d: %d sources, want 4098", s.ID, s.NUse())
		}
	}
	tr, err := fif.ReadTrans(res.TransPath)
	if err != nil || tr.From != fif.FrameHead || tr.To != fif.FrameMRI {
		t.Errorf("trans: %v %v", tr, err)
	}
}

func TestTruthAndSNR(t *testing.T) {
	_, res := smallStudy(t)
	f, err := h5.Open(res.TruthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cond, err := f.ReadStrings("condition")
	if err != nil || len(cond) != 12 {
		t.Fatalf("condition: %v %v", cond, err)
	}
	for _, c := range []string{"M100", "M170", "M400"} {
		if _, _, err := f.ReadFloat64("components/" + c + "/latency"); err != nil {
			t.Error(err)
		}
		p := res.PeakMagFT[c]
		if p < 50 || p > 1000 {
			t.Errorf("%s peak %.0f fT", c, p)
		}
	}
	mom, dims, err := f.ReadFloat64("components/M170/fusiform-rh/moments")
	if err != nil || dims[0] != 12 {
		t.Fatalf("moments %v %v", dims, err)
	}
	if m := math.Abs(mom[0]); m < 1e-13 || m > 1e-8 {
		t.Errorf("moment %g A·m", m)
	}
	tr, err := ReadTruth(res.TruthPath)
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Component("M170")
	if len(tr.Sample) != 12 || tr.Seed != 7 || c == nil || c.Peak != 0.17 || len(c.Latency) != 12 ||
		len(c.Labels) != 2 || c.Labels[0] != "fusiform-lh" || len(tr.Components) != 3 {
		t.Errorf("ReadTruth: %+v", tr)
	}
	// Single-trial SNR of the M170 at the best magnetometer: a few.
	if snr := res.PeakMagFT["M170"] / res.NoiseMagFT; snr < 1 || snr > 20 {
		t.Errorf("M170 SNR %.2f", snr)
	}
}

// TestPatternStructure checks that fusiform patterns make RDMs with
// structure: faces are closer to faces than to scrambled faces.
func TestPatternStructure(t *testing.T) {
	_, res := smallStudy(t)
	f, err := h5.Open(res.TruthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cond, err := f.ReadStrings("condition")
	if err != nil {
		t.Fatal(err)
	}
	mom, dims, err := f.ReadFloat64("components/M170/fusiform-rh/moments")
	if err != nil {
		t.Fatal(err)
	}
	nv := dims[1]
	corrDist := func(a, b []float64) float64 {
		var ma, mb float64
		for i := range a {
			ma += a[i]
			mb += b[i]
		}
		ma /= float64(len(a))
		mb /= float64(len(b))
		var sab, saa, sbb float64
		for i := range a {
			sab += (a[i] - ma) * (b[i] - mb)
			saa += (a[i] - ma) * (a[i] - ma)
			sbb += (b[i] - mb) * (b[i] - mb)
		}
		return 1 - sab/math.Sqrt(saa*sbb)
	}
	var ff, fs float64
	var nff, nfs int
	for i := range cond {
		for j := i + 1; j < len(cond); j++ {
			fi, fj := cond[i] != "scrambled", cond[j] != "scrambled"
			d := corrDist(mom[i*nv:(i+1)*nv], mom[j*nv:(j+1)*nv])
			switch {
			case fi && fj:
				ff += d
				nff++
			case fi != fj:
				fs += d
				nfs++
			}
		}
	}
	ff /= float64(nff)
	fs /= float64(nfs)
	if !(ff < 0.8*fs) {
		t.Errorf("fusiform dissimilarity faces-faces %.3f, faces-scrambled %.3f", ff, fs)
	}
	t.Logf("fusiform correlation distance: faces-faces %.3f, faces-scrambled %.3f", ff, fs)
}

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Study(ctx, dir, smallOptions()); err == nil {
		t.Fatal("no error from a cancelled context")
	}
	var left []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("files left after a cancelled study: %v", left)
	}
}

func TestDeterministic(t *testing.T) {
	_, res := smallStudy(t)
	dir := t.TempDir()
	o := smallOptions()
	res2, err := Study(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(res.SubjectsDir, Subject, "surf", "lh.white"))
	b, _ := os.ReadFile(filepath.Join(res2.SubjectsDir, Subject, "surf", "lh.white"))
	if string(a) != string(b) || len(a) == 0 {
		t.Error("lh.white differs between two runs with the same seed")
	}
	r1, _ := fif.OpenRaw(res.RawFiles[0], fif.RawOptions{})
	r2, _ := fif.OpenRaw(res2.RawFiles[0], fif.RawOptions{})
	defer r1.Close()
	defer r2.Close()
	d1, _ := r1.Read(nil, 100, 400)
	d2, _ := r2.Read(nil, 100, 400)
	for i := range d1 {
		if d1[i] != d2[i] {
			t.Fatalf("sample %d differs: %g vs %g", i, d1[i], d2[i])
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{
		{Trials: 2, Runs: 1, SFreq: 1000},
		{Trials: 12, Runs: 0, SFreq: 1000},
		{Trials: 12, Runs: 1, SFreq: 100},
		{Trials: 12, Runs: 1, SFreq: 1000, Format: "int8"},
		{Trials: 30, Runs: 1, SFreq: 1000, Duration: 5},
	} {
		if _, err := Study(context.Background(), t.TempDir(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func BenchmarkStudy(b *testing.B) {
	for b.Loop() {
		if _, err := Study(context.Background(), b.TempDir(), DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
