package fif

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/internal/h5"
)

// infoSharedDir returns ../../shared (the reference data next to the
// repository) or skips the test.
func infoSharedDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("reference data %s not found: skipping (it holds the golden files and recordings)", dir)
	}
	return dir
}

var goldenRawStems = []string{
	"141027_cropped_90Hz_raw",
	"facerec_sim_raw",
	"sample_audvis_trunc_raw_sss",
	"test_elekta_3ch_raw",
	"test_move_anon_erm_raw",
}

func readInfoFile(t *testing.T, path string) *Info {
	t.Helper()
	f, err := tree.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, _, err := ReadInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// golden wraps the golden file with fatal-on-error accessors.
type golden struct {
	t *testing.T
	f *h5.File
}

func (g golden) floats(name string) ([]float64, []int) {
	g.t.Helper()
	v, dims, err := g.f.ReadFloat64(name)
	if err != nil {
		g.t.Fatal(err)
	}
	return v, dims
}

func (g golden) ints(name string) []int64 {
	g.t.Helper()
	v, _, err := g.f.ReadInt64(name)
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

func (g golden) strings(name string) []string {
	g.t.Helper()
	v, err := g.f.ReadStrings(name)
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

func (g golden) attrFloat(obj, attr string) float64 {
	g.t.Helper()
	v, err := g.f.AttrFloat64(obj, attr)
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

func TestReadInfoGolden(t *testing.T) {
	shared := infoSharedDir(t)
	gpath := filepath.Join(shared, "golden", "fif_read.h5")
	hf, err := h5.Open(gpath)
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	g := golden{t, hf}
	for _, stem := range goldenRawStems {
		t.Run(stem, func(t *testing.T) {
			g := golden{t, g.f}
			grp := "raw/" + stem
			rel, err := hf.AttrString(grp, "file")
			if err != nil {
				t.Fatal(err)
			}
			in := readInfoFile(t, filepath.Join(filepath.Dir(shared), rel))
			in.KeepKnownBads() // read_raw_fif cleans the bads
			checkInfoAgainstGolden(t, g, grp, in)
		})
	}
}

func checkInfoAgainstGolden(t *testing.T, g golden, grp string, in *Info) {
	names := g.strings(grp + "/ch_names")
	if !reflect.DeepEqual(names, in.ChNames()) {
		t.Fatalf("ch_names differ:\n golden %v\n megflow %v", names, in.ChNames())
	}
	n := len(names)
	intField := map[string]func(Channel) int64{
		"kind":        func(c Channel) int64 { return int64(c.Kind) },
		"coil_type":   func(c Channel) int64 { return int64(c.CoilType) },
		"unit":        func(c Channel) int64 { return int64(c.Unit) },
		"unit_mul":    func(c Channel) int64 { return int64(c.UnitMul) },
		"coord_frame": func(c Channel) int64 { return int64(c.CoordFrame) },
		"logno":       func(c Channel) int64 { return int64(c.LogNo) },
		"scanno":      func(c Channel) int64 { return int64(c.ScanNo) },
	}
	for key, get := range intField {
		want := g.ints(grp + "/" + key)
		for i := range n {
			if got := get(in.Chs[i]); got != want[i] {
				t.Errorf("%s of %s: golden %d, megflow %d", key, names[i], want[i], got)
			}
		}
	}
	cal, _ := g.floats(grp + "/cal")
	rng, _ := g.floats(grp + "/range")
	loc, dims := g.floats(grp + "/loc")
	if !reflect.DeepEqual(dims, []int{n, 12}) {
		t.Fatalf("golden loc dims %v", dims)
	}
	for i, c := range in.Chs {
		if c.Cal != cal[i] || c.Range != rng[i] {
			t.Errorf("%s: cal/range golden %v/%v, megflow %v/%v", c.Name, cal[i], rng[i], c.Cal, c.Range)
		}
		for j := range 12 {
			if !sameFloat(c.Loc[j], loc[12*i+j]) {
				t.Errorf("%s: loc[%d] golden %v, megflow %v", c.Name, j, loc[12*i+j], c.Loc[j])
			}
		}
	}
	for _, a := range []struct {
		name string
		got  float64
	}{{"sfreq", in.SFreq}, {"highpass", in.Highpass}, {"lowpass", in.Lowpass}} {
		if want := g.attrFloat(grp, a.name); want != a.got {
			t.Errorf("%s: golden %v, megflow %v", a.name, want, a.got)
		}
	}
	stamp, err := g.f.AttrInt64s(grp, "meas_date_secs_usecs")
	if err != nil {
		t.Fatal(err)
	}
	if !in.HasMeasDate || in.MeasDate.Unix() != stamp[0] || int64(in.MeasDate.Nanosecond()/1000) != stamp[1] || in.MeasDate.Nanosecond()%1000 != 0 {
		t.Errorf("meas_date: golden %v, megflow %v (has %v)", stamp, in.MeasDate, in.HasMeasDate)
	}
	if g.f.Exists(grp + "/dev_head_t") {
		m, _ := g.floats(grp + "/dev_head_t")
		if in.DevHeadT == nil || in.DevHeadT.From != FrameDevice || in.DevHeadT.To != FrameHead {
			t.Fatalf("dev_head_t: golden present, megflow %+v", in.DevHeadT)
		}
		for i := range 4 {
			for j := range 4 {
				if in.DevHeadT.M[i][j] != m[4*i+j] {
					t.Errorf("dev_head_t[%d][%d]: golden %v, megflow %v", i, j, m[4*i+j], in.DevHeadT.M[i][j])
				}
			}
		}
	} else if in.DevHeadT != nil {
		t.Errorf("dev_head_t: golden absent, megflow %+v", in.DevHeadT)
	}
	bads := g.strings(grp + "/bads")
	if len(bads) != len(in.Bads) || (len(bads) > 0 && !reflect.DeepEqual(bads, in.Bads)) {
		t.Errorf("bads: golden %q, megflow %q", bads, in.Bads)
	}

	descs := g.strings(grp + "/projs/desc")
	active := g.ints(grp + "/projs/active")
	kinds := g.ints(grp + "/projs/kind")
	if len(descs) != len(in.Projs) {
		t.Fatalf("%d projectors in golden, %d read", len(descs), len(in.Projs))
	}
	for i, p := range in.Projs {
		sub := fmt.Sprintf("%s/projs/%03d", grp, i)
		if p.Desc != descs[i] || p.Active != (active[i] != 0) || int64(p.Kind) != kinds[i] {
			t.Errorf("proj %d: golden %q active %d kind %d, megflow %q %v %d", i, descs[i], active[i], kinds[i], p.Desc, p.Active, p.Kind)
		}
		cols := g.strings(sub + "/col_names")
		if !reflect.DeepEqual(cols, p.ColNames) {
			t.Errorf("proj %d col_names differ", i)
		}
		data, ddims := g.floats(sub + "/data")
		if len(ddims) != 2 || ddims[1] != len(cols) || ddims[0] != p.NVec || !reflect.DeepEqual(data, p.Data) {
			t.Errorf("proj %d data differ (golden dims %v, nvec %d)", i, ddims, p.NVec)
		}
	}

	if !g.f.Exists(grp + "/dig") {
		if len(in.Dig) != 0 {
			t.Errorf("dig: golden none, megflow %d points", len(in.Dig))
		}
		return
	}
	dk := g.ints(grp + "/dig/kind")
	di := g.ints(grp + "/dig/ident")
	df := g.ints(grp + "/dig/coord_frame")
	dr, _ := g.floats(grp + "/dig/r")
	if len(dk) != len(in.Dig) {
		t.Fatalf("dig: golden %d points, megflow %d", len(dk), len(in.Dig))
	}
	for i, d := range in.Dig {
		if int64(d.Kind) != dk[i] || int64(d.Ident) != di[i] || int64(d.CoordFrame) != df[i] ||
			d.R != [3]float64{dr[3*i], dr[3*i+1], dr[3*i+2]} {
			t.Errorf("dig %d: golden %d %d %d %v, megflow %+v", i, dk[i], di[i], df[i], dr[3*i:3*i+3], d)
		}
	}
}

// infoTestFiles lists the FIF files of the shared data that hold a
// measurement.
func infoTestFiles(t *testing.T, shared string) []string {
	var out []string
	for _, pat := range []string{"data/fif/*.fif", "data/sim/*.fif", "data/maxfilter/*.fif"} {
		m, err := filepath.Glob(filepath.Join(shared, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			f, err := tree.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Root.Blocks(tag.BlockMeas)) == 1 {
				out = append(out, p)
			}
			f.Close()
		}
	}
	if len(out) == 0 {
		t.Fatalf("no measurement files under %s", shared)
	}
	return out
}

// writeInfoFile writes in to a new FIF file holding just the measurement
// block, the way a raw writer opens it.
func writeInfoFile(t *testing.T, path string, in *Info, resetRange bool) {
	t.Helper()
	w, err := tree.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	w.IDTag(tag.BlockID, tree.NewID())
	if in.MeasID != nil {
		w.IDTag(tag.ParentBlockID, *in.MeasID)
	}
	if err := WriteInfo(w, in, in.DataType, resetRange); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	w.EndBlock(tag.BlockMeas)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

const nanMark = -7.25e300

// sameFloat is exact equality, with NaN equal to NaN (MNE's missing
// channel locations).
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// normalizeInfo prepares an info for reflect.DeepEqual: NaN (absent)
// markers become a number, and what a written file renews (file id, scan
// numbers) is cleared.
func normalizeInfo(in *Info) *Info {
	out := *in
	nan := func(v float64) float64 {
		if math.IsNaN(v) {
			return nanMark
		}
		return v
	}
	out.LineFreq = nan(out.LineFreq)
	out.GantryAngle = nan(out.GantryAngle)
	out.FileID = nil
	out.Chs = append([]Channel(nil), in.Chs...)
	for i := range out.Chs {
		out.Chs[i].ScanNo = 0
		for j, v := range out.Chs[i].Loc {
			out.Chs[i].Loc[j] = nan(v)
		}
	}
	out.Projs = append([]Projector(nil), in.Projs...)
	for i := range out.Projs {
		out.Projs[i].ExplainedVar = nan(out.Projs[i].ExplainedVar)
	}
	return &out
}

// diffInfo names the first fields that differ.
func diffInfo(a, b *Info) string {
	var out []string
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s:\n  before %+v\n  after  %+v", va.Type().Field(i).Name,
				short(va.Field(i).Interface()), short(vb.Field(i).Interface())))
		}
	}
	return strings.Join(out, "\n")
}

func short(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

func TestInfoRoundTrip(t *testing.T) {
	shared := infoSharedDir(t)
	for _, path := range infoTestFiles(t, shared) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in := readInfoFile(t, path)
			out := filepath.Join(t.TempDir(), "info.fif")
			writeInfoFile(t, out, in, false)
			back := readInfoFile(t, out)
			a, b := normalizeInfo(in), normalizeInfo(back)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("info changed in a write/read round trip:\n%s", diffInfo(a, b))
			}
			for i, c := range back.Chs {
				if c.ScanNo != int32(i+1) {
					t.Fatalf("channel %d written with scan number %d", i, c.ScanNo)
				}
			}
		})
	}
}

func TestInfoResetRange(t *testing.T) {
	shared := infoSharedDir(t)
	in := readInfoFile(t, filepath.Join(shared, "data", "fif", "test_elekta_3ch_raw.fif"))
	out := filepath.Join(t.TempDir(), "info.fif")
	writeInfoFile(t, out, in, true)
	back := readInfoFile(t, out)
	for i, c := range back.Chs {
		if c.Range != 1 || c.Cal != in.Chs[i].Cal {
			t.Errorf("%s: range %v cal %v after reset (was %v, %v)", c.Name, c.Range, c.Cal, in.Chs[i].Range, in.Chs[i].Cal)
		}
	}
	if !ResetRangeFor(tag.Float) || !ResetRangeFor(tag.Double) || ResetRangeFor(tag.DauPack16) || ResetRangeFor(tag.Int) {
		t.Error("ResetRangeFor does not follow MNE's raw writer")
	}
}

// f32 rounds v to single precision, as the format stores it.
func f32(v float64) float64 { return float64(float32(v)) }

// longNameInfo is a small info whose channel names do not fit the 15
// characters of the channel record.
func longNameInfo(colon bool) *Info {
	id := tree.NewID()
	in := &Info{SFreq: 1000, Lowpass: 330, Highpass: f32(0.1), LineFreq: math.NaN(), GantryAngle: math.NaN(), MeasID: &id}
	names := []string{"EEG-very-long-name-001", "EEG-very-long-name-002", "short", "ECG-no-colons", "Ünïcödé-named-channel-ok"}
	if colon {
		names[3] = "ECG:with:colons" // MNE >= 1.6 stores ':' in name lists as {COLON}
	}
	for i, n := range names {
		c := Channel{Name: n, ScanNo: int32(i + 1), LogNo: int32(i + 1), Kind: KindEEG, Range: f32(0.5 + float64(i)), Cal: f32(1e-6 / float64(i+3)),
			CoilType: CoilEEG, Unit: UnitV, CoordFrame: FrameHead}
		c.Loc[0], c.Loc[1], c.Loc[2] = f32(0.01*float64(i)), f32(0.02), f32(0.03)
		in.Chs = append(in.Chs, c)
	}
	in.Bads = []string{"EEG-very-long-name-002", names[3]}
	in.Projs = []Projector{{Kind: 10, Desc: "Average EEG reference", NVec: 1, ExplainedVar: math.NaN(),
		ColNames: []string{names[0], names[1], names[4]}, Data: []float64{0.5, 0.25, 0.25}}}
	in.Comps = []CTFComp{{Kind: 0x47314252, NRow: 1, NCol: 2, RowNames: []string{names[0]}, ColNames: []string{names[1], names[4]}, Data: []float64{1, 2}}}
	return in
}

func TestInfoLongNames(t *testing.T) {
	in := longNameInfo(true)
	out := filepath.Join(t.TempDir(), "long.fif")
	writeInfoFile(t, out, in, false)
	back := readInfoFile(t, out)
	a, b := normalizeInfo(in), normalizeInfo(back)
	a.HasMeasDate, b.HasMeasDate = false, false
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("long names lost:\n%s", diffInfo(a, b))
	}
	f, err := tree.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := len(f.Root.Blocks(tag.BlockChInfo)); n != len(in.Chs) {
		t.Errorf("%d extended channel blocks, want %d", n, len(in.Chs))
	}
	if in.HasMeasDate != back.HasMeasDate {
		t.Errorf("measurement date appeared: %v", back.MeasDate)
	}
}

func TestUniqueChannelNames(t *testing.T) {
	got, err := uniqueChannelNames([]string{"MEG 0113", "EEG", "EEG", "EEG-0", "x"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// "EEG-0" is taken, so the first duplicate takes the next free suffix.
	if want := []string{"MEG 0113", "EEG-a", "EEG-1", "EEG-0", "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	long := []string{"abcdefghijklmnopqrstuvwxyz-1", "abcdefghijklmnopqrstuvwxyz-2", "ok"}
	got, err = uniqueChannelNames(long, 15)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"abcdefghijklm-0", "abcdefghijklm-1", "ok"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadInfoErrors(t *testing.T) {
	dir := t.TempDir()
	// A file without a measurement block.
	p := filepath.Join(dir, "empty.fif")
	w, err := tree.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := tree.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadInfo(f)
	f.Close()
	var te *tree.Error
	if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), p) {
		t.Errorf("no measurement block: got %v", err)
	}

	// Inconsistent info is refused before anything is written.
	in := longNameInfo(true)
	in.Projs[0].Data = in.Projs[0].Data[:2]
	w, err = tree.Create(filepath.Join(dir, "bad.fif"))
	if err != nil {
		t.Fatal(err)
	}
	pos := w.Pos()
	if err := WriteInfo(w, in, 0, false); err == nil || !strings.Contains(err.Error(), "Average EEG reference") {
		t.Errorf("bad projector: got %v", err)
	}
	if w.Pos() != pos {
		t.Errorf("WriteInfo wrote %d bytes before failing", w.Pos()-pos)
	}
	w.Abort()
}

// TestReadInfoCorrupt damages a valid info file in many ways; ReadInfo must
// return errors, never panic.
func TestReadInfoCorrupt(t *testing.T) {
	in := longNameInfo(true)
	in.Dig = []DigPoint{{Kind: PointCardinal, Ident: 1, CoordFrame: FrameHead}}
	one, two := int32(1), 2.5
	in.ProcHistory = []ProcRecord{{Creator: "test", NIAS: 1, MaxInfo: MaxInfo{
		SSSInfo: &SSSInfo{Job: &one, Origin: []float64{0, 0, f32(0.04)}, HPIGLimit: &two},
		MaxST:   &MaxST{Job: &one, BufLen: &two},
		SSSCal:  &SSSCal{CalChans: []int32{113, 3012}, CalChansDims: []int{1, 2}},
		SSSCTC:  &SSSCTC{Creator: "ct", ChNames: []string{"a", "b"}, Decoupler: &tag.Sparse{Coding: tag.MatrixCCS, NRow: 2, NCol: 2, Data: []float64{1, 1}, Indices: []int32{0, 1}, Ptr: []int32{0, 1, 2}}},
	}}}
	in.HPIMeas = []HPIMeas{{Creator: "hpi", Coils: []HPICoil{{Number: &one, Epoch: []float64{1, 2, 3, 4}, EpochDims: []int{2, 2}, Slopes: []float64{1}}}}}
	in.HPIResults = []HPIResult{{DigPoints: []DigPoint{{Kind: PointHPI, Ident: 1}}, Moments: []float64{1, 2, 3}, MomentsDims: []int{1, 3}, Accept: &one}}
	in.Subject = &SubjectInfo{ID: &one, FirstName: "A", Weight: &two}
	in.Events = []EventSpec{{Channels: []int32{1}, List: []int32{1, 0, 5}}}
	p := filepath.Join(t.TempDir(), "c.fif")
	writeInfoFile(t, p, in, false)
	back := readInfoFile(t, p)
	// The first cross-talk and calibration records of the file.
	in.CrossTalk, in.FineCalibration = in.ProcHistory[0].MaxInfo.SSSCTC, in.ProcHistory[0].MaxInfo.SSSCal
	if a, b := normalizeInfo(in), normalizeInfo(back); !reflect.DeepEqual(a, b) {
		t.Fatalf("records lost:\n%s", diffInfo(a, b))
	}
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	try := func(b []byte, what string) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s: panic: %v", what, r)
			}
		}()
		f, err := tree.OpenBytes("corrupt.fif", b)
		if err != nil {
			return
		}
		if _, _, err := ReadInfo(f); err != nil && !strings.Contains(err.Error(), "corrupt.fif") {
			t.Errorf("%s: error does not name the file: %v", what, err)
		}
	}
	for pos := 0; pos < len(orig); pos++ {
		for _, v := range []byte{0xff, 0x80} {
			b := bytes.Clone(orig)
			b[pos] ^= v
			try(b, fmt.Sprintf("byte %d ^ %#x", pos, v))
		}
	}
	for n := 0; n < len(orig); n += 7 {
		try(orig[:n], fmt.Sprintf("truncated at %d", n))
	}
}

// FuzzReadInfo checks that no input makes ReadInfo panic.
func FuzzReadInfo(f *testing.F) {
	in := longNameInfo(true)
	in.Dig = []DigPoint{{Kind: PointCardinal, Ident: 2, CoordFrame: FrameHead}}
	one := int32(1)
	in.ProcHistory = []ProcRecord{{Creator: "fuzz", MaxInfo: MaxInfo{SSSInfo: &SSSInfo{NFree: &one}}}}
	in.HPIResults = []HPIResult{{Moments: []float64{1, 2, 3}, MomentsDims: []int{1, 3}}}
	p := filepath.Join(f.TempDir(), "seed.fif")
	w, err := tree.Create(p)
	if err != nil {
		f.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	if err := WriteInfo(w, in, tag.Float, true); err != nil {
		f.Fatal(err)
	}
	w.EndBlock(tag.BlockMeas)
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := tree.OpenBytes("fuzz.fif", b)
		if err != nil {
			return
		}
		_, _, _ = ReadInfo(file)
	})
}

// TestInfoMNEReadsBack writes the info of shared recordings and checks
// with MNE-Python (when installed) that mne.io.read_info gives the same
// metadata as for the original file.
func TestInfoMNEReadsBack(t *testing.T) {
	shared := infoSharedDir(t)
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import mne").Run(); err != nil {
		t.Skipf("%s cannot import mne: skipping the MNE-Python check", py)
	}
	files := []string{
		filepath.Join(shared, "data", "sim", "facerec_sim_raw.fif"),
		filepath.Join(shared, "data", "fif", "sample_audvis_trunc_raw_sss.fif"),
		filepath.Join(shared, "data", "fif", "test_move_anon_erm_raw.fif"),
		filepath.Join(shared, "data", "fif", "141027_cropped_90Hz_raw.fif"),
	}
	mf, _ := filepath.Glob(filepath.Join(shared, "data", "maxfilter", "*_raw_sss.fif"))
	sort.Strings(mf)
	files = append(files, mf...)
	dir := t.TempDir()
	args := []string{"-c", mneCompareScript}
	for i, p := range files {
		in := readInfoFile(t, p)
		out := filepath.Join(dir, fmt.Sprintf("info%d.fif", i))
		writeInfoFile(t, out, in, false)
		args = append(args, p, out)
	}
	// The long-name info, compared with MNE against itself re-read.
	long := filepath.Join(dir, "long.fif")
	writeInfoFile(t, long, longNameInfo(false), false)
	args = append(args, long, long)
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	outb, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(outb), "ALL OK") {
		t.Fatalf("MNE-Python comparison failed (%v):\n%s", err, outb)
	}
	li := longNameInfo(false)
	for _, want := range []string{
		"NAMES:" + strings.Join(li.ChNames(), "|"),
		"BADS:" + strings.Join(li.Bads, "|"),
		"PROJCOLS:" + strings.Join(li.Projs[0].ColNames, "|"),
		"COMPCOLS:" + strings.Join(li.Comps[0].ColNames, "|"),
		"MEASDATE:None", // the measurement id has a time, but there is no date
	} {
		if !strings.Contains(string(outb), want+"\n") {
			t.Errorf("MNE does not read the long channel names back: want %q in\n%s", want, outb)
		}
	}
	// MNE calibrates the compensation matrix on reading; so does
	// CalibratedData.
	cd, err := li.Comps[0].CalibratedData(li.Chs)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, line := range strings.Split(string(outb), "\n") {
		if rest, ok := strings.CutPrefix(line, "COMPDATA:"); ok {
			for _, h := range strings.Fields(rest) {
				v, err := strconv.ParseFloat(h, 64)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
		}
	}
	if !reflect.DeepEqual(got, cd) {
		t.Errorf("calibrated compensation: MNE %v, megflow %v", got, cd)
	}
	t.Logf("%s", bytes.TrimSpace(outb))
}

const mneCompareScript = `
import sys, warnings
import numpy as np
import mne
mne.set_log_level('ERROR')
warnings.simplefilter('ignore')

def same(a, b, path):
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return [path + ': %r vs %r' % (type(a), type(b))]
        out = []
        if set(a) != set(b):
            out.append(path + ': keys %s vs %s' % (sorted(a), sorted(b)))
        for k in set(a) & set(b):
            out += same(a[k], b[k], path + '.' + str(k))
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [path + ': length %d vs %d' % (len(a), len(b))]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += same(x, y, path + '[%d]' % i)
        return out
    if hasattr(a, 'toarray'):
        a = a.toarray()
    if hasattr(b, 'toarray'):
        b = b.toarray()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        try:
            eq = np.array_equal(a, b, equal_nan=True)
        except TypeError:
            eq = np.array_equal(a, b)
        if a.shape != b.shape or not eq:
            return [path + ': arrays differ (%s vs %s)' % (a.shape, b.shape)]
        return []
    if a != b:
        return [path + ': %r vs %r' % (a, b)]
    return []

keys = ['bads', 'sfreq', 'highpass', 'lowpass', 'line_freq', 'meas_date', 'meas_id',
        'experimenter', 'description', 'proj_id', 'proj_name', 'subject_info',
        'device_info', 'helium_info', 'hpi_subsystem', 'hpi_results', 'hpi_meas',
        'events', 'dev_head_t', 'ctf_head_t', 'dev_ctf_t', 'custom_ref_applied',
        'gantry_angle', 'utc_offset', 'acq_pars', 'acq_stim', 'kit_system_id',
        'xplotter_layout', 'nchan', 'ch_names']
bad = []
args = sys.argv[1:]
for orig, ours in zip(args[::2], args[1::2]):
    a = mne.io.read_info(orig)
    b = mne.io.read_info(ours)
    errs = []
    for k in keys:
        if k in a or k in b:
            errs += same(a.get(k), b.get(k), k)
    for i, (ca, cb) in enumerate(zip(a['chs'], b['chs'])):
        errs += same(dict(ca), dict(cb), 'chs[%d]' % i)
    errs += same([dict(d) for d in (a['dig'] or [])], [dict(d) for d in (b['dig'] or [])], 'dig')
    if (a['dig'] is None) != (b['dig'] is None):
        errs.append('dig: None vs list')
    errs += same([dict(p) for p in a['projs']], [dict(p) for p in b['projs']], 'projs')
    errs += same([dict(c) for c in a['comps']], [dict(c) for c in b['comps']], 'comps')
    errs += same([dict(r) for r in a['proc_history']], [dict(r) for r in b['proc_history']], 'proc_history')
    mf = [r['max_info'] for r in a['proc_history'] if r['max_info']['sss_info']]
    mfb = [r['max_info'] for r in b['proc_history'] if r['max_info']['sss_info']]
    if orig.endswith('_raw_sss.fif') and not (mf and mfb):
        errs.append('MaxFilter file without sss_info in its processing history')
    if '_st1' in orig and not [m for m in mfb if m['max_st']]:
        errs.append('tSSS file without max_st in its processing history')
    print('%s: %d channels, %d projs, %d dig, %d proc records (%d with sss_info, %d with max_st), %d differences' % (
        orig.split('/')[-1], len(a['chs']), len(a['projs']), len(a['dig'] or []),
        len(a['proc_history']), len(mf), sum(1 for m in mf if m['max_st']), len(errs)))
    for e in errs[:20]:
        print('   ', e)
    bad += errs
    if orig == ours:
        print('NAMES:' + '|'.join(a['ch_names']))
        print('BADS:' + '|'.join(a['bads']))
        print('PROJCOLS:' + '|'.join(a['projs'][0]['data']['col_names']))
        print('COMPCOLS:' + '|'.join(a['comps'][0]['data']['col_names']))
        print('MEASDATE:%s' % a['meas_date'])
        print('COMPDATA:' + ' '.join(float(x).hex() for x in a['comps'][0]['data']['data'].ravel()))
print('ALL OK' if not bad else 'DIFFERENCES: %d' % len(bad))
`

// TestInfoTransforms checks MNE's rules for the coordinate
// transformations: a head -> device transform is inverted, and the device
// -> CTF head transform is derived when only the other two are stored.
func TestInfoTransforms(t *testing.T) {
	in := longNameInfo(false)
	c, s := f32(math.Cos(0.3)), f32(math.Sin(0.3))
	headDev := &Transform{From: FrameHead, To: FrameDevice, M: [4][4]float64{
		{c, -s, 0, f32(0.01)}, {s, c, 0, f32(-0.02)}, {0, 0, 1, f32(0.04)}, {0, 0, 0, 1}}}
	ctfHead := &Transform{From: FrameCTFHead, To: FrameHead, M: [4][4]float64{
		{1, 0, 0, f32(0.001)}, {0, 0, -1, 0}, {0, 1, 0, f32(0.002)}, {0, 0, 0, 1}}}
	in.DevHeadT, in.CTFHeadT = headDev, ctfHead
	p := filepath.Join(t.TempDir(), "trans.fif")
	writeInfoFile(t, p, in, false)
	back := readInfoFile(t, p)
	want, err := headDev.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	d := back.DevHeadT
	if d == nil || d.From != FrameDevice || d.To != FrameHead {
		t.Fatalf("device -> head transform %+v", d)
	}
	for i := range 4 {
		for j := range 4 {
			if math.Abs(d.M[i][j]-want.M[i][j]) > 1e-15 {
				t.Errorf("dev_head_t[%d][%d] = %v, want %v", i, j, d.M[i][j], want.M[i][j])
			}
		}
	}
	if !reflect.DeepEqual(back.CTFHeadT, ctfHead) {
		t.Errorf("ctf_head_t %+v, want %+v", back.CTFHeadT, ctfHead)
	}
	headCTF, _ := ctfHead.Inverse()
	dc := back.DevCTFT
	if dc == nil || dc.From != FrameDevice || dc.To != FrameCTFHead {
		t.Fatalf("device -> CTF head transform %+v", dc)
	}
	wantDC := matMul4(headCTF.M, d.M)
	for i := range 4 {
		for j := range 4 {
			if math.Abs(dc.M[i][j]-wantDC[i][j]) > 1e-15 {
				t.Errorf("dev_ctf_t[%d][%d] = %v, want %v", i, j, dc.M[i][j], wantDC[i][j])
			}
		}
	}
	// Without a stored transform the HPI result's one is used.
	in = longNameInfo(false)
	devHead := &Transform{From: FrameDevice, To: FrameHead, M: [4][4]float64{{1, 0, 0, f32(0.003)}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}}
	in.HPIResults = []HPIResult{{CoordTrans: devHead}}
	writeInfoFile(t, p, in, false)
	back = readInfoFile(t, p)
	if !reflect.DeepEqual(back.DevHeadT, devHead) {
		t.Errorf("dev_head_t from the HPI result: %+v", back.DevHeadT)
	}
}
