package maxwell

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
)

func TestWindows(t *testing.T) {
	p := &Prepared{sfreq: 1100, opt: DefaultOptions()}
	type lim struct{ a, b int64 }
	check := func(n int64, st int, want []lim, valid []bool) {
		t.Helper()
		p.stSamples = st
		w, err := p.Windows(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) != len(want) {
			t.Fatalf("n=%d st=%d: %d windows %v, want %v", n, st, len(w), w, want)
		}
		for i := range w {
			if w[i].Start != want[i].a || w[i].Stop != want[i].b || (valid != nil && w[i].TSSS != valid[i]) {
				t.Fatalf("n=%d st=%d: windows %v, want %v valid %v", n, st, w, want, valid)
			}
		}
	}
	check(51905, 11000, []lim{{0, 11000}, {11000, 22000}, {22000, 33000}, {33000, 51905}}, []bool{true, true, true, true})
	check(45000, 11000, []lim{{0, 11000}, {11000, 22000}, {22000, 33000}, {33000, 45000}}, nil)
	check(1201, 1200, []lim{{0, 1201}}, []bool{true})
	check(10, 11, []lim{{0, 10}}, []bool{true})
	check(22000, 11000, []lim{{0, 11000}, {11000, 22000}}, nil)
	p.stSamples = 12
	if _, err := p.Windows(10); err == nil {
		t.Fatal("buffer longer than the data accepted")
	}
	// Without tSSS: chunks of ChunkSeconds.
	p.opt.ChunkSeconds = 10
	check(25000, 0, []lim{{0, 11000}, {11000, 25000}}, []bool{false, false})
	check(5000, 0, []lim{{0, 5000}}, nil)
}

func TestReadFineCal(t *testing.T) {
	fc, err := ParseFineCal(strings.NewReader("# comment\n113 1 2 3 1 0 0 0 1 0 0 0 1 0.5\n\nMEG2643 1 2 3 1 0 0 0 1 0 0 0 1 0.1 0.2 0.3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fc.Names, []string{"MEG0113", "MEG2643"}) || len(fc.Imb[1]) != 3 || fc.Locs[0][2] != 3 {
		t.Fatalf("%+v", fc)
	}
	for _, bad := range []string{"", "113 1 2 3\n", "113 1 2 3 1 0 0 0 1 0 0 0 1 x\n"} {
		if _, err := ParseFineCal(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	path := sharedtest.Path(t, calFile)
	fc, err = ReadFineCal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Names) != 306 || fc.Names[0] != "MEG0113" || fc.Name != "sss_cal_3053.dat" {
		t.Fatalf("%d channels, first %s", len(fc.Names), fc.Names[0])
	}
	if n, err := channelNumber("MEG0113"); err != nil || n != 113 {
		t.Fatal(n, err)
	}
	if _, err := channelNumber("MEG"); err == nil {
		t.Fatal("no number accepted")
	}
}

func TestReadCrossTalk(t *testing.T) {
	ct, err := ReadCrossTalk(sharedtest.Path(t, ctcFile))
	if err != nil {
		t.Fatal(err)
	}
	n := len(ct.Names)
	if n != 306 || ct.Names[n-1] == "" || strings.ContainsRune(ct.Names[n-1], 0) {
		t.Fatalf("%d names, last %q", n, ct.Names[n-1])
	}
	if ct.Record.Creator == "" || len(ct.Record.Date) != 2 {
		t.Fatalf("record %+v", ct.Record)
	}
	// The stored decoupler is the transpose of the matrix applied.
	d := ct.Record.Decoupler.Dense()
	for i := range n {
		for j := range n {
			if d[i*n+j] != ct.Matrix[j*n+i] {
				t.Fatalf("stored decoupler is not the transpose at %d,%d", i, j)
			}
		}
	}
	if _, err := ct.matrixFor([]string{"MEG0113", "NOPE"}); !errors.Is(err, ErrCalibrationMismatch) {
		t.Fatalf("missing channel: %v", err)
	}
	if _, err := ReadCrossTalk(sharedtest.Path(t, ermRaw)); err == nil {
		t.Fatal("raw file accepted as cross-talk")
	}
}

func openERM(t *testing.T) *fif.Raw {
	t.Helper()
	raw, err := fif.OpenRaw(sharedtest.Path(t, ermRaw), fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestErrors(t *testing.T) {
	raw := openERM(t)
	v := ermVariants[0]
	opt := v.options(t)

	head := opt
	head.Frame = FrameHead
	if _, err := Prepare(raw.Info, head); !errors.Is(err, ErrNoDevHeadT) {
		t.Errorf("head frame without dev_head_t: %v", err)
	}
	high := opt
	high.IntOrder, high.ExtOrder = 17, 3
	if _, err := Prepare(raw.Info, high); !errors.Is(err, ErrTooManyComponents) {
		t.Errorf("orders too high: %v", err)
	}
	cond := opt
	cond.BadCondition = BadConditionError
	p, err := Prepare(raw.Info, v.options(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("condition number without regularization: %.1f", p.Summary().Condition)
	if p.Summary().Condition >= 1000 {
		if _, err := Prepare(raw.Info, cond); !errors.Is(err, ErrBadCondition) {
			t.Errorf("bad condition: %v", err)
		}
	}
	// A calibration file lacking a channel.
	fc, err := ReadFineCal(sharedtest.Path(t, calFile))
	if err != nil {
		t.Fatal(err)
	}
	short := *fc
	short.Names, short.Locs, short.Imb = fc.Names[1:], fc.Locs[1:], fc.Imb[1:]
	withCal := opt
	withCal.Calibration = &short
	if _, err := Prepare(raw.Info, withCal); !errors.Is(err, ErrCalibrationMismatch) || !strings.Contains(err.Error(), fc.Names[0]) {
		t.Errorf("calibration lacking %s: %v", fc.Names[0], err)
	}
	// Already processed.
	info := *raw.Info
	one := int32(1)
	info.ProcHistory = []fif.ProcRecord{{Creator: "MaxFilter", MaxInfo: fif.MaxInfo{SSSInfo: &fif.SSSInfo{Job: &one}}}}
	if _, err := Prepare(&info, opt); !errors.Is(err, ErrAlreadyProcessed) {
		t.Errorf("already processed: %v", err)
	}
	// A MaxFilter output.
	mf, err := fif.OpenRaw(sharedtest.Path(t, "data/maxfilter/test_move_anon_erm_devOrigin_raw_sss.fif"), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	if _, err := Prepare(mf.Info, opt); !errors.Is(err, ErrAlreadyProcessed) {
		t.Errorf("MaxFilter output: %v", err)
	}
	bad := opt
	bad.STCorrelation = 1.5
	if _, err := Prepare(raw.Info, bad); err == nil {
		t.Error("st_correlation 1.5 accepted")
	}
	dest := opt
	dest.Destination = &geom.Transform{}
	if _, err := Prepare(raw.Info, dest); err == nil {
		t.Error("destination in the meg frame accepted")
	}
}

// TestOutputInfo writes a filtered file and reads it back: processing
// record, bads, projectors, dev_head_t; filtering it again is refused.
func TestOutputInfo(t *testing.T) {
	v := ermVariants[5] // fine calibration, cross-talk, tSSS, regularize in
	raw := openERM(t)
	f, err := NewFilter(raw, v.options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "erm_sss_raw.fif")
	if _, err := fif.WriteRaw(out, f, fif.RawWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := fif.OpenRaw(out, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	rec := back.Info.ProcHistory[0]
	sss := rec.MaxInfo.SSSInfo
	if sss == nil || *sss.NFree != 73 || *sss.InOrder != 8 || *sss.OutOrder != 3 || *sss.Frame != 1 || *sss.NChan != 306 || *sss.Job != 2 {
		t.Fatalf("sss_info %+v", sss)
	}
	sum := 0
	for _, c := range sss.Components {
		sum += int(c)
	}
	if len(sss.Components) != 95 || sum != 88 {
		t.Fatalf("components %v", sss.Components)
	}
	if math.Abs(sss.Origin[1]-0.013) > 1e-7 {
		t.Fatalf("origin %v", sss.Origin)
	}
	st := rec.MaxInfo.MaxST
	if st == nil || *st.Job != 10 || *st.SubspCorr != float64(float32(0.98)) || math.Abs(*st.BufLen-1) > 1e-12 {
		t.Fatalf("max_st %+v", st)
	}
	if rec.MaxInfo.SSSCTC == nil || rec.MaxInfo.SSSCTC.Decoupler == nil || len(rec.MaxInfo.SSSCTC.ChNames) != 306 {
		t.Fatal("no cross-talk record")
	}
	cal := rec.MaxInfo.SSSCal
	if cal == nil || !slices.Equal(cal.CalChansDims, []int{306, 2}) || !slices.Equal(cal.CalCorrsDims, []int{306, 14}) || cal.CalChans[0] != 113 {
		t.Fatalf("sss_cal %+v", cal)
	}
	for _, pr := range back.Info.Projs {
		for _, n := range pr.ColNames {
			if strings.HasPrefix(n, "MEG") {
				t.Fatalf("MEG projector %q kept", pr.Desc)
			}
		}
	}
	if len(raw.Info.Projs) == 0 {
		t.Fatal("test file should have projectors")
	}
	// Non-MEG channels are untouched.
	in, _ := raw.Read(nil, 0, raw.NTimes)
	got, _ := back.Read(nil, 0, back.NTimes)
	n := int(raw.NTimes)
	for i, c := range raw.Info.Chs {
		if c.Kind == fif.KindMEG {
			continue
		}
		for s := range n {
			if a, b := in[i*n+s], got[i*n+s]; math.Abs(a-b) > 1e-6*math.Abs(a)+1e-30 {
				t.Fatalf("channel %s changed at %d: %g -> %g", c.Name, s, a, b)
			}
		}
	}
	if _, err := Prepare(back.Info, v.options(t)); !errors.Is(err, ErrAlreadyProcessed) {
		t.Fatalf("refiltering: %v", err)
	}
}

// TestQRRoute checks the QR fallback of tSSS against the Cholesky route.
func TestQRRoute(t *testing.T) {
	for _, v := range []ermVariant{ermVariants[4], ermVariants[5]} {
		_, a, n, fa := filterFile(t, sharedtest.Path(t, ermRaw), v.options(t))
		forceQR = true
		_, b, _, fb := filterFile(t, sharedtest.Path(t, ermRaw), v.options(t))
		forceQR = false
		if fa.Windows()[0].NProjected != fb.Windows()[0].NProjected {
			t.Fatalf("%s: %d vs %d projections", v.key, fa.Windows()[0].NProjected, fb.Windows()[0].NProjected)
		}
		snr := channelSNR(b, a, 306, n)
		if mn, _ := minMedian(snr); mn < 1e6 {
			t.Fatalf("%s: QR vs Cholesky route SNR %g", v.key, mn)
		}
	}
}

// TestDestination: reconstructing at the recording's own position changes
// nothing; a translated destination changes the MEG data.
func TestDestination(t *testing.T) {
	path := sharedtest.Path(t, simRaw)
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	opt := DefaultOptions()
	opt.Origin = &geom.Vec3{0, 0, 0.04}
	p0, err := Prepare(raw.Info, opt)
	if err != nil {
		t.Fatal(err)
	}
	same := geom.Transform(raw.Info.DevHeadT.M)
	opt.Destination = &same
	p1, err := Prepare(raw.Info, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p0.B, p1.B) {
		t.Fatal("destination = dev_head_t changes the reconstruction")
	}
	moved := same.Mul(geom.Translation(geom.Vec3{0, 0, 0.01}))
	opt.Destination = &moved
	p2, err := Prepare(raw.Info, opt)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(p0.B, p2.B) {
		t.Fatal("translated destination changes nothing")
	}
	if got := p2.OutputInfo().DevHeadT.M; got != [4][4]float64(moved) {
		t.Fatalf("dev_head_t %v", got)
	}
}

func TestHeadSphere(t *testing.T) {
	raw, err := fif.OpenRaw(sharedtest.Path(t, simRaw), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c, r, err := HeadSphere(raw.Info)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("head sphere: centre %.4f %.4f %.4f m, radius %.4f m", c[0], c[1], c[2], r)
	if r < 0.06 || r > 0.12 || math.Abs(c[0]) > 0.02 {
		t.Fatalf("implausible head sphere %v %g", c, r)
	}
	info := *raw.Info
	info.Dig = nil
	if _, _, err := HeadSphere(&info); err == nil {
		t.Fatal("no digitization accepted")
	}
}

// TestQRDowndate checks the regularization's noise estimates (diagonal of
// the inverse Gram matrix after removing columns one by one) against a
// direct computation.
func TestQRDowndate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, k := 40, 12
	A := mat.NewDense(n, k, randSlice(rng, n*k))
	var qr mat.QR
	qr.Factorize(A)
	var Rd mat.Dense
	qr.RTo(&Rd)
	R := make([]float64, k*k)
	for i := range k {
		for j := i; j < k; j++ {
			R[i*k+j] = Rd.At(i, j)
		}
	}
	inv := make([]float64, k*k)
	cols := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	for _, del := range []int{3, 0, 7, 2} {
		kk := len(cols)
		diag, ok := invGramDiag(R, inv, kk, kk)
		if !ok {
			t.Fatal("singular")
		}
		sub := mat.NewDense(n, kk, nil)
		for c, j := range cols {
			for i := range n {
				sub.Set(i, c, A.At(i, j))
			}
		}
		var g, gi mat.Dense
		g.Mul(sub.T(), sub)
		if err := gi.Inverse(&g); err != nil {
			t.Fatal(err)
		}
		for i := range kk {
			if math.Abs(diag[i]-gi.At(i, i)) > 1e-12*gi.At(i, i) {
				t.Fatalf("columns %v: diag %d = %g, want %g", cols, i, diag[i], gi.At(i, i))
			}
		}
		deleteColumn(R, kk, del)
		cols = slices.Delete(cols, del, del+1)
	}
}
