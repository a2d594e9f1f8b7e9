package main

// End-to-end check of the parcel stage against MNE-Python (golden
// labels.h5 and rdm.h5): the simulated recording is low-pass filtered and
// cut into the golden epochs by megflow, megflow estimates the shrunk noise
// covariance and builds the inverse operator from MNE's forward solution
// (the only MNE-made input, computed once and cached), applies dSPM
// (pick_ori none, λ² = 1/9) to every epoch, and package atlas extracts the
// aparc label time courses (mean, mean_flip) with the source normals of the
// forward solution's source spaces, as the golden
// extract_label_time_course(stcs, labels, src) call did. Package rsa then
// computes the window, parcel-time-course and time-resolved RDMs of those
// estimates.

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/preprocess"
	"github.com/megflow/megflow/rsa"
)

// goldenMNEForward returns the path of MNE's forward solution (-fwd.fif)
// of the simulated recording (sharedtest.MNEForward, shared with the
// inverse package's tests).
func goldenMNEForward(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("golden parcel time courses: skipped in -short mode (needs MNE-Python's forward solution and 30 dSPM epochs)")
	}
	_, fifPath := sharedtest.MNEForward(t)
	return fifPath
}

// goldenSimEpochs returns megflow's versions of the golden epochs_v1
// (decim 5, rejection: the covariance input) and epochs_v2 (no decim, no
// rejection: the inverse input): raw.filter(None, 40.) on the data
// channels, the golden events (events.h5 sim/events), -0.2..0.8 s,
// baseline (None, 0), MEG channels without the bads. The filtered
// recording is computed once and cut twice.
func goldenSimEpochs(t *testing.T) (v1, v2 *epochs.Epochs) {
	t.Helper()
	raw, err := fif.OpenRaw(sharedtest.Path(t, simRaw), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	flt, err := preprocess.CreateFilter(raw.Info.SFreq, 0, 40, preprocess.FilterOptions{NTimes: raw.NTimes})
	if err != nil {
		t.Fatal(err)
	}
	rows := preprocess.DataChannels(raw.Info)
	fr, err := preprocess.NewFilteredRaw(raw, flt, rows, preprocess.StreamOptions{Info: preprocess.FilteredInfo(raw.Info, rows, 0, 40)})
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	mem := &memSource{info: fr.RawInfo(), first: fr.RawFirstSamp(), n: fr.RawNTimes()}
	mem.data = make([]float64, int64(len(mem.info.Chs))*mem.n)
	if err := fr.ReadAll(mem.data, 0, mem.n); err != nil {
		t.Fatal(err)
	}
	ev := readGoldenH5(t, "events.h5")
	v, _, err := ev.ReadInt64("sim/events")
	ev.Close()
	if err != nil {
		t.Fatal(err)
	}
	var evs []fif.Event
	for i := 0; i+2 < len(v); i += 3 {
		evs = append(evs, fif.Event{Sample: v[i], Prev: int32(v[i+1]), ID: int32(v[i+2])})
	}
	ids, err := epochs.ParseEventID("famous/first=5", "famous/immediate=6", "famous/long=7",
		"unfamiliar/first=13", "unfamiliar/immediate=14", "unfamiliar/long=15",
		"scrambled/first=17", "scrambled/immediate=18", "scrambled/long=19")
	if err != nil {
		t.Fatal(err)
	}
	base := epochs.Options{EventID: ids, Tmin: -0.2, Tmax: 0.8, Baseline: epochs.BaselineNoneZero()}
	o1 := base
	o1.Decim = 5
	o1.Reject = epochs.Thresholds{{Type: "grad", Value: 4000e-13}, {Type: "mag", Value: 4e-12}}
	if v1, err = epochs.New(context.Background(), mem, evs, o1); err != nil {
		t.Fatal(err)
	}
	if v2, err = epochs.New(context.Background(), mem, evs, base); err != nil {
		t.Fatal(err)
	}
	return v1, v2
}

func readGoldenH5(t *testing.T, name string) *h5.File {
	t.Helper()
	f, err := h5.Open(sharedtest.Golden(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustF64(t *testing.T, f *h5.File, name string) ([]float64, []int) {
	t.Helper()
	v, dims, err := f.ReadFloat64(name)
	if err != nil {
		t.Fatalf("%s: %s: %v", f.Path(), name, err)
	}
	return v, dims
}

func mustInts(t *testing.T, f *h5.File, name string) []int {
	t.Helper()
	v, _, err := f.ReadInt64(name)
	if err != nil {
		t.Fatalf("%s: %s: %v", f.Path(), name, err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// tcCollector receives the dSPM estimate of each epoch (8195 sources ×
// 1101 samples) and keeps only what the comparisons need.
type tcCollector struct {
	nSrc, nT   int
	mean, flip *atlas.Extractor
	// per epoch: label time courses, n_labels × nT
	meanTC, flipTC [][]float64
	// per epoch: window mean of every source over win (rdm window_patterns)
	winMean [][]float64
	win     []int
	// per epoch: values of the sources timeSrc at the samples timeIdx,
	// len(timeSrc) × len(timeIdx)
	timeSrc, timeIdx []int
	timeVals         [][]float32
	// the first keepN epochs at the samples keepIdx (all sources)
	keepN   int
	keepIdx []int
	kept    []float32
	// every epoch at the sources subSrc, samples [subT0, subT1)
	subSrc       []int
	subT0, subT1 int
	sub          []float32
	buf          []float64
}

func (c *tcCollector) Put(i int, data []float32) error {
	if len(data) != c.nSrc*c.nT {
		return fmt.Errorf("epoch %d: %d values, want %d×%d", i, len(data), c.nSrc, c.nT)
	}
	if i != len(c.meanTC) {
		return fmt.Errorf("epoch %d out of order", i)
	}
	if c.buf == nil {
		c.buf = make([]float64, len(data))
	}
	for k, v := range data {
		c.buf[k] = float64(v)
	}
	m, err := c.mean.Extract(c.buf, c.nT)
	if err != nil {
		return err
	}
	f, err := c.flip.Extract(c.buf, c.nT)
	if err != nil {
		return err
	}
	c.meanTC = append(c.meanTC, m)
	c.flipTC = append(c.flipTC, f)
	wm := make([]float64, c.nSrc)
	for s := range c.nSrc {
		row := c.buf[s*c.nT : (s+1)*c.nT]
		var sum float64
		for _, k := range c.win {
			sum += row[k]
		}
		wm[s] = sum / float64(len(c.win))
	}
	c.winMean = append(c.winMean, wm)
	tv := make([]float32, len(c.timeSrc)*len(c.timeIdx))
	for a, s := range c.timeSrc {
		for b, k := range c.timeIdx {
			tv[a*len(c.timeIdx)+b] = data[s*c.nT+k]
		}
	}
	c.timeVals = append(c.timeVals, tv)
	for _, s := range c.subSrc {
		c.sub = append(c.sub, data[s*c.nT+c.subT0:s*c.nT+c.subT1]...)
	}
	if i < c.keepN {
		for s := range c.nSrc {
			for _, k := range c.keepIdx {
				c.kept = append(c.kept, data[s*c.nT+k])
			}
		}
	}
	return nil
}

// relL2 is ||got − want|| / ||want|| (Euclidean norms over the slices).
func relL2(got, want []float64) float64 {
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	return math.Sqrt(d / n)
}

// spearman is Spearman's rank correlation (average ranks for ties).
func spearman(a, b []float64) float64 {
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		x, y := ra[i]-ma, rb[i]-mb
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	return sab / math.Sqrt(saa*sbb)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

// TestGoldenParcelTimeCourses chains megflow from the raw recording to
// parcel time courses and RDMs and compares with labels.h5 and rdm.h5.
//
// Time courses (labels.h5, bar: rel. error < 1e-3): the relative error of
// a time course is ||megflow − MNE||₂ / ||MNE||₂ over its samples, computed
// separately for every (epoch, label) pair — 30 × 68 pairs on the 101
// samples of the 10 ms grid (mean_grid, mean_flip_grid), 30 × 8 pairs on
// all 1101 samples (mean_active, mean_flip_active) — and the worst pair is
// reported and held to the bar; for the full-time L2 norms (*_norm) it is
// |megflow − MNE| / MNE per (epoch, label).
//
// RDMs (rdm.h5, end to end, bars: abs. diff < 1e-2 and Spearman r > 0.99
// per condensed RDM, worst RDM reported): rdm_window, rdm_meanflip_tc and
// rdm_time from megflow's estimates with package rsa; window_patterns (the
// dSPM window means) per epoch at relative error < 1e-3 (the inverse
// bar).
//
// Commands: megflow's operator is written to -inv.fif and the estimates
// to source-estimate files; label-tc --inv (and --src with MNE's
// -fwd.fif) on the first 3 epochs at the grid samples is held to
// mean_flip_grid (rel. error < 1e-3 as above), and rdm --method window,
// tc (--inv) and time (--step 11) on the sources of the 12 rdm_time labels
// over the window to the RDM bars.
func TestGoldenParcelTimeCourses(t *testing.T) {
	fwdPath := goldenMNEForward(t)
	subjectsDir := sharedtest.Path(t, "data/subjects")
	lf := readGoldenH5(t, "labels.h5")
	defer lf.Close()
	rf := readGoldenH5(t, "rdm.h5")
	defer rf.Close()
	start := time.Now()
	lap := func(what string) {
		t.Logf("%-40s %6.1f s", what, time.Since(start).Seconds())
	}

	// Inputs and the inverse operator.
	v1, v2 := goldenSimEpochs(t)
	if len(v1.Data) != 28 || len(v2.Data) != 30 {
		t.Fatalf("epochs: v1 %d (want 28), v2 %d (want 30)", len(v1.Data), len(v2.Data))
	}
	ev, dims := mustF64(t, rf, "events")
	if !slices.Equal(dims, []int{30, 3}) {
		t.Fatalf("rdm.h5 events dims %v", dims)
	}
	for e, x := range v2.Events {
		if float64(x.Sample) != ev[3*e] || float64(x.ID) != ev[3*e+2] {
			t.Fatalf("epoch %d: event %d/%d, rdm.h5 %g/%g", e, x.Sample, x.ID, ev[3*e], ev[3*e+2])
		}
	}
	lap("filter + epochs v1, v2")
	zero := 0.0
	cov, err := inverse.ComputeCovariance(inverse.EpochsData{Info: v1.Info, Times: v1.Times, Baselined: v1.Baseline != nil, Groups: v1.ConditionGroups()},
		inverse.CovOptions{Method: "shrunk", Tmax: &zero})
	if err != nil {
		t.Fatal(err)
	}
	lap("shrunk covariance")
	ff, err := fif.ReadForward(fwdPath)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		t.Fatal(err)
	}
	op, err := inverse.MakeOperator(v2.Info, fwd, &cov.Cov, inverse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lap("read MNE forward + inverse operator")
	k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
	if err != nil {
		t.Fatal(err)
	}

	// Labels on the forward solution's source space; the normals are its
	// source spaces' nn at the sources (head frame, as the golden src).
	labels, err := atlas.ReadLabels(subjectsDir, "fsaverage5", "aparc")
	if err != nil {
		t.Fatal(err)
	}
	names, err := lf.ReadStrings("names")
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != len(names) {
		t.Fatalf("%d labels, labels.h5 has %d", len(labels), len(names))
	}
	for i, l := range labels {
		if l.Name != names[i] {
			t.Fatalf("label %d: %s, labels.h5 %s", i, l.Name, names[i])
		}
	}
	var src atlas.Sources
	for h, s := range ff.Src {
		if h > 1 {
			t.Fatalf("%d source spaces", len(ff.Src))
		}
		for _, v := range s.Vertno() {
			src.Vertno[h] = append(src.Vertno[h], int(v))
			src.NN[h] = append(src.NN[h], geom.Vec3(s.NN[v]))
		}
	}
	if src.N() != op.NSource || !slices.Equal(src.Vertno[0], k.Vertices[0]) || !slices.Equal(src.Vertno[1], k.Vertices[1]) {
		t.Fatalf("source space (%d sources) and operator (%d) differ", src.N(), op.NSource)
	}
	lofGolden := mustInts(t, lf, "label_of_source")
	if lof := atlas.LabelOfSource(labels, src.Vertno); !slices.Equal(lof, lofGolden) {
		t.Fatal("label_of_source differs from labels.h5")
	}
	meanExt, err := atlas.NewExtractor(labels, &src, atlas.Mean, false)
	if err != nil {
		t.Fatal(err)
	}
	flipExt, err := atlas.NewExtractor(labels, &src, atlas.MeanFlip, false)
	if err != nil {
		t.Fatal(err)
	}

	// rdm.h5 selections.
	win := mustInts(t, rf, "window_index")
	timeIdx := mustInts(t, rf, "rdm_time_index")
	timeLabels := mustInts(t, rf, "rdm_time_labels")
	parcels, err := rsa.Parcels(lofGolden, len(labels))
	if err != nil {
		t.Fatal(err)
	}
	// the sources of the rdm_time labels, renumbered 0..n−1 label by label
	var timeSrc []int
	timeParcels := make([][]int, len(timeLabels))
	for p, l := range timeLabels {
		for _, s := range parcels[l] {
			timeParcels[p] = append(timeParcels[p], len(timeSrc))
			timeSrc = append(timeSrc, s)
		}
	}

	gridIdx := mustInts(t, lf, "grid_index")
	nT := len(v2.Times)
	const keepN = 3 // epochs kept (grid samples) for the label-tc --inv run
	subSrc := slices.Sorted(slices.Values(timeSrc))
	c := &tcCollector{nSrc: op.NSource, nT: nT, mean: meanExt, flip: flipExt, win: win, timeSrc: timeSrc, timeIdx: timeIdx,
		keepN: keepN, keepIdx: gridIdx, subSrc: subSrc, subT0: win[0], subT1: win[len(win)-1] + 1}
	if len(win) != c.subT1-c.subT0 {
		t.Fatalf("window_index is not contiguous")
	}
	in := inverse.EpochInput{Info: v2.Info, Times: v2.Times, N: len(v2.Data),
		Epoch: func(i int) ([]float64, error) { return v2.Data[i], nil }}
	if err := inverse.ApplyEpochs(context.Background(), k, in, c); err != nil {
		t.Fatal(err)
	}
	lap("dSPM of 30 epochs + label extraction")
	nEp, nL := len(c.meanTC), len(labels)

	// Label time courses vs labels.h5.
	active := mustInts(t, lf, "active_index")
	if gt, _ := mustF64(t, lf, "times"); len(gt) != nT || math.Abs(gt[0]-v2.Times[0]) > 1e-9 || math.Abs(gt[nT-1]-v2.Times[nT-1]) > 1e-9 {
		t.Fatalf("times: %d samples %g..%g, labels.h5 %d %g..%g", nT, v2.Times[0], v2.Times[nT-1], len(gt), gt[0], gt[len(gt)-1])
	}
	const bar = 1e-3
	for _, m := range []struct {
		name string
		tc   [][]float64
	}{{"mean", c.meanTC}, {"mean_flip", c.flipTC}} {
		// grid: all labels on the 10 ms grid
		want, dims := mustF64(t, lf, m.name+"_grid")
		if !slices.Equal(dims, []int{nEp, nL, len(gridIdx)}) {
			t.Fatalf("%s_grid dims %v", m.name, dims)
		}
		ng := len(gridIdx)
		got := make([]float64, ng)
		var worst, sumD, sumN float64
		var we, wl int
		for e := range nEp {
			for l := range nL {
				for j, s := range gridIdx {
					got[j] = m.tc[e][l*nT+s]
				}
				w := want[(e*nL+l)*ng : (e*nL+l+1)*ng]
				if r := relL2(got, w); r > worst {
					worst, we, wl = r, e, l
				}
				for j := range w {
					sumD += (got[j] - w[j]) * (got[j] - w[j])
					sumN += w[j] * w[j]
				}
			}
		}
		t.Logf("%s_grid (%d epochs × %d labels × %d samples): worst rel. error %.3g (epoch %d, %s), overall ||Δ||/||ref|| %.3g",
			m.name, nEp, nL, ng, worst, we, names[wl], math.Sqrt(sumD/sumN))
		if !(worst < bar) {
			t.Errorf("%s_grid: worst per-(epoch, label) rel. error %.3g ≥ %g (epoch %d, %s)", m.name, worst, bar, we, names[wl])
		}
		// active labels, all samples
		want, dims = mustF64(t, lf, m.name+"_active")
		if !slices.Equal(dims, []int{nEp, len(active), nT}) {
			t.Fatalf("%s_active dims %v", m.name, dims)
		}
		worst = 0
		for e := range nEp {
			for a, l := range active {
				r := relL2(m.tc[e][l*nT:(l+1)*nT], want[(e*len(active)+a)*nT:(e*len(active)+a+1)*nT])
				if r > worst {
					worst, we, wl = r, e, l
				}
			}
		}
		t.Logf("%s_active (%d epochs × %d labels × %d samples): worst rel. error %.3g (epoch %d, %s)", m.name, nEp, len(active), nT, worst, we, names[wl])
		if !(worst < bar) {
			t.Errorf("%s_active: worst per-(epoch, label) rel. error %.3g ≥ %g", m.name, worst, bar)
		}
		// full-time norms
		wn, _ := mustF64(t, lf, m.name+"_norm")
		worst = 0
		for e := range nEp {
			for l := range nL {
				var ss float64
				for _, v := range m.tc[e][l*nT : (l+1)*nT] {
					ss += v * v
				}
				r := math.Abs(math.Sqrt(ss)-wn[e*nL+l]) / wn[e*nL+l]
				if r > worst {
					worst, we, wl = r, e, l
				}
			}
		}
		t.Logf("%s_norm (%d × %d): worst rel. diff %.3g (epoch %d, %s)", m.name, nEp, nL, worst, we, names[wl])
		if !(worst < bar) {
			t.Errorf("%s_norm: worst rel. diff %.3g ≥ %g", m.name, worst, bar)
		}
	}

	// RDMs end to end. Bars of the golden README: abs diff < 1e-2 and
	// Spearman r > 0.99 per condensed RDM.
	np := rsa.NPairs(nEp)
	checkRDMs := func(what string, got, want []float64, n int, rowName func(int) string) {
		t.Helper()
		if len(got) != n*np || len(want) != n*np {
			t.Fatalf("%s: %d / %d values, want %d", what, len(got), len(want), n*np)
		}
		var worstAbs float64
		worstR := 1.0
		var wa, wr int
		for r := range n {
			g, w := got[r*np:(r+1)*np], want[r*np:(r+1)*np]
			for i := range g {
				if d := math.Abs(g[i] - w[i]); !(d <= worstAbs) {
					worstAbs, wa = d, r
				}
			}
			if s := spearman(g, w); !(s >= worstR) {
				worstR, wr = s, r
			}
		}
		t.Logf("%s (%d RDMs): max abs diff %.3g (%s), min Spearman r %.7f (%s)", what, n, worstAbs, rowName(wa), worstR, rowName(wr))
		if !(worstAbs < 1e-2) || !(worstR > 0.99) {
			t.Errorf("%s: max abs diff %.3g (bar 1e-2), min Spearman r %.5f (bar 0.99)", what, worstAbs, worstR)
		}
	}
	labelName := func(r int) string { return names[r] }

	// window patterns and rdm_window
	wp, dims := mustF64(t, rf, "window_patterns")
	if !slices.Equal(dims, []int{nEp, op.NSource}) {
		t.Fatalf("window_patterns dims %v", dims)
	}
	var worstWP float64
	pat := make([]float64, nEp*op.NSource)
	for e := range nEp {
		copy(pat[e*op.NSource:], c.winMean[e])
		worstWP = max(worstWP, relL2(c.winMean[e], wp[e*op.NSource:(e+1)*op.NSource]))
	}
	t.Logf("window_patterns (dSPM mean over samples %d..%d): worst per-epoch rel. error %.3g", win[0], win[len(win)-1], worstWP)
	if !(worstWP < bar) {
		t.Errorf("window_patterns: worst per-epoch rel. error %.3g ≥ %g", worstWP, bar)
	}
	wantW, _ := mustF64(t, rf, "rdm_window")
	checkRDMs("rdm_window", rsa.WindowRDMs(pat, nEp, op.NSource, parcels, rsa.Correlation, 0), wantW, nL, labelName)

	// rdm_meanflip_tc: method (ii′), the mean_flip time course of each
	// label at the window samples
	x := make([]float64, nEp*len(win))
	gotTC := make([]float64, 0, nL*np)
	for l := range nL {
		for e := range nEp {
			for j, s := range win {
				x[e*len(win)+j] = c.flipTC[e][l*nT+s]
			}
		}
		gotTC = append(gotTC, rsa.RDM(x, nEp, len(win), rsa.Correlation)...)
	}
	wantTC, _ := mustF64(t, rf, "rdm_meanflip_tc")
	checkRDMs("rdm_meanflip_tc", gotTC, wantTC, nL, labelName)

	// rdm_time: method (ii), one RDM per label and grid sample
	nts := len(timeIdx)
	data := make([]float32, 0, nEp*len(timeSrc)*nts)
	for e := range nEp {
		data = append(data, c.timeVals[e]...)
	}
	gotT := make([]float64, len(timeLabels)*nts*np)
	if err := rsa.TimeRDMs(data, nEp, len(timeSrc), nts, timeParcels, rsa.Correlation, rsa.TimeOptions{}, func(p, ti int, d []float64) {
		copy(gotT[(p*nts+ti)*np:], d)
	}); err != nil {
		t.Fatal(err)
	}
	wantT, dims := mustF64(t, rf, "rdm_time")
	if !slices.Equal(dims, []int{len(timeLabels), nts, np}) {
		t.Fatalf("rdm_time dims %v", dims)
	}
	checkRDMs("rdm_time", gotT, wantT, len(timeLabels)*nts, func(r int) string {
		return fmt.Sprintf("%s at sample %d", names[timeLabels[r/nts]], timeIdx[r%nts])
	})
	lap("RDMs")

	// The command: megflow's operator written to -inv.fif, the estimates
	// of the first epochs on the 10 ms grid written in the inverse stage's
	// layout, and label-tc --inv (normals from the operator's source
	// spaces) against mean_flip_grid.
	dir := t.TempDir()
	invPath := filepath.Join(dir, "sim-inv.fif")
	rec, err := op.ToFIF()
	if err != nil {
		t.Fatal(err)
	}
	if err := fif.WriteInverse(invPath, rec); err != nil {
		t.Fatal(err)
	}
	stcPath := filepath.Join(dir, "sim-dspm-grid.h5")
	w, err := h5.Create(stcPath)
	if err != nil {
		t.Fatal(err)
	}
	gridTimes := make([]float64, len(gridIdx))
	for j, s := range gridIdx {
		gridTimes[j] = v2.Times[s]
	}
	vert := func(h int) []int64 {
		v := make([]int64, len(src.Vertno[h]))
		for i, x := range src.Vertno[h] {
			v[i] = int64(x)
		}
		return v
	}
	for _, err := range []error{
		w.WriteInt64("vertices_lh", vert(0), nil),
		w.WriteInt64("vertices_rh", vert(1), nil),
		w.WriteFloat32("data", c.kept, []int{keepN, op.NSource, len(gridIdx)}, h5.Chunks(1, op.NSource, len(gridIdx))),
		w.WriteFloat64("times", gridTimes, nil),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	tcPath := filepath.Join(dir, "tc.h5")
	mustRun(t, "-q", "label-tc", "--stc", stcPath, "--inv", invPath, "--subject", "fsaverage5", "--subjects-dir", subjectsDir, "--mode", "mean_flip", tcPath)
	got := readF64(t, tcPath, "data")
	want, _ := mustF64(t, lf, "mean_flip_grid")
	ng := len(gridIdx)
	if len(got) != keepN*nL*ng {
		t.Fatalf("label-tc --inv: %d values, want %d", len(got), keepN*nL*ng)
	}
	var worst float64
	for p := range keepN * nL {
		worst = max(worst, relL2(got[p*ng:(p+1)*ng], want[p*ng:(p+1)*ng]))
	}
	t.Logf("megflow label-tc --inv (megflow's -inv.fif) --mode mean_flip, epochs 0-%d on the grid vs mean_flip_grid: worst per-(epoch, label) rel. error %.3g", keepN-1, worst)
	if !(worst < bar) {
		t.Errorf("label-tc --inv: worst rel. error %.3g ≥ %g", worst, bar)
	}
	// The same with the source spaces of MNE's -fwd.fif (--src): an
	// MNE-written file.
	mustRun(t, "-q", "label-tc", "--stc", stcPath, "--src", fwdPath, "--subject", "fsaverage5", "--subjects-dir", subjectsDir, "--mode", "mean_flip", tcPath)
	if d := readF64(t, tcPath, "data"); !slices.Equal(d, got) {
		t.Errorf("label-tc --src MNE -fwd.fif differs from --inv megflow -inv.fif")
	}
	lap("label-tc --inv")

	// rdm command on the estimates of the 12 rdm_time labels' sources in
	// the window (100-600 ms, all samples), all epochs.
	nLH := len(src.Vertno[0])
	var subV [2][]int64
	for _, s := range subSrc {
		if s < nLH {
			subV[0] = append(subV[0], int64(src.Vertno[0][s]))
		} else {
			subV[1] = append(subV[1], int64(src.Vertno[1][s-nLH]))
		}
	}
	condition := make([]string, nEp)
	eventID := make([]int64, nEp)
	for e := range nEp {
		eventID[e] = int64(v2.Events[e].ID)
		for _, cd := range v2.EventID {
			if cd.ID == v2.Events[e].ID {
				condition[e] = cd.Name
			}
		}
	}
	subPath := filepath.Join(dir, "sim-dspm-window-12labels.h5")
	if w, err = h5.Create(subPath); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		w.WriteInt64("vertices_lh", subV[0], nil),
		w.WriteInt64("vertices_rh", subV[1], nil),
		w.WriteFloat32("data", c.sub, []int{nEp, len(subSrc), len(win)}, h5.Chunks(1, len(subSrc), len(win))),
		w.WriteFloat64("times", v2.Times[c.subT0:c.subT1], nil),
		w.WriteInt64("event_id", eventID, nil),
		w.WriteStrings("condition", condition),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rdmArgs := []string{"-q", "rdm", "--stc", subPath, "--subject", "fsaverage5", "--subjects-dir", subjectsDir, "--average-by", "none", "--float64"}
	rows := func(d []float64, per, first, n int) []float64 {
		var out []float64
		for _, l := range timeLabels {
			out = append(out, d[(l*per+first)*np:(l*per+first+n)*np]...)
		}
		return out
	}
	subName := func(r int) string { return names[timeLabels[r]] }
	out := filepath.Join(dir, "rdm_window.h5")
	mustRun(t, append(slices.Clone(rdmArgs), "--method", "window", "--tmin", "0.1", "--tmax", "0.6", out)...)
	checkRDMs("megflow rdm --method window (12 labels)", rows(readF64(t, out, "dissimilarities"), 1, 0, 1), rows(wantW, 1, 0, 1), len(timeLabels), subName)
	out = filepath.Join(dir, "rdm_tc.h5")
	mustRun(t, append(slices.Clone(rdmArgs), "--method", "tc", "--mode", "mean_flip", "--inv", invPath, "--tmin", "0.1", "--tmax", "0.6", out)...)
	checkRDMs("megflow rdm --method tc --inv (12 labels)", rows(readF64(t, out, "dissimilarities"), 1, 0, 1), rows(wantTC, 1, 0, 1), len(timeLabels), subName)
	// --step 11 from sample 330 hits the 10 ms grid points 30..80
	out = filepath.Join(dir, "rdm_time.h5")
	mustRun(t, append(slices.Clone(rdmArgs), "--method", "time", "--step", "11", out)...)
	g0 := slices.Index(timeIdx, c.subT0)
	ng2 := (len(win)-1)/11 + 1
	if g0 < 0 || timeIdx[g0+ng2-1] != c.subT1-1 {
		t.Fatalf("the window does not start and end on rdm_time's grid")
	}
	gotCmd := readF64(t, out, "dissimilarities")
	var gotSel, wantSel []float64
	for p, l := range timeLabels {
		gotSel = append(gotSel, gotCmd[(l*ng2)*np:(l*ng2+ng2)*np]...)
		wantSel = append(wantSel, wantT[(p*nts+g0)*np:(p*nts+g0+ng2)*np]...)
	}
	checkRDMs("megflow rdm --method time --step 11 (12 labels)", gotSel, wantSel, len(timeLabels)*ng2, func(r int) string {
		return fmt.Sprintf("%s at sample %d", names[timeLabels[r/ng2]], timeIdx[g0+r%ng2])
	})
	lap("rdm commands")
}
