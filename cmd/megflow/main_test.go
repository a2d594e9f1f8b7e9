package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/version"
)

// runCLI runs megflow in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun runs megflow and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("megflow %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// memSource is a fif.RawSource over data held in memory.
type memSource struct {
	info  *fif.Info
	first int64
	n     int64
	data  []float64 // nchan x n
}

func (m *memSource) RawInfo() *fif.Info  { return m.info }
func (m *memSource) RawFirstSamp() int64 { return m.first }
func (m *memSource) RawNTimes() int64    { return m.n }
func (m *memSource) ReadAll(dst []float64, start, stop int64) error {
	ns := int(stop - start)
	for ch := range m.info.Chs {
		copy(dst[ch*ns:(ch+1)*ns], m.data[int64(ch)*m.n+start:int64(ch)*m.n+stop])
	}
	return nil
}

// synthInfo builds a small Neuromag-like measurement info: 2 gradiometers,
// 1 magnetometer, 1 EEG, 1 EOG, 1 ECG and a trigger channel.
func synthInfo() *fif.Info {
	ch := func(name string, kind, coil, unit int32, cal, rng float64, logno int32) fif.Channel {
		c := fif.Channel{Name: name, Kind: kind, CoilType: coil, Unit: unit, Cal: cal, Range: rng, LogNo: logno, CoordFrame: fif.FrameDevice}
		for i := range c.Loc {
			c.Loc[i] = float64(float32(0.01 * float64(i+int(logno)%7)))
		}
		if kind == fif.KindEEG {
			c.CoordFrame = fif.FrameHead
		}
		return c
	}
	info := &fif.Info{
		Chs: []fif.Channel{
			ch("MEG0113", fif.KindMEG, fif.CoilVVPlanarT1, fif.UnitTM, float64(float32(1.5e-13)), 1, 113),
			ch("MEG0112", fif.KindMEG, fif.CoilVVPlanarT1, fif.UnitTM, float64(float32(1.5e-13)), 1, 112),
			ch("MEG0111", fif.KindMEG, fif.CoilVVMagT3, fif.UnitT, float64(float32(3e-15)), 1, 111),
			ch("EEG001", fif.KindEEG, fif.CoilEEG, fif.UnitV, float64(float32(1e-7)), 1, 1),
			ch("EOG061", fif.KindEOG, fif.CoilNone, fif.UnitV, float64(float32(1e-7)), 1, 61),
			ch("ECG063", fif.KindECG, fif.CoilNone, fif.UnitV, float64(float32(1e-7)), 1, 63),
			ch("STI101", fif.KindStim, fif.CoilNone, fif.UnitNone, 1, 1, 101),
		},
		SFreq:       1000,
		Highpass:    0.1,
		Lowpass:     330,
		LineFreq:    50,
		MeasDate:    time.Date(2020, 3, 4, 5, 6, 7, 123456000, time.UTC),
		HasMeasDate: true,
		Bads:        []string{"MEG0112"},
		DevHeadT: &fif.Transform{From: fif.FrameDevice, To: fif.FrameHead, M: [4][4]float64{
			{1, 0, 0, 0.001}, {0, 1, 0, -0.002}, {0, 0, 1, 0.04}, {0, 0, 0, 1}}},
		Dig: []fif.DigPoint{
			{Kind: fif.PointCardinal, Ident: fif.PointLPA, R: [3]float64{-0.07, 0, 0}, CoordFrame: fif.FrameHead},
			{Kind: fif.PointCardinal, Ident: fif.PointNasion, R: [3]float64{0, 0.1, 0}, CoordFrame: fif.FrameHead},
			{Kind: fif.PointCardinal, Ident: fif.PointRPA, R: [3]float64{0.07, 0, 0}, CoordFrame: fif.FrameHead},
			{Kind: fif.PointHPI, Ident: 1, R: [3]float64{0.02, 0.08, 0.05}, CoordFrame: fif.FrameHead},
		},
		Projs: []fif.Projector{{Kind: 1, Desc: "test-proj", Active: false, ColNames: []string{"MEG0111"}, NVec: 1, Data: []float64{1}, ExplainedVar: math.NaN()}},
	}
	return info
}

// synthRaw writes a synthetic recording (double precision, so values read
// back exactly) and returns its path and source.
func synthRaw(t *testing.T, dir string) (string, *memSource) {
	t.Helper()
	info := synthInfo()
	n := int64(2345)
	src := &memSource{info: info, first: 4000, n: n, data: make([]float64, int64(len(info.Chs))*n)}
	for ch, c := range info.Chs {
		for s := int64(0); s < n; s++ {
			// A few hundred calibration units, different per channel.
			v := 300 * math.Sin(0.01*float64(s)*float64(ch+1)+float64(ch))
			if c.Kind == fif.KindStim {
				v = float64((s / 100) % 4)
			}
			src.data[int64(ch)*n+s] = v * c.Cal * c.Range
		}
	}
	path := filepath.Join(dir, "synth_raw.fif")
	if _, err := fif.WriteRaw(path, src, fif.RawWriteOptions{Format: "double", BufferSize: 200, History: "megflow test"}); err != nil {
		t.Fatal(err)
	}
	return path, src
}

// dirNames lists the file names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestVersionAndHelp(t *testing.T) {
	out := mustRun(t, "--version")
	if !strings.HasPrefix(out, "megflow "+version.Version) {
		t.Errorf("--version printed %q", out)
	}
	out = mustRun(t, "--help")
	for _, want := range []string{"info", "convert", "--quiet", "--log-level", "MNE-Python"} {
		if !strings.Contains(out, want) {
			t.Errorf("megflow --help lacks %q", want)
		}
	}
	for _, sub := range []string{"info", "convert"} {
		out := mustRun(t, sub, "--help")
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "megflow "+sub) {
			t.Errorf("megflow %s --help has no examples:\n%s", sub, out)
		}
	}
	// A bare "megflow" prints the help too.
	if out := mustRun(t); !strings.Contains(out, "Available Commands") {
		t.Errorf("bare megflow printed %q", out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"info"},
		{"info", "a", "b"},
		{"convert", "x.fif"},
		{"info", "--no-such-flag", "x.fif"},
		{"--log-level", "loud", "info", "x.fif"},
	} {
		code, out, errs := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("megflow %q: exit %d, want %d (stderr %q)", args, code, exitUsage, errs)
		}
		if out != "" || !strings.Contains(errs, "--help") {
			t.Errorf("megflow %q: stdout %q, stderr %q", args, out, errs)
		}
		if strings.Contains(errs, "goroutine") {
			t.Errorf("megflow %q printed a stack trace", args)
		}
	}
	if _, _, errs := runCLI(t, "inf"); !strings.Contains(errs, `did you mean "info"`) {
		t.Errorf("no suggestion for a misspelt command: %q", errs)
	}
}

// infoJSON runs info --json and decodes it.
func infoJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	out := mustRun(t, "info", "--json", path)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("info --json output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"sfreq", "n_times", "first_samp", "meas_date", "channels", "bads", "dev_head_t", "projs", "n_dig", "proc_history"} {
		if _, ok := m[k]; !ok {
			t.Errorf("info --json lacks key %q", k)
		}
	}
	return m
}

func TestInfoSynthetic(t *testing.T) {
	dir := t.TempDir()
	path, src := synthRaw(t, dir)
	m := infoJSON(t, path)
	if m["sfreq"] != 1000.0 || m["n_times"] != float64(src.n) || m["first_samp"] != float64(src.first) {
		t.Errorf("sfreq %v n_times %v first_samp %v", m["sfreq"], m["n_times"], m["first_samp"])
	}
	if m["meas_date"] != "2020-03-04T05:06:07.123456Z" {
		t.Errorf("meas_date %v", m["meas_date"])
	}
	if got := m["bads"].([]any); len(got) != 1 || got[0] != "MEG0112" {
		t.Errorf("bads %v", got)
	}
	if m["n_dig"] != 4.0 {
		t.Errorf("n_dig %v", m["n_dig"])
	}
	chs := m["channels"].([]any)
	if len(chs) != len(src.info.Chs) {
		t.Fatalf("%d channels, want %d", len(chs), len(src.info.Chs))
	}
	for i, c := range src.info.Chs {
		got := chs[i].(map[string]any)
		if got["name"] != c.Name || got["kind"] != float64(c.Kind) || got["coil_type"] != float64(c.CoilType) ||
			got["unit"] != float64(c.Unit) || got["cal"] != c.Cal || got["range"] != c.Range {
			t.Errorf("channel %d: %v, wrote %+v", i, got, c)
		}
		loc := got["loc"].([]any)
		if len(loc) != 12 {
			t.Fatalf("loc has %d numbers", len(loc))
		}
		for k := range loc {
			if loc[k] != c.Loc[k] {
				t.Errorf("channel %s loc[%d] = %v, wrote %v", c.Name, k, loc[k], c.Loc[k])
			}
		}
	}
	if ty := chs[0].(map[string]any)["type"]; ty != "grad" {
		t.Errorf("type of MEG0113 %v", ty)
	}
	dht := m["dev_head_t"].([]any)
	if len(dht) != 4 || dht[2].([]any)[3] != float64(float32(0.04)) {
		t.Errorf("dev_head_t %v", dht)
	}
	projs := m["projs"].([]any)
	if len(projs) != 1 || projs[0].(map[string]any)["desc"] != "test-proj" || projs[0].(map[string]any)["active"] != false {
		t.Errorf("projs %v", projs)
	}
	ph := m["proc_history"].([]any)
	if len(ph) != 1 || ph[0].(map[string]any)["creator"] != "megflow test" || ph[0].(map[string]any)["sss"] != nil {
		t.Errorf("proc_history %v", ph)
	}

	text := mustRun(t, "info", "--channels", path)
	if strings.Contains(text, "\n:") {
		t.Errorf("continuation line with an empty label:\n%s", text)
	}
	for _, want := range []string{
		"Sampling:", "1000 Hz", "2345 (2.345 s)", "First sample:", "4000 (4.000 s)",
		"7: 2 grad, 1 mag, 1 eeg, 1 eog, 1 ecg, 1 stim", "Bads:", "1: MEG0112",
		"test-proj (inactive, 1 channels)", "4 points: 3 cardinal, 1 hpi", "1. megflow test",
		"double (64-bit float)", "2020-03-04 05:06:07.123456 UTC", "MEG0112  grad",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("info output lacks %q:\n%s", want, text)
		}
	}
}

// readBack opens a FIF file and reads all its data.
func readBack(t *testing.T, path string) (*fif.Raw, []float64) {
	t.Helper()
	r, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	d, err := r.Read(nil, 0, r.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

// checkFIFConvert checks a converted FIF file against the samples
// [start, stop) of channels picks of the original, within the precision
// of the format.
func checkFIFConvert(t *testing.T, out string, orig *fif.Raw, picks []int, start, stop int64, format string) {
	t.Helper()
	r, got := readBack(t, out)
	if r.FirstSamp != orig.FirstSamp+start || r.NTimes != stop-start {
		t.Fatalf("%s: first_samp %d n_times %d, want %d %d", out, r.FirstSamp, r.NTimes, orig.FirstSamp+start, stop-start)
	}
	if fif.FormatName(r.Format) != format {
		t.Errorf("%s: format %s, want %s", out, fif.FormatName(r.Format), format)
	}
	names := r.Info.ChNames()
	for k, p := range picks {
		if names[k] != orig.Info.Chs[p].Name {
			t.Fatalf("%s: channel %d is %s, want %s", out, k, names[k], orig.Info.Chs[p].Name)
		}
	}
	if len(names) != len(picks) {
		t.Fatalf("%s: %d channels, want %d", out, len(names), len(picks))
	}
	want, err := orig.Read(picks, start, stop)
	if err != nil {
		t.Fatal(err)
	}
	ns := int(stop - start)
	for k, p := range picks {
		c := orig.Info.Chs[p]
		for s := 0; s < ns; s++ {
			w, g := want[k*ns+s], got[k*ns+s]
			var tol float64
			switch format {
			case "double":
				tol = 0
			case "single":
				tol = math.Abs(w) * 6e-8
			default: // integers: half a calibration step
				tol = 0.5 * math.Abs(c.Cal*c.Range) * (1 + 1e-9)
			}
			if math.Abs(g-w) > tol {
				t.Fatalf("%s (%s): channel %s sample %d: %g, want %g", out, format, c.Name, s, g, w)
			}
		}
	}
	hist := r.Info.ProcHistory
	if len(hist) == 0 || !strings.HasPrefix(hist[len(hist)-1].Creator, "megflow "+version.String()+" convert") {
		t.Errorf("%s: processing history does not end with megflow convert", out)
	}
	for _, b := range r.Info.Bads {
		if !slices.Contains(names, b) {
			t.Errorf("%s: bad channel %s is not among the channels", out, b)
		}
	}
}

func TestConvertSyntheticFIF(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	orig, _ := readBack(t, in)
	cases := []struct {
		name  string
		args  []string
		picks []int
		start int64
		stop  int64
	}{
		{"all", nil, []int{0, 1, 2, 3, 4, 5, 6}, 0, 2345},
		{"crop", []string{"--tmin", "0.5", "--tmax", "1.25"}, []int{0, 1, 2, 3, 4, 5, 6}, 500, 1251},
		{"picks-types", []string{"--picks", "meg,stim"}, []int{0, 1, 2, 6}, 0, 2345},
		{"picks-names", []string{"--picks", "STI101, MEG0112,EEG001", "--tmin", "2"}, []int{6, 1, 3}, 2000, 2345},
		{"picks-data", []string{"--picks", "data", "--tmax", "0.0014"}, []int{0, 1, 2, 3}, 0, 2},
		{"half-sample", []string{"--tmin", "0.0025", "--tmax", "0.0035"}, []int{0, 1, 2, 3, 4, 5, 6}, 2, 5}, // round half to even: 2.5 -> 2, 3.5 -> 4
	}
	for _, format := range []string{"single", "double", "short", "int"} {
		for _, c := range cases {
			t.Run(format+"/"+c.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out_raw.fif")
				args := append([]string{"-q", "convert", "--fmt", format}, c.args...)
				mustRun(t, append(args, in, out)...)
				checkFIFConvert(t, out, orig, c.picks, c.start, c.stop, format)
			})
		}
	}
	// bads follow the picks; projectors without picked channels go.
	out := filepath.Join(dir, "mag_raw.fif")
	mustRun(t, "-q", "convert", "--picks", "grad,EEG001", in, out)
	r, _ := readBack(t, out)
	if !slices.Equal(r.Info.Bads, []string{"MEG0112"}) || len(r.Info.Projs) != 0 {
		t.Errorf("grad,EEG001: bads %v, %d projectors", r.Info.Bads, len(r.Info.Projs))
	}
	out = filepath.Join(dir, "mag2_raw.fif")
	mustRun(t, "-q", "convert", "--picks", "mag", in, out)
	r, _ = readBack(t, out)
	if len(r.Info.Bads) != 0 || len(r.Info.Projs) != 1 {
		t.Errorf("mag: bads %v, %d projectors", r.Info.Bads, len(r.Info.Projs))
	}
}

func TestConvertSyntheticH5(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	orig, _ := readBack(t, in)
	out := filepath.Join(dir, "x.h5")
	code, stdout, stderr := runCLI(t, "convert", in, out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "wrote "+out) {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	checkH5(t, out, in, orig, nil, 0, orig.NTimes)

	out2 := filepath.Join(dir, "y.hdf5")
	mustRun(t, "-q", "convert", "--tmin", "1", "--tmax", "1.5", "--picks", "EOG061,grad", in, out2)
	checkH5(t, out2, in, orig, []int{4, 0, 1}, 1000, 1501)
}

// TestConvertErrors checks that bad inputs and arguments give a non-zero
// exit, a message naming the file, and no output file.
func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("this is not a FIF file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc_raw.fif")
	if err := os.WriteFile(trunc, b[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut_raw.fif")
	if err := os.WriteFile(cut, b[:len(b)-3000], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing_raw.fif")
	before := dirNames(t, dir)
	outDir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{text}, text},
		{[]string{trunc}, trunc},
		{[]string{cut}, cut},
		{[]string{missing}, missing},
		{[]string{"--picks", "MEG9999,grad,XYZ", in}, `"MEG9999", "XYZ"`},
		{[]string{"--picks", "eeg,ecg,bogus", in}, `"bogus"`},
		{[]string{"--tmax", "100", in}, "--tmax 100"},
		{[]string{"--tmin", "-1", in}, "--tmin -1"},
		{[]string{"--tmin", "2", "--tmax", "1", in}, "--tmin 2"},
		{[]string{"--fmt", "float16", in}, "float16"},
	} {
		for _, ext := range []string{".h5", ".fif"} {
			out := filepath.Join(outDir, "out"+ext)
			args := append(append([]string{"convert"}, c.args...), out)
			code, stdout, stderr := runCLI(t, args...)
			if code == 0 {
				t.Errorf("megflow %q succeeded", args)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("megflow %q: stderr %q does not name %q", args, stderr, c.want)
			}
			if stdout != "" || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("megflow %q: stdout %q stderr %q", args, stdout, stderr)
			}
			if left := dirNames(t, outDir); len(left) != 0 {
				t.Fatalf("megflow %q left %v", args, left)
			}
		}
	}
	// info fails the same way on the same inputs.
	for _, p := range []string{text, trunc, missing} {
		code, stdout, stderr := runCLI(t, "info", p)
		if code == 0 || !strings.Contains(stderr, p) || stdout != "" {
			t.Errorf("info %s: exit %d stdout %q stderr %q", p, code, stdout, stderr)
		}
	}
	if after := dirNames(t, dir); !slices.Equal(before, after) {
		t.Errorf("input directory changed: %v -> %v", before, after)
	}

	// Output name checks.
	for _, c := range []struct {
		out, want string
	}{
		{filepath.Join(outDir, "x.txt"), "must end in .h5, .hdf5 or .fif"},
		{filepath.Join(outDir, "x.fif.gz"), "compressed"},
		{filepath.Join(outDir, "nodir", "x.h5"), "nodir"},
		{in, "is the input file"},
	} {
		code, _, stderr := runCLI(t, "convert", in, c.out)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("convert to %s: exit %d stderr %q", c.out, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "convert", "--fmt", "short", in, filepath.Join(outDir, "x.h5")); code != exitUsage || !strings.Contains(stderr, "--fmt") {
		t.Errorf("--fmt with HDF5 output: exit %d %q", code, stderr)
	}
	if left := dirNames(t, outDir); len(left) != 0 {
		t.Fatalf("left %v", left)
	}

	// An existing output is kept unless --overwrite.
	out := filepath.Join(outDir, "exists.h5")
	if err := os.WriteFile(out, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "convert", in, out); code == 0 || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("overwrote without --overwrite: exit %d %q", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep" {
		t.Error("existing output changed")
	}
	mustRun(t, "-q", "convert", "--overwrite", in, out)
	if b, _ := os.ReadFile(out); string(b) == "keep" {
		t.Error("--overwrite did not replace the output")
	}
}

// TestConvertInterrupted checks that a cancelled conversion leaves no file.
func TestConvertInterrupted(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	outDir := t.TempDir()
	for _, name := range []string{"x.h5", "x_raw.fif"} {
		ctx, cancel := contextWithCancel()
		cancel()
		a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		err := a.convert(ctx, in, filepath.Join(outDir, name), convertOpts{format: "single", splitSize: "2GB", blockSeconds: 1})
		if err == nil {
			t.Errorf("%s: cancelled conversion succeeded", name)
		}
		if left := dirNames(t, outDir); len(left) != 0 {
			t.Errorf("%s: cancelled conversion left %v", name, left)
		}
	}
}

// TestInfoNotRaw checks that FIF files without raw data are described,
// not refused: a transform and an events file.
func TestInfoNotRaw(t *testing.T) {
	dir := t.TempDir()
	trans := filepath.Join(dir, "x-trans.fif")
	if err := fif.WriteTrans(trans, &fif.Transform{From: fif.FrameHead, To: fif.FrameMRI, M: [4][4]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0.01}, {0, 0, 0, 1}}}); err != nil {
		t.Fatal(err)
	}
	eve := filepath.Join(dir, "x-eve.fif")
	if err := fif.WriteEventsFIF(eve, []fif.Event{{Sample: 100, ID: 1}, {Sample: 200, ID: 2}}); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{trans: "coordinate transform", eve: "events"} {
		code, out, stderr := runCLI(t, "info", path)
		if code != 0 || stderr != "" || !strings.Contains(out, "not a raw recording: "+kind) {
			t.Errorf("info %s: exit %d stdout %q stderr %q", path, code, out, stderr)
		}
		m := infoJSON(t, path)
		if m["raw"] != false || m["fif_type"] != kind || m["sfreq"] != nil || m["n_times"] != nil {
			t.Errorf("info --json %s: raw %v fif_type %v sfreq %v n_times %v", path, m["raw"], m["fif_type"], m["sfreq"], m["n_times"])
		}
	}
}

// TestConvertSplit writes split FIF output, reads it back, and checks
// that info lists the parts and that a missing part is reported.
func TestConvertSplit(t *testing.T) {
	dir := t.TempDir()
	info := synthInfo()
	n := int64(60000)
	src := &memSource{info: info, first: 0, n: n, data: make([]float64, int64(len(info.Chs))*n)}
	for ch, c := range info.Chs {
		for s := int64(0); s < n; s++ {
			src.data[int64(ch)*n+s] = float64((s*int64(ch+3))%1000-500) * c.Cal * c.Range
		}
	}
	in := filepath.Join(dir, "long_raw.fif")
	if _, err := fif.WriteRaw(in, src, fif.RawWriteOptions{Format: "double", BufferSize: 1000}); err != nil {
		t.Fatal(err)
	}
	orig, _ := readBack(t, in)
	out := filepath.Join(dir, "split_raw.fif")
	mustRun(t, "-q", "convert", "--fmt", "double", "--split-size", "1.25MB", in, out)
	parts, err := filepath.Glob(filepath.Join(dir, "split_raw*.fif"))
	if err != nil || len(parts) < 2 {
		t.Fatalf("split output: %v %v", parts, err)
	}
	checkFIFConvert(t, out, orig, []int{0, 1, 2, 3, 4, 5, 6}, 0, n, "double")
	m := infoJSON(t, out)
	if got := len(m["split_parts"].([]any)); got != len(parts) {
		t.Errorf("info lists %d parts, %d written", got, len(parts))
	}
	text := mustRun(t, "info", out)
	if !strings.Contains(text, fmt.Sprintf("Split parts:     %d: split_raw.fif, split_raw-1.fif", len(parts))) {
		t.Errorf("info output:\n%s", text)
	}
	// Remove the last part: info warns and shows the rest, convert fails.
	last := filepath.Join(dir, fmt.Sprintf("split_raw-%d.fif", len(parts)-1))
	if err := os.Remove(last); err != nil {
		t.Fatal(err)
	}
	code, text, stderr := runCLI(t, "info", out)
	if code != 0 || !strings.Contains(text, "Warning:") || !strings.Contains(stderr, "split part missing") {
		t.Errorf("info with a missing part: exit %d\n%s\n%s", code, text, stderr)
	}
	code, _, stderr = runCLI(t, "convert", out, filepath.Join(dir, "x.h5"))
	if code == 0 || !strings.Contains(stderr, filepath.Base(last)) {
		t.Errorf("convert with a missing part: exit %d %q", code, stderr)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"2GB": 2 << 30, "500MB": 500 << 20, "1.5 MB": 3 << 19, "4096": 4096, "64kB": 65536, "10B": 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3GB", "-1MB", "big", "0"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestCropSamples(t *testing.T) {
	for _, c := range []struct {
		tmin, tmax  float64
		hasTmax     bool
		start, stop int64
		ok          bool
	}{
		{0, 0, false, 0, 1000, true},
		{0, 0.999, true, 0, 1000, true},
		{0.0005, 0.0015, true, 0, 3, true}, // 0.5 -> 0, 1.5 -> 2 (half to even)
		{0.2, 0.2, true, 200, 201, true},
		{0, 1.0, true, 0, 0, false},
		{-0.001, 0.5, true, 0, 0, false},
		{math.NaN(), 0.5, true, 0, 0, false},
	} {
		start, stop, err := cropSamples(c.tmin, c.tmax, c.hasTmax, 1000, 1000)
		if (err == nil) != c.ok || (c.ok && (start != c.start || stop != c.stop)) {
			t.Errorf("crop(%g, %g): %d %d %v, want %d %d ok=%v", c.tmin, c.tmax, start, stop, err, c.start, c.stop, c.ok)
		}
	}
}

func TestParsePicks(t *testing.T) {
	info := synthInfo()
	for _, c := range []struct {
		value string
		want  []int
		err   string
	}{
		{"", nil, ""},
		{"all", []int{0, 1, 2, 3, 4, 5, 6}, ""},
		{"meg", []int{0, 1, 2}, ""},
		{"MAG, grad", []int{2, 0, 1}, ""},
		{"data", []int{0, 1, 2, 3}, ""},
		{"ECG063,eog,ECG063", []int{5, 4}, ""},
		{"misc", nil, "no channels of type"},
		{"foo,bar", nil, `"foo", "bar"`},
		{",", nil, "selects no channels"},
	} {
		got, err := parsePicks(info, c.value)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("picks %q: error %v, want %q", c.value, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("picks %q: %v %v, want %v", c.value, got, err, c.want)
		}
	}
}
