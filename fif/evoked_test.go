package fif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

const evokedGolden = "evoked/test_elekta-ave"

func readEvokedsT(t *testing.T, path string) []*Evoked {
	t.Helper()
	evs, err := ReadEvokeds(path)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestEvokedGolden(t *testing.T) {
	g := fobjGolden(t)
	evs := readEvokedsT(t, fobjData(t, "test_elekta-ave.fif"))
	n, err := g.AttrInt64(evokedGolden, "n_evoked")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(evs)) != n {
		t.Fatalf("%d evoked data sets, MNE %d", len(evs), n)
	}
	for i, ev := range evs {
		grp := fmt.Sprintf("%s/%02d", evokedGolden, i)
		for _, c := range []struct {
			attr string
			got  string
		}{{"comment", ev.Comment}, {"kind", ev.Kind}} {
			want, err := g.AttrString(grp, c.attr)
			if err != nil {
				t.Fatal(err)
			}
			if c.got != want {
				t.Errorf("%s: %s %q, MNE %q", grp, c.attr, c.got, want)
			}
		}
		for _, c := range []struct {
			attr string
			got  int
		}{{"nave", ev.Nave}, {"first", ev.First}, {"last", ev.Last}} {
			want, err := g.AttrInt64(grp, c.attr)
			if err != nil {
				t.Fatal(err)
			}
			if int64(c.got) != want {
				t.Errorf("%s: %s %d, MNE %d", grp, c.attr, c.got, want)
			}
		}
		sfreq, err := g.AttrFloat64(grp, "sfreq")
		if err != nil {
			t.Fatal(err)
		}
		if ev.Info.SFreq != sfreq {
			t.Errorf("%s: sfreq %v, MNE %v", grp, ev.Info.SFreq, sfreq)
		}
		names, err := g.ReadStrings(grp + "/ch_names")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ev.Info.ChNames(), names) {
			t.Errorf("%s: channel names differ from MNE's", grp)
		}
		times, _, err := g.ReadFloat64(grp + "/times")
		if err != nil {
			t.Fatal(err)
		}
		fobjBitEqual(t, grp+" times", ev.Times, times)
		data, dims, err := g.ReadFloat64(grp + "/data")
		if err != nil {
			t.Fatal(err)
		}
		if len(dims) != 2 || dims[0] != ev.Info.NChan() || dims[1] != ev.NTimes() {
			t.Errorf("%s: data %d x %d, MNE %v", grp, ev.Info.NChan(), ev.NTimes(), dims)
		}
		fobjBitEqual(t, grp+" data", ev.Data, data)
		if ev.Baseline != nil || ev.MaxShield {
			t.Errorf("%s: baseline %v, maxshield %v; the file has neither", grp, ev.Baseline, ev.MaxShield)
		}
	}
	// Each data set has its own info.
	evs[0].Info.Bads = append(evs[0].Info.Bads, "changed")
	if slices.Contains(evs[1].Info.Bads, "changed") {
		t.Error("evoked data sets share their Info")
	}
}

// evokedStoredAs returns what writing ev and reading it back gives, as the
// format implies (and MNE computes): the first time in single precision
// plus i / sfreq, and each value divided by cal (as a multiplication by
// 1/cal), rounded to single precision and multiplied by cal again.
func evokedStoredAs(ev *Evoked) (times, data []float64) {
	sfreq := ev.Info.SFreq
	t0 := float64(float32(ev.Times[0]))
	times = make([]float64, len(ev.Times))
	for i := range times {
		times[i] = t0 + float64(i)/sfreq
	}
	nt := len(ev.Times)
	data = make([]float64, len(ev.Data))
	for k, c := range ev.Info.Chs {
		decal := 1.0 / c.Cal
		for j := range nt {
			data[k*nt+j] = float64(float32(decal*ev.Data[k*nt+j])) * c.Cal
		}
	}
	return times, data
}

func evokedEqual(t *testing.T, what string, got, want *Evoked, wantTimes, wantData []float64) {
	t.Helper()
	if got.Comment != want.Comment || got.Kind != want.Kind || got.Nave != want.Nave ||
		got.First != want.First || got.Last != want.Last || got.MaxShield != want.MaxShield {
		t.Errorf("%s: %q %s nave %d [%d, %d] maxshield %v, want %q %s nave %d [%d, %d] maxshield %v", what,
			got.Comment, got.Kind, got.Nave, got.First, got.Last, got.MaxShield,
			want.Comment, want.Kind, want.Nave, want.First, want.Last, want.MaxShield)
	}
	if (got.Baseline == nil) != (want.Baseline == nil) || (got.Baseline != nil && *got.Baseline != *want.Baseline) {
		t.Errorf("%s: baseline %v, want %v", what, got.Baseline, want.Baseline)
	}
	if got.Info.SFreq != want.Info.SFreq || !slices.Equal(got.Info.ChNames(), want.Info.ChNames()) || !slices.Equal(got.Info.Bads, want.Info.Bads) {
		t.Errorf("%s: info differs (sfreq %v vs %v, bads %q vs %q)", what, got.Info.SFreq, want.Info.SFreq, got.Info.Bads, want.Info.Bads)
	}
	for k, c := range got.Info.Chs {
		if w := want.Info.Chs[k]; c.Cal != w.Cal || c.Kind != w.Kind || c.CoilType != w.CoilType || c.Loc != w.Loc {
			t.Errorf("%s: channel %s differs: %+v vs %+v", what, c.Name, c, w)
			break
		}
	}
	fobjBitEqual(t, what+" times", got.Times, wantTimes)
	fobjBitEqual(t, what+" data", got.Data, wantData)
}

func TestEvokedRoundTrip(t *testing.T) {
	evs := readEvokedsT(t, fobjData(t, "test_elekta-ave.fif"))
	// Exercise the optional fields on one data set.
	evs[1].Baseline = &[2]float64{-0.05, 0}
	evs[2].Kind = "standard_error"
	p := filepath.Join(t.TempDir(), "x-ave.fif")
	if err := WriteEvokeds(p, evs); err != nil {
		t.Fatal(err)
	}
	back := readEvokedsT(t, p)
	if len(back) != len(evs) {
		t.Fatalf("read back %d data sets, wrote %d", len(back), len(evs))
	}
	for i, ev := range evs {
		times, data := evokedStoredAs(ev)
		want := *ev
		if ev.Baseline != nil {
			want.Baseline = &[2]float64{float64(float32(ev.Baseline[0])), float64(float32(ev.Baseline[1]))}
		}
		evokedEqual(t, fmt.Sprintf("data set %d", i), back[i], &want, times, data)
	}
	// Writing what was read back reproduces it exactly: the file values
	// are fixed points of the conversion.
	p2 := filepath.Join(t.TempDir(), "y-ave.fif")
	if err := WriteEvokeds(p2, back); err != nil {
		t.Fatal(err)
	}
	again := readEvokedsT(t, p2)
	for i := range back {
		evokedEqual(t, fmt.Sprintf("second round, data set %d", i), again[i], back[i], back[i].Times, back[i].Data)
	}
}

// evokedTestInfo is a minimal measurement info: two gradiometers and an
// EEG channel, at 1000 Hz.
func evokedTestInfo() *Info {
	in := &Info{SFreq: 1000, Lowpass: 330, LineFreq: 50, GantryAngle: math.NaN()}
	for i, name := range []string{"MEG 0113", "MEG 0112", "EEG 001"} {
		ch := Channel{Name: name, ScanNo: int32(i + 1), LogNo: int32(i + 1), Kind: KindMEG, Range: 1,
			Cal: 3.1e-4 * float64(i+1), CoilType: CoilVVPlanarT1, Unit: UnitTM, CoordFrame: FrameDevice}
		if i == 2 {
			ch.Kind, ch.CoilType, ch.Unit, ch.CoordFrame = KindEEG, CoilEEG, UnitV, FrameHead
		}
		ch.Loc = [12]float64{0.01, 0.02, 0.03, 1, 0, 0, 0, 1, 0, 0, 0, 1}
		in.Chs = append(in.Chs, ch)
	}
	in.Bads = []string{"MEG 0112"}
	return in
}

// writeHandmadeEvoked writes a measurement with the test info and one
// evoked block whose content body writes.
func writeHandmadeEvoked(t *testing.T, path string, body func(w *tree.Writer)) {
	t.Helper()
	w, err := tree.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	if err := WriteInfo(w, evokedTestInfo(), 0, true); err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockProcessedData)
	w.StartBlock(tag.BlockEvoked)
	body(w)
	w.EndBlock(tag.BlockEvoked)
	w.EndBlock(tag.BlockProcessedData)
	w.EndBlock(tag.BlockMeas)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEvokedLayouts(t *testing.T) {
	dir := t.TempDir()
	in := evokedTestInfo()
	// Old style: one FIFF_EPOCH vector per channel, in various types, and
	// the time axis from the first and last sample.
	p := filepath.Join(dir, "old-ave.fif")
	writeHandmadeEvoked(t, p, func(w *tree.Writer) {
		w.Int32s(tag.FirstSample, -2)
		w.Int32s(tag.LastSample, 1)
		w.String(tag.Comment, "block comment")
		w.StartBlock(tag.BlockAspect)
		w.String(tag.Comment, "aspect comment")
		w.Int32s(tag.AspectKind, 101)
		w.Int32s(tag.Nave, 12)
		w.Float32s(tag.Epoch, 1, 2, 3, 4)
		w.Float64s(tag.Epoch, 0.1, 0.2, 0.3, 0.4)
		op := tag.AppendFloat32s(nil, 0.5, 2) // offset, scale
		for _, v := range []int16{-1, 0, 1, 2} {
			op = binary.BigEndian.AppendUint16(op, uint16(v))
		}
		w.WriteTag(tag.Epoch, tag.OldPack, op)
		w.EndBlock(tag.BlockAspect)
	})
	evs := readEvokedsT(t, p)
	if len(evs) != 1 {
		t.Fatalf("%d data sets", len(evs))
	}
	ev := evs[0]
	if ev.Comment != "aspect comment" || ev.Kind != "standard_error" || ev.Nave != 12 || ev.First != -2 || ev.Last != 1 {
		t.Errorf("read %q %s nave %d [%d, %d]", ev.Comment, ev.Kind, ev.Nave, ev.First, ev.Last)
	}
	fobjBitEqual(t, "times", ev.Times, []float64{-2.0 / 1000, -1.0 / 1000, 0, 1.0 / 1000})
	c := []float64{in.Chs[0].Cal, in.Chs[1].Cal, in.Chs[2].Cal}
	c32 := []float64{float64(float32(c[0])), float64(float32(c[1])), float64(float32(c[2]))}
	want := []float64{1 * c32[0], 2 * c32[0], 3 * c32[0], 4 * c32[0],
		0.1 * c32[1], 0.2 * c32[1], 0.3 * c32[1], 0.4 * c32[1],
		(-1*2 + 0.5) * c32[2], 0.5 * c32[2], (1*2 + 0.5) * c32[2], (2*2 + 0.5) * c32[2]}
	fobjBitEqual(t, "data", ev.Data, want)
	if !slices.Equal(ev.Info.Bads, []string{"MEG 0112"}) {
		t.Errorf("bads %q", ev.Info.Bads)
	}

	// No comment anywhere, default nave, first time in the block.
	p = filepath.Join(dir, "bare-ave.fif")
	writeHandmadeEvoked(t, p, func(w *tree.Writer) {
		w.Float32s(tag.FirstTime, -0.001)
		w.Int32s(tag.NoSamples, 2)
		w.StartBlock(tag.BlockAspect)
		w.Int32s(tag.AspectKind, 100)
		w.Matrix(tag.Epoch, tag.Double, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6})
		w.EndBlock(tag.BlockAspect)
	})
	ev = readEvokedsT(t, p)[0]
	if ev.Comment != "No comment" || ev.Nave != 1 || ev.Kind != "average" || ev.First != -1 || ev.Last != 0 {
		t.Errorf("read %q nave %d %s [%d, %d]", ev.Comment, ev.Nave, ev.Kind, ev.First, ev.Last)
	}
	t0 := float64(float32(-0.001))
	fobjBitEqual(t, "times", ev.Times, []float64{t0, t0 + 1.0/1000})
}

// TestEvokedLocalChannels reads an evoked block that carries its own
// channel information and sampling frequency (as old MNE-C files may),
// following _read_evoked: the local channels and sampling frequency replace
// the measurement's; bad channels that are not local channels are dropped.
func TestEvokedLocalChannels(t *testing.T) {
	p := filepath.Join(t.TempDir(), "local-ave.fif")
	local := evokedTestInfo().Chs
	for i := range local {
		local[i].Cal *= 10
	}
	local[1].Name = "MEG 0111" // the measurement's bad channel "MEG 0112" is no longer there
	writeHandmadeEvoked(t, p, func(w *tree.Writer) {
		w.Int32s(tag.NChan, 3)
		w.Float32s(tag.SFreq, 500)
		for i, c := range local {
			w.WriteTag(tag.ChInfo, tag.ChInfoStruct, tag.AppendChInfo(nil, channelRec(c, c.Name, int32(i+1), false)))
		}
		w.Int32s(tag.FirstSample, 5)
		w.Int32s(tag.LastSample, 6)
		w.StartBlock(tag.BlockAspect)
		w.Int32s(tag.AspectKind, 100)
		w.Int32s(tag.Nave, 4)
		w.Matrix(tag.Epoch, tag.Float, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6})
		w.EndBlock(tag.BlockAspect)
	})
	ev := readEvokedsT(t, p)[0]
	if ev.Info.SFreq != 500 || !slices.Equal(ev.Info.ChNames(), []string{"MEG 0113", "MEG 0111", "EEG 001"}) {
		t.Errorf("sfreq %v, channels %q", ev.Info.SFreq, ev.Info.ChNames())
	}
	if len(ev.Info.Bads) != 0 {
		t.Errorf("bads %q; the measurement's bad channel is not among the local channels", ev.Info.Bads)
	}
	fobjBitEqual(t, "times", ev.Times, []float64{5.0 / 500, 6.0 / 500})
	var want []float64
	for k, c := range local {
		cal := float64(float32(c.Cal))
		want = append(want, float64(2*k+1)*cal, float64(2*k+2)*cal)
	}
	fobjBitEqual(t, "data", ev.Data, want)
	if ev.First != 5 || ev.Last != 6 {
		t.Errorf("first %d, last %d", ev.First, ev.Last)
	}
	// No comparison with MNE-Python here: MNE 1.3 itself fails on such
	// files ("chs cannot be set directly" in _read_evoked).
}

func TestEvokedErrors(t *testing.T) {
	cov := fobjData(t, "sample_audvis-cov.fif")
	_, err := ReadEvokeds(cov)
	fobjErrorMentions(t, err, cov, "FIFFB_MEAS")
	raw := fobjData(t, "test_elekta_3ch_raw.fif")
	_, err = ReadEvokeds(raw)
	fobjErrorMentions(t, err, raw, "FIFFB_PROCESSED_DATA")

	dir := t.TempDir()
	aspect := func(kind int32, epochs func(w *tree.Writer)) func(w *tree.Writer) {
		return func(w *tree.Writer) {
			w.Int32s(tag.FirstSample, 0)
			w.Int32s(tag.LastSample, 1)
			w.StartBlock(tag.BlockAspect)
			if kind != 0 {
				w.Int32s(tag.AspectKind, kind)
			}
			epochs(w)
			w.EndBlock(tag.BlockAspect)
		}
	}
	twoByThree := func(w *tree.Writer) { w.Matrix(tag.Epoch, tag.Float, []int{3, 2}, make([]float64, 6)) }
	for _, c := range []struct {
		name string
		body func(w *tree.Writer)
		msg  string
	}{
		{"noaspect-ave.fif", func(w *tree.Writer) { w.Int32s(tag.FirstSample, 0) }, "FIFFB_ASPECT"},
		{"nokind-ave.fif", aspect(0, twoByThree), "FIFF_ASPECT_KIND"},
		{"oddkind-ave.fif", aspect(77, twoByThree), "unknown aspect kind 77"},
		{"noepoch-ave.fif", aspect(100, func(*tree.Writer) {}), "0 FIFF_EPOCH tags for 3 channels"},
		{"twoepochs-ave.fif", aspect(100, func(w *tree.Writer) { twoByThree(w); twoByThree(w) }), "2 FIFF_EPOCH tags"},
		{"wrongshape-ave.fif", aspect(100, func(w *tree.Writer) {
			w.Matrix(tag.Epoch, tag.Float, []int{2, 3}, make([]float64, 6))
		}), "dimensions [2 3] for 3 channels"},
		{"ragged-ave.fif", aspect(100, func(w *tree.Writer) {
			w.Float32s(tag.Epoch, 1, 2)
			w.Float32s(tag.Epoch, 1, 2)
			w.Float32s(tag.Epoch, 1)
		}), "1 samples where the first channel has 2"},
		{"samples-ave.fif", aspect(100, func(w *tree.Writer) {
			w.Matrix(tag.Epoch, tag.Float, []int{3, 5}, make([]float64, 15))
		}), "5 samples where the time information gives 2"},
		{"notime-ave.fif", func(w *tree.Writer) {
			w.StartBlock(tag.BlockAspect)
			w.Int32s(tag.AspectKind, 100)
			twoByThree(w)
			w.EndBlock(tag.BlockAspect)
		}, "no time information"},
		{"badpack-ave.fif", aspect(100, func(w *tree.Writer) {
			for range 3 {
				w.WriteTag(tag.Epoch, tag.OldPack, []byte{1, 2, 3})
			}
		}), "old_pack"},
	} {
		p := filepath.Join(dir, c.name)
		writeHandmadeEvoked(t, p, c.body)
		_, err := ReadEvokeds(p)
		fobjErrorMentions(t, err, p, c.msg)
	}

	// Writing refuses inconsistent data sets and leaves nothing behind.
	good := func() *Evoked {
		return &Evoked{Info: evokedTestInfo(), Kind: "average", Nave: 3, First: 0, Last: 1, Times: []float64{0, 0.001}, Data: make([]float64, 6)}
	}
	other := good()
	other.Info.Chs[2].Name = "EEG 002"
	zeroCal := good()
	zeroCal.Info.Chs[0].Cal = 0
	for _, c := range []struct {
		evs []*Evoked
		msg string
	}{
		{nil, "no evoked data sets"},
		{[]*Evoked{{Kind: "average"}}, "no measurement info"},
		{[]*Evoked{func() *Evoked { e := good(); e.Data = e.Data[:5]; return e }()}, "5 values for 3 channels x 2 times"},
		{[]*Evoked{func() *Evoked { e := good(); e.Kind = "mean"; return e }()}, "unknown kind \"mean\""},
		{[]*Evoked{func() *Evoked { e := good(); e.Times = nil; e.Data = nil; return e }()}, "no time points"},
		{[]*Evoked{good(), other}, "other channels"},
		{[]*Evoked{zeroCal}, "calibration 0"},
	} {
		p := filepath.Join(dir, "out-ave.fif")
		fobjErrorMentions(t, WriteEvokeds(p, c.evs), p, c.msg)
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("failed write left %s behind", p)
		}
	}
}

// evokedMNEDump is the metadata the Python snippet reports per data set;
// times and data go to a binary file (little-endian float64, data set
// after data set: times, then data).
type evokedMNEDump struct {
	Comment  string    `json:"comment"`
	Kind     string    `json:"kind"`
	Nave     int       `json:"nave"`
	First    int       `json:"first"`
	Last     int       `json:"last"`
	SFreq    float64   `json:"sfreq"`
	ChNames  []string  `json:"ch_names"`
	Bads     []string  `json:"bads"`
	Baseline []float64 `json:"baseline"`
	Cals     []float64 `json:"cals"`
	NTimes   int       `json:"n_times"`
	Shape    [2]int    `json:"shape"`
}

// evokedMNERead reads evoked files with mne.read_evokeds(f, baseline=None,
// proj=False) and returns, per file, the data sets as Evoked values.
// Before reading, it writes MNE's own copy of src (with a baseline applied
// to the first data set) to mneOut when src is not empty.
func evokedMNERead(t *testing.T, src, mneOut string, files ...string) [][]*Evoked {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "evoked.bin")
	var dumps [][]evokedMNEDump
	fobjMNE(t, &dumps, `
import sys, json, mne, numpy as np
src, mne_out, binpath = sys.argv[1:4]
files = sys.argv[4:]
if src:
    evs = mne.read_evokeds(src, baseline=None, proj=False)
    evs[0].apply_baseline((None, 0))
    mne.write_evokeds(mne_out, evs)
out = []
with open(binpath, 'wb') as fb:
    for f in files:
        this = []
        for ev in mne.read_evokeds(f, baseline=None, proj=False):
            np.asarray(ev.times, '<f8').tofile(fb)
            np.asarray(ev.data, '<f8').tofile(fb)
            this.append(dict(comment=ev.comment, kind=ev.kind, nave=int(ev.nave), first=int(ev.first),
                             last=int(ev.last), sfreq=float(ev.info['sfreq']), ch_names=ev.ch_names,
                             bads=list(ev.info['bads']),
                             baseline=None if ev.baseline is None else [float(b) for b in ev.baseline],
                             cals=[float(c['cal']) for c in ev.info['chs']],
                             n_times=len(ev.times), shape=list(ev.data.shape)))
        out.append(this)
print(json.dumps(out))
`, append([]string{src, mneOut, bin}, files...)...)
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	next := func(n int) []float64 {
		if len(raw) < 8*n {
			t.Fatalf("binary dump too short")
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		raw = raw[8*n:]
		return v
	}
	var out [][]*Evoked
	for _, file := range dumps {
		var evs []*Evoked
		for _, d := range file {
			ev := &Evoked{Comment: d.Comment, Kind: d.Kind, Nave: d.Nave, First: d.First, Last: d.Last,
				Info: &Info{SFreq: d.SFreq, Bads: d.Bads}}
			for k, name := range d.ChNames {
				ev.Info.Chs = append(ev.Info.Chs, Channel{Name: name, Cal: d.Cals[k]})
			}
			if d.Baseline != nil {
				ev.Baseline = &[2]float64{d.Baseline[0], d.Baseline[1]}
			}
			ev.Times = next(d.NTimes)
			ev.Data = next(d.Shape[0] * d.Shape[1])
			evs = append(evs, ev)
		}
		out = append(out, evs)
	}
	if len(raw) != 0 {
		t.Fatalf("%d bytes left in the binary dump", len(raw))
	}
	return out
}

// evokedSameAsMNE compares megflow's reading of a file with MNE's.
func evokedSameAsMNE(t *testing.T, what string, got, mne []*Evoked) {
	t.Helper()
	if len(got) != len(mne) {
		t.Errorf("%s: megflow reads %d data sets, MNE %d", what, len(got), len(mne))
		return
	}
	for i, m := range mne {
		g := got[i]
		w := fmt.Sprintf("%s, data set %d", what, i)
		if g.Comment != m.Comment || g.Kind != m.Kind || g.Nave != m.Nave || g.First != m.First || g.Last != m.Last {
			t.Errorf("%s: megflow %q %s nave %d [%d, %d], MNE %q %s nave %d [%d, %d]", w,
				g.Comment, g.Kind, g.Nave, g.First, g.Last, m.Comment, m.Kind, m.Nave, m.First, m.Last)
		}
		if (g.Baseline == nil) != (m.Baseline == nil) || (g.Baseline != nil && *g.Baseline != *m.Baseline) {
			t.Errorf("%s: baseline %v, MNE %v", w, g.Baseline, m.Baseline)
		}
		if g.Info.SFreq != m.Info.SFreq || !slices.Equal(g.Info.ChNames(), m.Info.ChNames()) || !slices.Equal(g.Info.Bads, m.Info.Bads) {
			t.Errorf("%s: sfreq/channels/bads differ from MNE's (bads %q vs %q)", w, g.Info.Bads, m.Info.Bads)
		}
		for k := range m.Info.Chs {
			if k < len(g.Info.Chs) && g.Info.Chs[k].Cal != m.Info.Chs[k].Cal {
				t.Errorf("%s: channel %d cal %v, MNE %v", w, k, g.Info.Chs[k].Cal, m.Info.Chs[k].Cal)
				break
			}
		}
		fobjBitEqual(t, w+" times", g.Times, m.Times)
		fobjBitEqual(t, w+" data", g.Data, m.Data)
	}
}

// TestEvokedMNE checks megflow against MNE-Python on three files: the
// original, the file megflow writes from it, and the file MNE writes from
// it (with a baseline on the first data set, so that the baseline tags are
// exercised). MNE must read megflow's file as megflow does, and what both
// read there must be the original data through one single-precision store.
func TestEvokedMNE(t *testing.T) {
	src := fobjData(t, "test_elekta-ave.fif")
	orig := readEvokedsT(t, src)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours-ave.fif")
	if err := WriteEvokeds(ours, orig); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(dir, "mne-ave.fif")
	mne := evokedMNERead(t, src, theirs, src, ours, theirs)
	if len(mne) != 3 {
		t.Fatalf("snippet read %d files", len(mne))
	}
	evokedSameAsMNE(t, "original", orig, mne[0])
	oursBack := readEvokedsT(t, ours)
	evokedSameAsMNE(t, "written by megflow", oursBack, mne[1])
	for i, ev := range orig {
		times, data := evokedStoredAs(ev)
		fobjBitEqual(t, fmt.Sprintf("MNE's read of megflow's file, data set %d, times", i), mne[1][i].Times, times)
		fobjBitEqual(t, fmt.Sprintf("MNE's read of megflow's file, data set %d, data", i), mne[1][i].Data, data)
	}
	theirsBack := readEvokedsT(t, theirs)
	evokedSameAsMNE(t, "written by MNE", theirsBack, mne[2])
	if theirsBack[0].Baseline == nil {
		t.Error("baseline written by MNE not read")
	}
	// From the same data, megflow and MNE store the same bytes (data sets
	// 1.. ; MNE's first one was baseline corrected).
	a, b := evokedEpochPayloads(t, ours), evokedEpochPayloads(t, theirs)
	if len(a) != len(orig) || len(b) != len(orig) {
		t.Fatalf("%d and %d FIFF_EPOCH tags for %d data sets", len(a), len(b), len(orig))
	}
	for i := 1; i < len(a); i++ {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("data set %d: the stored matrix differs from the one MNE writes", i)
		}
	}
}

// evokedEpochPayloads returns the FIFF_EPOCH payloads of a file in order.
func evokedEpochPayloads(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := tree.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	for _, e := range f.Dir {
		if e.Kind == tag.Epoch {
			b, err := f.Payload(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}
