package epochs

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
)

// synth builds a recording: 2 gradiometers, 1 magnetometer, 1 EOG, 1 stim
// at 1000 Hz with first sample 500, n samples of deterministic data.
func synth(n int64) *memRaw {
	f32 := func(v float64) float64 { return float64(float32(v)) } // FIF stores cal as float32
	chs := []fif.Channel{
		{Name: "MEG0112", Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: f32(1e-13), Range: 1},
		{Name: "MEG0113", Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: f32(1e-13), Range: 1},
		{Name: "MEG0111", Kind: fif.KindMEG, Unit: fif.UnitT, Cal: f32(1e-15), Range: 1},
		{Name: "EOG061", Kind: fif.KindEOG, Unit: fif.UnitV, Cal: f32(1e-6), Range: 1},
		{Name: "STI101", Kind: fif.KindStim, Unit: fif.UnitNone, Cal: 1, Range: 1},
	}
	m := &memRaw{info: &fif.Info{Chs: chs, SFreq: 1000, Lowpass: 500}, first: 500, n: n}
	m.data = make([]float64, int64(len(chs))*n)
	scale := []float64{1e-11, 2e-11, 1e-12, 1e-4, 1}
	for c := range chs {
		for i := range n {
			v := math.Sin(float64(i)*0.013*float64(c+1)) + 0.3*math.Cos(float64(i)*0.31)
			m.data[int64(c)*n+i] = scale[c] * (v + float64(c))
		}
	}
	return m
}

func mustNew(t *testing.T, src fif.RawSource, ev []fif.Event, opt Options) *Epochs {
	t.Helper()
	ep, err := New(context.Background(), src, ev, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestEventIDMatch(t *testing.T) {
	ids, err := ParseEventID("face/famous/first=5", "face/unfamiliar/first=13", "scrambled/first=17", "7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		keys []string
		want []string
	}{
		{[]string{"face"}, []string{"face/famous/first", "face/unfamiliar/first"}},
		{[]string{"first"}, []string{"face/famous/first", "face/unfamiliar/first", "scrambled/first"}},
		{[]string{"first/face"}, []string{"face/famous/first", "face/unfamiliar/first"}},
		{[]string{"famous", "scrambled"}, []string{"face/famous/first", "scrambled/first"}},
		{[]string{"7"}, []string{"7"}},
	} {
		got, err := ids.Match(c.keys...)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Match(%v) = %v, %v; want %v", c.keys, got, err, c.want)
		}
	}
	if _, err := ids.Match("house"); err == nil || !strings.Contains(err.Error(), "face/famous/first") {
		t.Errorf("unknown key: %v", err)
	}
	if s := ids.String(); s != "face/famous/first:5;face/unfamiliar/first:13;scrambled/first:17;7:7" {
		t.Errorf("String() = %q", s)
	}
	back, err := parseEventIDString(ids.String())
	if err != nil || !slices.Equal(back, ids) {
		t.Errorf("round trip: %v %v", back, err)
	}
	for _, bad := range [][]string{{"a=x"}, {"a=1", "a=2"}, {"a:b=1"}, {"=3"}} {
		if _, err := ParseEventID(bad...); err == nil {
			t.Errorf("ParseEventID(%q) accepted", bad)
		}
	}
}

func TestParseHelpers(t *testing.T) {
	b, err := ParseBaseline("none,0")
	if err != nil || !math.IsNaN(b.Tmin) || b.Tmax != 0 {
		t.Errorf("none,0 -> %+v %v", b, err)
	}
	if b, err := ParseBaseline("none"); b != nil || err != nil {
		t.Errorf("none -> %v %v", b, err)
	}
	if b, _ := ParseBaseline("-0.1,none"); b.Tmin != -0.1 || !math.IsNaN(b.Tmax) {
		t.Errorf("-0.1,none -> %+v", b)
	}
	if _, err := ParseBaseline("0"); err == nil {
		t.Error("baseline 0 accepted")
	}
	th, err := ParseThresholds("grad=4000e-13, mag=4e-12")
	if err != nil || th.String() != "grad=4e-10,mag=4e-12" {
		t.Errorf("thresholds %v %v", th, err)
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{4e-10, "4e-10"}, {0.0345, "0.0345"}, {1e5, "100000.0"}, {1e16, "1e+16"}, {1e-5, "1e-05"}, {0.0001, "0.0001"}, {math.Inf(1), "Infinity"}, {-0.2, "-0.2"}} {
		if got := pyFloat(c.v); got != c.want {
			t.Errorf("pyFloat(%g) = %s, want %s", c.v, got, c.want)
		}
	}
	if s := dropLogJSON([][]string{nil, {"MEG1211", "IGNORED"}, {"é\"x"}}); s != `[[], ["MEG1211", "IGNORED"], ["\u00e9\"x"]]` {
		t.Errorf("drop log JSON %s", s)
	}
	rej, flat, a, b2, err := parseRejectJSON(rejectJSON(Thresholds{{"grad", 4e-10}, {"eog", math.Inf(1)}}, Thresholds{{"mag", 1e-15}}, ptr(-0.1), nil))
	if err != nil || rej.String() != "grad=4e-10,eog=+Inf" || flat.String() != "mag=1e-15" || *a != -0.1 || b2 != nil {
		t.Errorf("reject JSON round trip: %v %v %v %v %v", rej, flat, a, b2, err)
	}
}

func ptr(v float64) *float64 { return &v }

func TestErrors(t *testing.T) {
	src := synth(5000)
	ev := []fif.Event{{Sample: 1500, ID: 1}, {Sample: 2500, ID: 2}, {Sample: 3500, ID: 1}}
	ids, _ := ParseEventID("a=1", "b=2")
	base := Options{EventID: ids, Tmin: -0.1, Tmax: 0.3, Baseline: BaselineNoneZero()}
	cases := []struct {
		name string
		mod  func(o *Options) []fif.Event
		want string
	}{
		{"absent id", func(o *Options) []fif.Event { o.EventID = append(slices.Clone(ids), Condition{"c", 9}); return ev }, "no matching events found for c (event id 9)"},
		{"tmin>=tmax", func(o *Options) []fif.Event { o.Tmin, o.Tmax = 0.3, 0.3; return ev }, "tmin (0.3 s) must be less than tmax"},
		{"baseline outside", func(o *Options) []fif.Event { o.Baseline = &Baseline{-0.5, 0}; return ev }, "outside of the epoch"},
		{"baseline reversed", func(o *Options) []fif.Event { o.Baseline = &Baseline{0.1, 0}; return ev }, "must be less than baseline end"},
		{"reject absent type", func(o *Options) []fif.Event { o.Reject = Thresholds{{"eeg", 1e-4}}; return ev }, "no EEG channels"},
		{"reject unknown type", func(o *Options) []fif.Event { o.Reject = Thresholds{{"brain", 1}}; return ev }, "unknown channel type \"brain\""},
		{"reject_tmin", func(o *Options) []fif.Event { o.RejectTmin = ptr(-0.2); return ev }, "reject_tmin needs to be >= tmin"},
		{"repeated", func(o *Options) []fif.Event { return append(slices.Clone(ev), fif.Event{Sample: 1500, ID: 2}) }, "not unique"},
		{"decim offset", func(o *Options) []fif.Event { o.Decim, o.DecimOffset = 2, 2; return ev }, "decimation offset"},
		{"no events", func(o *Options) []fif.Event { return nil }, "no events"},
	}
	for _, c := range cases {
		o := base
		evs := c.mod(&o)
		_, err := New(context.Background(), src, evs, o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Every epoch rejected: the error says why and the drop log is kept.
	o := base
	o.Reject = Thresholds{{"mag", 1e-15}}
	ep, err := New(context.Background(), src, ev, o)
	if !errors.Is(err, ErrAllDropped) || !strings.Contains(err.Error(), "MEG0111 x3") || ep == nil || len(ep.DropLog) != 3 {
		t.Errorf("all rejected: %v", err)
	}
}

func TestDropLogEdgesAndIgnored(t *testing.T) {
	src := synth(3000) // samples 500 .. 3499 absolute
	ev := []fif.Event{
		{Sample: 550, ID: 1},  // window starts before the recording
		{Sample: 1500, ID: 3}, // not in event_id
		{Sample: 2000, ID: 1},
		{Sample: 3300, ID: 2}, // runs past the end
		{Sample: 3200, ID: 2}, // just fits (and out of order)
	}
	ids, _ := ParseEventID("a=1", "b=2")
	ep := mustNew(t, src, ev, Options{EventID: ids, Tmin: -0.1, Tmax: 0.299, Baseline: BaselineNoneZero()})
	want := [][]string{{"NO_DATA"}, {"IGNORED"}, nil, {"TOO_SHORT"}, nil}
	if len(ep.DropLog) != len(want) {
		t.Fatalf("drop log %v", ep.DropLog)
	}
	for i := range want {
		if !slices.Equal(ep.DropLog[i], want[i]) {
			t.Errorf("drop log %d = %v, want %v", i, ep.DropLog[i], want[i])
		}
	}
	if !slices.Equal(ep.Selection, []int{2, 4}) || ep.Len() != 2 {
		t.Errorf("selection %v", ep.Selection)
	}
}

// TestExtraction checks data against a direct computation: window,
// baseline on undecimated samples, MNE's decimation offset, stim channel
// left alone, and the two read paths (picked channels, all channels).
func TestExtraction(t *testing.T) {
	src := synth(6000)
	ev := []fif.Event{{Sample: 3000, ID: 1}, {Sample: 1500, ID: 1}, {Sample: 2100, ID: 1}}
	opt := Options{Tmin: -0.1033, Tmax: 0.25, Baseline: &Baseline{-0.05, 0.01}, Decim: 3, Picks: []int{0, 2, 3, 4}}
	ep := mustNew(t, src, ev, opt)
	ep2 := mustNew(t, allOnly{src}, ev, opt)
	if !slices.EqualFunc(ep.Data, ep2.Data, slices.Equal) {
		t.Error("the all-channel read path differs from the picked-channel path")
	}
	// Raw times -103 .. 250 ms; decimation starts at 103 % 3 = 1.
	if ep.NTimes() != len(ep.Times) || math.Abs(ep.Times[0]-(-0.102)) > 1e-12 || ep.Info.SFreq != 1000.0/3 {
		t.Fatalf("times start %g, n %d, sfreq %g", ep.Times[0], ep.NTimes(), ep.Info.SFreq)
	}
	nt := ep.NTimes()
	for i, e := range ep.Events {
		start := e.Sample - 103 - src.first
		for k, p := range []int{0, 2, 3, 4} {
			row := src.data[int64(p)*src.n+start : int64(p)*src.n+start+354]
			mean := 0.0
			if p != 4 { // stim channels are not baseline corrected
				for _, v := range row[53:114] { // -50 .. 10 ms
					mean += v
				}
				mean /= 61
			}
			for j := range nt {
				want := row[1+3*j] - mean
				if got := ep.Epoch(i)[k*nt+j]; math.Abs(got-want) > 1e-12*math.Abs(want)+1e-30 {
					t.Fatalf("epoch %d ch %d sample %d: %g, want %g", i, p, j, got, want)
				}
			}
		}
	}
}

func TestRejectWindowAndFlat(t *testing.T) {
	src := synth(6000)
	// A spike on the magnetometer 120 ms after the second event.
	src.data[2*src.n+(2500+120-src.first)] += 1e-9
	ev := []fif.Event{{Sample: 1500, ID: 1}, {Sample: 2500, ID: 1}, {Sample: 3500, ID: 1}}
	opt := Options{Tmin: -0.1, Tmax: 0.3, Baseline: BaselineNoneZero(), Reject: Thresholds{{"mag", 1e-10}}}
	ep := mustNew(t, src, ev, opt)
	if !slices.Equal(ep.DropLog[1], []string{"MEG0111"}) {
		t.Errorf("spike not rejected: %v", ep.DropLog)
	}
	// Outside the rejection window (which ends before 120 ms) it stays.
	opt.RejectTmax = ptr(0.1)
	if ep = mustNew(t, src, ev, opt); ep.Len() != 3 {
		t.Errorf("spike outside the window rejected: %v", ep.DropLog)
	}
	// MNE's window leaves out its last sample: ending at 0.12 s keeps it.
	opt.RejectTmax = ptr(0.12)
	if ep = mustNew(t, src, ev, opt); ep.Len() != 3 {
		t.Errorf("the sample at reject_tmax was tested: %v", ep.DropLog)
	}
	opt.RejectTmax = ptr(0.121)
	if ep = mustNew(t, src, ev, opt); ep.Len() != 2 {
		t.Errorf("spike inside the window kept: %v", ep.DropLog)
	}
	// Flat: a threshold above every gradiometer's range, bad channels
	// exempt.
	opt = Options{Tmin: -0.1, Tmax: 0.3, Flat: Thresholds{{"grad", 1e-9}}}
	ep, err := New(context.Background(), src, ev, opt)
	if !errors.Is(err, ErrAllDropped) || !slices.Equal(ep.DropLog[0], []string{"MEG0112", "MEG0113"}) {
		t.Errorf("flat: %v %v", err, ep.DropLog)
	}
	src.info = &fif.Info{Chs: src.info.Chs, SFreq: 1000, Bads: []string{"MEG0113"}, Lowpass: 500}
	ep, _ = New(context.Background(), src, ev, Options{Tmin: -0.1, Tmax: 0.3, Flat: Thresholds{{"grad", 1e-9}}, Picks: []int{0, 1, 2}})
	if !slices.Equal(ep.DropLog[0], []string{"MEG0112"}) {
		t.Errorf("a bad channel was blamed: %v", ep.DropLog[0])
	}
}

func TestOverlappingAndShift(t *testing.T) {
	src := synth(8000)
	var ev []fif.Event
	for i := range 20 {
		ev = append(ev, fif.Event{Sample: int64(1000 + 300*i), ID: int32(1 + i%2)})
	}
	ids, _ := ParseEventID("x/a=1", "x/b=2")
	ep := mustNew(t, src, ev, Options{EventID: ids, Tmin: -0.2, Tmax: 0.5, Baseline: BaselineNoneZero(), Shift: 0.0345})
	if ep.Events[0].Sample != 1034 { // round(34.5) = 34, half to even
		t.Errorf("shifted event %d, want 1034", ep.Events[0].Sample)
	}
	// Overlapping windows read in spans give the same data as reading
	// each epoch alone.
	one := mustNew(t, src, ev[4:5], Options{EventID: ids[:1], Tmin: -0.2, Tmax: 0.5, Baseline: BaselineNoneZero(), Shift: 0.0345})
	if !slices.Equal(one.Epoch(0), ep.Epoch(4)) {
		t.Error("epoch read within a span differs from the same epoch read alone")
	}
	a, _ := ep.Select("a")
	if a.Len() != 10 || len(a.EventID) != 1 || a.DropLog[1][0] != "IGNORED" {
		t.Errorf("Select(a): %d epochs, ids %v, log %v", a.Len(), a.EventID, a.DropLog[:2])
	}
	if err := ep.Drop([]int{0, -1}, "USER"); err != nil || ep.Len() != 18 || ep.DropLog[19][0] != "USER" {
		t.Errorf("Drop: %v %d %v", err, ep.Len(), ep.DropLog[19])
	}
}

func TestMinimizeTimeDiff(t *testing.T) {
	// MNE's documented example, times x 10.
	keep := minimizeTimeDiff([]int64{35, 45, 1205, 1215}, []int64{10, 20, 30, 40, 1200, 1210})
	if !slices.Equal(keep, []bool{false, false, true, true, true, true}) {
		t.Errorf("keep = %v", keep)
	}
	if k := minimizeTimeDiff([]int64{33}, []int64{10, 30, 50}); !slices.Equal(k, []bool{false, true, false}) {
		t.Errorf("single: %v", k)
	}
}

func TestEqualizeAndConcatenate(t *testing.T) {
	src := synth(9000)
	var ev []fif.Event
	codes := []int32{1, 1, 2, 1, 1, 2, 1, 2, 1, 1}
	for i, c := range codes {
		ev = append(ev, fif.Event{Sample: int64(1000 + 700*i), ID: c})
	}
	ids, _ := ParseEventID("a=1", "b=2")
	opt := Options{EventID: ids, Tmin: -0.1, Tmax: 0.4, Baseline: BaselineNoneZero(), Decim: 2}
	r1 := mustNew(t, src, ev, opt)
	r2 := mustNew(t, src, ev[:6], opt)
	cat, err := Concatenate([]*Epochs{r1, r2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Len() != 16 || len(cat.DropLog) != 16 {
		t.Fatalf("concatenated %d epochs, log %d", cat.Len(), len(cat.DropLog))
	}
	// Offset: last event of run 1 + int((10 + tmax) * sfreq).
	shift := int64((10 + r1.Times[len(r1.Times)-1]) * 500)
	if got, want := cat.Events[10].Sample, ev[0].Sample+ev[9].Sample+shift; got != want {
		t.Errorf("first event of run 2 at %d, want %d", got, want)
	}
	dropped, err := cat.EqualizeEventCounts(nil)
	if err != nil {
		t.Fatal(err)
	}
	na, nb := 0, 0
	for _, e := range cat.Events {
		if e.ID == 1 {
			na++
		} else {
			nb++
		}
	}
	if na != nb || len(dropped) != 16-2*nb {
		t.Errorf("equalized to %d/%d, dropped %v", na, nb, dropped)
	}
	for _, d := range dropped {
		if !slices.Equal(cat.DropLog[d], []string{"EQUALIZED_COUNT"}) {
			t.Errorf("drop log of %d: %v", d, cat.DropLog[d])
		}
	}
}

func TestWriteRead(t *testing.T) {
	src := synth(6000)
	src.info.Projs = nil
	ev := []fif.Event{{Sample: 1500, ID: 5}, {Sample: 2500, ID: 6}, {Sample: 3500, ID: 5}, {Sample: 700, ID: 5}}
	ids, _ := ParseEventID("face/a=5", "face/b=6")
	ep := mustNew(t, src, ev, Options{EventID: ids, Tmin: -0.2, Tmax: 0.5, Baseline: BaselineNoneZero(), Decim: 2,
		Reject: Thresholds{{"grad", 1}}, RejectTmin: ptr(-0.1), Picks: []int{0, 1, 2, 3}})
	dir := t.TempDir()
	for _, f := range []string{"single", "double"} {
		p := filepath.Join(dir, f+"-epo.fif")
		if err := ep.Write(p, WriteOptions{Fmt: f}); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		checkOpen(t, p, got)
		if !slices.Equal(got.Events, ep.Events) || !slices.Equal(got.Selection, ep.Selection) ||
			dropLogJSON(got.DropLog) != dropLogJSON(ep.DropLog) || got.EventID.String() != ep.EventID.String() ||
			got.Reject.String() != ep.Reject.String() || *got.RejectTmin != -0.1 || got.RawSFreq != 1000 {
			t.Errorf("%s: metadata differs: %v %v %v %v", f, got.Events, got.Selection, got.DropLog, got.Reject)
		}
		if got.Baseline == nil || float32(got.Baseline[0]) != float32(ep.Baseline[0]) || got.Baseline[1] != 0 {
			t.Errorf("%s: baseline %v", f, got.Baseline)
		}
		tol := 4e-16 // (v / cal) * cal
		if f == "single" {
			tol = 1e-7
		}
		for i := range got.Data {
			for j, v := range got.Data[i] {
				if w := ep.Data[i][j]; math.Abs(v-w) > tol*math.Abs(w) {
					t.Fatalf("%s: epoch %d value %d = %g, want %g", f, i, j, v, w)
				}
			}
		}
		for i := range got.Times {
			if math.Abs(got.Times[i]-ep.Times[i]) > 1e-12 {
				t.Fatalf("%s: times differ", f)
			}
		}
	}
	// Averages: one per condition, data channels only (no EOG).
	evs, err := ep.AverageConditions()
	if err != nil || len(evs) != 2 || evs[0].Comment != "face/a" || len(evs[0].Info.Chs) != 3 || evs[0].Nave != 3 {
		t.Fatalf("averages: %v %d", err, evs[0].Nave)
	}
	all, _ := ep.Average()
	if all.Comment != "0.75 × face/a + 0.25 × face/b" || all.First != -100 {
		t.Errorf("comment %q first %d", all.Comment, all.First)
	}
	if err := fif.WriteEvokeds(filepath.Join(dir, "x-ave.fif"), evs); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(filepath.Join(dir, "x-ave.fif")); err == nil {
		t.Error("an -ave.fif file read as epochs")
	}
}

func TestRejectByAnnotation(t *testing.T) {
	src := synth(6000)
	ev := []fif.Event{{Sample: 1500, ID: 1}, {Sample: 2500, ID: 1}, {Sample: 3500, ID: 1}}
	opt := Options{Tmin: -0.1, Tmax: 0.3, Baseline: BaselineNoneZero(), Annotations: []Annotation{
		{Onset: 1.9, Duration: 0.1, Description: "BAD_blink"}, // 2400-2500 absolute: overlaps epoch 2
		{Onset: 3.5, Duration: 0.5, Description: "edge"},      // not bad
		{Onset: 0.5, Duration: 0.4, Description: "bad_acq"},   // ends at 1400: before epoch 1
	}}
	ep := mustNew(t, src, ev, opt)
	if ep.Len() != 2 || !slices.Equal(ep.DropLog[1], []string{"BAD_blink"}) {
		t.Errorf("drop log %v", ep.DropLog)
	}
	// The rejection window decides: starting at 0.05 s it misses the blink.
	opt.RejectTmin = ptr(0.05)
	if ep = mustNew(t, src, ev, opt); ep.Len() != 3 {
		t.Errorf("blink before reject_tmin rejected: %v", ep.DropLog)
	}
}

func TestConcatenateEvents(t *testing.T) {
	got, err := ConcatenateEvents([][]fif.Event{{{Sample: 150, ID: 1}}, {{Sample: 1020, ID: 2}}, {{Sample: 7, ID: 3}}},
		[]int64{100, 1000, 5}, []int64{599, 1499, 104})
	if err != nil {
		t.Fatal(err)
	}
	// Run 2 starts at 100 + 500, run 3 at 100 + 500 + 500.
	want := []fif.Event{{Sample: 150, ID: 1}, {Sample: 620, ID: 2}, {Sample: 1102, ID: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// checkOpen checks that Open + ReadEpoch give what Read gives, bit for
// bit, and refuse epochs out of range.
func checkOpen(t *testing.T, path string, want *Epochs) {
	t.Helper()
	lf, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if lf.Len() != want.Len() || lf.NChan() != want.NChan() || !slices.Equal(lf.Times, want.Times) || lf.Data != nil {
		t.Fatalf("Open: %d epochs %d channels %d times, want %d %d %d", lf.Len(), lf.NChan(), lf.NTimes(), want.Len(), want.NChan(), want.NTimes())
	}
	var buf []float64
	for i := range want.Len() {
		if buf, err = lf.ReadEpoch(i, buf); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(buf, want.Data[i]) {
			t.Fatalf("ReadEpoch(%d) differs from Read", i)
		}
	}
	if _, err := lf.ReadEpoch(want.Len(), nil); err == nil {
		t.Error("ReadEpoch past the end: no error")
	}
	a, err := want.AverageConditions()
	if err != nil {
		t.Fatal(err)
	}
	b, err := lf.AverageConditions()
	if err != nil {
		t.Fatal(err)
	}
	all, err := want.Average()
	if err != nil {
		t.Fatal(err)
	}
	all2, err := lf.Average()
	if err != nil {
		t.Fatal(err)
	}
	a, b = append(a, all), append(b, all2)
	for i := range a {
		if a[i].Comment != b[i].Comment || a[i].Nave != b[i].Nave || !slices.Equal(a[i].Data, b[i].Data) {
			t.Errorf("average %d from the file: %q nave %d, want %q nave %d (or data differ)", i, b[i].Comment, b[i].Nave, a[i].Comment, a[i].Nave)
		}
	}
}
