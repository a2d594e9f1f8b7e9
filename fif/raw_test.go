package fif

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// goldenRaw are the raw files stored in full in golden/fif_read.h5.
var goldenRaw = []string{
	"141027_cropped_90Hz_raw",
	"sample_audvis_trunc_raw_sss",
	"test_elekta_3ch_raw",
	"test_move_anon_erm_raw",
}

func openGolden(t *testing.T, name string) *h5.File {
	t.Helper()
	g, err := h5.Open(sharedtest.Golden(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// goldenSource returns the shared FIF path recorded in a golden group's
// "file" attribute (stored relative to the parent of shared/).
func goldenSource(t *testing.T, g *h5.File, group string) string {
	t.Helper()
	rel, err := g.AttrString(group, "file")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(sharedtest.Dir(t)), rel)
}

func openRawT(t testing.TB, path string) *Raw {
	t.Helper()
	r, err := OpenRaw(path, RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func checkRawHeader(t *testing.T, g *h5.File, grp string, r *Raw) {
	t.Helper()
	for _, c := range []struct {
		attr string
		got  int64
	}{{"first_samp", r.FirstSamp}, {"last_samp", r.LastSamp()}, {"n_times", r.NTimes}} {
		want, err := g.AttrInt64(grp, c.attr)
		if err != nil {
			t.Fatal(err)
		}
		if c.got != want {
			t.Errorf("%s: %s = %d, MNE %d", grp, c.attr, c.got, want)
		}
	}
	format, err := g.AttrString(grp, "orig_format")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatName(r.Format); got != format {
		t.Errorf("%s: format %s, MNE %s", grp, got, format)
	}
}

// TestRawGoldenBitExact checks that every sample of the shared recordings
// equals MNE-Python's read_raw_fif(...).get_data() bit for bit.
func TestRawGoldenBitExact(t *testing.T) {
	g := openGolden(t, "fif_read.h5")
	for _, name := range goldenRaw {
		t.Run(name, func(t *testing.T) {
			grp := "raw/" + name
			r := openRawT(t, goldenSource(t, g, grp))
			checkRawHeader(t, g, grp, r)
			want, dims, err := g.ReadFloat64(grp + "/data")
			if err != nil {
				t.Fatal(err)
			}
			if dims[0] != r.Info.NChan() || int64(dims[1]) != r.NTimes {
				t.Fatalf("golden data %v, megflow %d x %d", dims, r.Info.NChan(), r.NTimes)
			}
			got, err := r.Read(nil, 0, r.NTimes)
			if err != nil {
				t.Fatal(err)
			}
			assertBitEqual(t, got, want)
		})
	}
}

func assertBitEqual(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	bad := 0
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			if bad < 5 {
				t.Errorf("value %d: %v, want %v", i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(got))
	}
}

// TestRawGoldenSimulated checks the 47 s simulated recording: head and
// tail exactly, and the sha256 of the whole calibrated array.
func TestRawGoldenSimulated(t *testing.T) {
	g := openGolden(t, "fif_read.h5")
	grp := "raw/facerec_sim_raw"
	r := openRawT(t, goldenSource(t, g, grp))
	checkRawHeader(t, g, grp, r)
	all, err := r.Read(nil, 0, r.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	n := int(r.NTimes)
	nch := r.Info.NChan()
	for _, part := range []struct {
		name   string
		lo, hi int
	}{{"data_head", 0, 550}, {"data_tail", n - 275, n}} {
		want, _, err := g.ReadFloat64(grp + "/" + part.name)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 0, nch*(part.hi-part.lo))
		for ch := range nch {
			got = append(got, all[ch*n+part.lo:ch*n+part.hi]...)
		}
		assertBitEqual(t, got, want)
	}
	h := sha256.New()
	var b [8]byte
	for _, v := range all {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	want, err := g.AttrString(grp, "data_sha256")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sha256 of the calibrated data %s, MNE %s", got, want)
	}
}

// TestRawPartialReads checks that any time range and channel subset equals
// the corresponding part of a full read, across buffer boundaries.
func TestRawPartialReads(t *testing.T) {
	path := sharedtest.Path(t, "data/fif/test_move_anon_erm_raw.fif")
	r := openRawT(t, path)
	full, err := r.Read(nil, 0, r.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	n := r.NTimes
	picks := []int{305, 0, 17, 200}
	for _, rg := range [][2]int64{{0, 1}, {5, 6}, {99, 301}, {n - 3, n}, {0, n}, {400, 400}} {
		got, err := r.Read(picks, rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		ns := int(rg[1] - rg[0])
		for i, ch := range picks {
			for s := range ns {
				if got[i*ns+s] != full[ch*int(n)+int(rg[0])+s] {
					t.Fatalf("range %v channel %d sample %d differs", rg, ch, s)
				}
			}
		}
	}
	if _, err := r.Read(picks, 10, n+1); err == nil {
		t.Error("reading past the end succeeded")
	}
	if _, err := r.Read([]int{r.Info.NChan()}, 0, 1); err == nil {
		t.Error("reading a channel that does not exist succeeded")
	}
}

// syntheticInfo builds a small measurement info without shared data.
func syntheticInfo(nchan int, sfreq float64) *Info {
	in := &Info{SFreq: sfreq, Highpass: 0, Lowpass: sfreq / 2, LineFreq: 50, GantryAngle: math.NaN()}
	for i := range nchan {
		kind, unit, coil, cal := KindMEG, UnitT, CoilVVMagT3, 1e-13
		if i%3 != 2 {
			unit, coil, cal = UnitTM, CoilVVPlanarT1, 1e-11
		}
		if i == nchan-1 {
			kind, unit, coil, cal = KindStim, UnitNone, CoilNone, 1
		}
		// The format stores cal as float32; keep it representable.
		ch := Channel{Name: "CH" + string(rune('A'+i/26)) + string(rune('A'+i%26)), ScanNo: int32(i + 1),
			LogNo: int32(i + 1), Kind: kind, Range: 1, Cal: float64(float32(cal)), CoilType: coil, Unit: unit}
		ch.Loc = [12]float64{0.01 * float64(i), 0.02, 0.03, 1, 0, 0, 0, 1, 0, 0, 0, 1}
		if kind == KindMEG {
			ch.CoordFrame = FrameDevice
		}
		in.Chs = append(in.Chs, ch)
	}
	return in
}

// memSource is an in-memory RawSource for writer tests.
type memSource struct {
	info  *Info
	first int64
	data  []float64 // nchan x n
	n     int64
}

func (m *memSource) RawInfo() *Info      { return m.info }
func (m *memSource) RawFirstSamp() int64 { return m.first }
func (m *memSource) RawNTimes() int64    { return m.n }
func (m *memSource) ReadAll(dst []float64, start, stop int64) error {
	ns := int(stop - start)
	for ch := range m.info.NChan() {
		copy(dst[ch*ns:(ch+1)*ns], m.data[ch*int(m.n)+int(start):ch*int(m.n)+int(stop)])
	}
	return nil
}

func newMemSource(nchan int, n int64) *memSource {
	m := &memSource{info: syntheticInfo(nchan, 1000), first: 1234, n: n}
	m.data = make([]float64, nchan*int(n))
	for ch := range nchan {
		cal := m.info.Chs[ch].Cal
		for s := range int(n) {
			// integers times cal, so that every format can store them exactly
			m.data[ch*int(n)+s] = float64((s*7+ch*13)%2001-1000) * cal
		}
	}
	return m
}

func TestWriteRawRoundTrip(t *testing.T) {
	src := newMemSource(7, 2500)
	for _, format := range []string{"single", "double", "short", "int"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x_raw.fif")
			names, err := WriteRaw(path, src, RawWriteOptions{Format: format, BufferSize: 300, History: "megflow test"})
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 1 {
				t.Fatalf("wrote %v", names)
			}
			r := openRawT(t, path)
			if r.FirstSamp != src.first || r.NTimes != src.n || r.Info.NChan() != 7 {
				t.Fatalf("read back first %d n %d nchan %d", r.FirstSamp, r.NTimes, r.Info.NChan())
			}
			got, err := r.Read(nil, 0, r.NTimes)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if d := math.Abs(got[i] - src.data[i]); d > 1e-6*math.Abs(src.data[i]) {
					t.Fatalf("value %d: %g, wrote %g", i, got[i], src.data[i])
				}
			}
			if n := len(r.Info.ProcHistory); n == 0 || r.Info.ProcHistory[n-1].Creator != "megflow test" {
				t.Errorf("processing history not appended: %+v", r.Info.ProcHistory)
			}
			// No temporary files are left beside the output.
			ents, _ := os.ReadDir(filepath.Dir(path))
			if len(ents) != 1 {
				t.Errorf("directory holds %d files, want only the output", len(ents))
			}
		})
	}
}

func TestWriteRawSplits(t *testing.T) {
	src := newMemSource(5, 20000)
	dir := t.TempDir()
	path := filepath.Join(dir, "big_raw.fif")
	// Each buffer is 16+4*5*100 bytes; a 1.2 MB split size forces several parts.
	names, err := WriteRaw(path, src, RawWriteOptions{BufferSize: 100, SplitSize: nextFileReserve + 200_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 2 {
		t.Fatalf("expected a split recording, got %v", names)
	}
	if filepath.Base(names[1]) != "big_raw-1.fif" {
		t.Errorf("second part named %s", names[1])
	}
	r := openRawT(t, path)
	if len(r.Paths) != len(names) || r.NTimes != src.n || r.FirstSamp != src.first {
		t.Fatalf("read %d parts, %d samples from %d", len(r.Paths), r.NTimes, r.FirstSamp)
	}
	got, err := r.Read(nil, 0, r.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if float32(got[i]) != float32(src.data[i]) {
			t.Fatalf("value %d: %g, wrote %g", i, got[i], src.data[i])
		}
	}
	// A missing part is an error naming it, unless asked to ignore it.
	if err := os.Remove(names[len(names)-1]); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRaw(path, RawOptions{}); err == nil {
		t.Error("opening a split recording with a missing part succeeded")
	}
	if r2, err := OpenRaw(path, RawOptions{IgnoreMissingSplit: true}); err != nil {
		t.Error(err)
	} else {
		r2.Close()
	}
}

// writeHandmade writes a raw file with the given data block kind and
// buffers, including an acquisition skip, to exercise MNE's rules.
func writeHandmade(t *testing.T, block int32, firstSkip int32) (string, *Info) {
	t.Helper()
	info := syntheticInfo(3, 100)
	path := filepath.Join(t.TempDir(), "hand_raw.fif")
	w, err := tree.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	if err := WriteInfo(w, info, tag.Short, false); err != nil {
		t.Fatal(err)
	}
	w.StartBlock(block)
	w.Int32s(tag.FirstSample, 1000)
	if firstSkip > 0 {
		w.Int32s(tag.DataSkip, firstSkip)
	}
	buf := func(v int16) {
		var p []byte
		for range 10 { // 10 samples x 3 channels
			for range 3 {
				p = be.AppendUint16(p, uint16(v))
			}
		}
		w.WriteTag(tag.DataBuffer, tag.Short, p)
	}
	buf(1)
	w.Int32s(tag.DataSkip, 2) // two missing buffers: 20 samples of zeros
	buf(2)
	w.EndBlock(block)
	w.EndBlock(tag.BlockMeas)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, info
}

func TestRawSkipsAndMaxShield(t *testing.T) {
	path, info := writeHandmade(t, tag.BlockRawData, 3)
	r := openRawT(t, path)
	if r.FirstSamp != 1030 || r.NTimes != 40 {
		t.Fatalf("first_samp %d n_times %d, want 1030 and 40 (MNE's skip rules)", r.FirstSamp, r.NTimes)
	}
	d, err := r.Read([]int{1}, 0, 40)
	if err != nil {
		t.Fatal(err)
	}
	cal := info.Chs[1].Cal
	for s, v := range d {
		want := 0.0
		switch {
		case s < 10:
			want = 1 * cal
		case s >= 30:
			want = 2 * cal
		}
		if v != want {
			t.Fatalf("sample %d = %g, want %g", s, v, want)
		}
	}

	ias, _ := writeHandmade(t, tag.BlockIASRawData, 0)
	if _, err := OpenRaw(ias, RawOptions{}); !errors.Is(err, ErrMaxShield) {
		t.Errorf("MaxShield data opened without permission (err %v)", err)
	}
	r2, err := OpenRaw(ias, RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if !r2.MaxShield || r2.NTimes != 40 {
		t.Errorf("MaxShield %v, n_times %d", r2.MaxShield, r2.NTimes)
	}
}

func TestRawBadInput(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(4, 300)
	good := filepath.Join(dir, "good_raw.fif")
	if _, err := WriteRaw(good, src, RawWriteOptions{BufferSize: 100}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a FIF file, just text\n"),
		"truncated": b[:len(b)/2],
		"header":    b[:10],
	}
	for name, content := range cases {
		p := filepath.Join(dir, name+"_raw.fif")
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := OpenRaw(p, RawOptions{})
		if err == nil {
			t.Errorf("%s: opened without error", name)
			continue
		}
		var te *tree.Error
		if !errors.As(err, &te) || te.Path != p {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func BenchmarkRawReadAll(b *testing.B) {
	path := sharedtest.Path(b, "data/sim/facerec_sim_raw.fif")
	r := openRawT(b, path)
	dst := make([]float64, r.Info.NChan()*int(r.NTimes))
	b.SetBytes(int64(len(dst) * 8))
	b.ResetTimer()
	for b.Loop() {
		if err := r.ReadInto(dst, nil, 0, r.NTimes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawReadFile reads all data of the file named by
// MEGFLOW_BENCH_FILE (see scripts/bench_read.sh), including opening it.
func BenchmarkRawReadFile(b *testing.B) {
	path := os.Getenv("MEGFLOW_BENCH_FILE")
	if path == "" {
		b.Skip("set MEGFLOW_BENCH_FILE to a raw FIF file (scripts/bench_read.sh does)")
	}
	// Like MNE's preload, each iteration opens the file and allocates the
	// whole output array.
	for b.Loop() {
		r, err := OpenRaw(path, RawOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(r.Info.NChan()) * r.NTimes * 8)
		if _, err := r.Read(nil, 0, r.NTimes); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
