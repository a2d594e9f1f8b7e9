package main

// Tests on the shared recordings and MNE-Python's golden outputs. They
// skip with a message when ../shared is absent (see internal/sharedtest).

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

const simRaw = "data/sim/facerec_sim_raw.fif"

func TestSharedInfoSim(t *testing.T) {
	path := sharedtest.Path(t, simRaw)
	m := infoJSON(t, path)
	if m["sfreq"] != 1100.0 || m["n_times"] != 51905.0 || m["first_samp"] != 13750.0 {
		t.Errorf("sfreq %v n_times %v first_samp %v", m["sfreq"], m["n_times"], m["first_samp"])
	}
	chs := m["channels"].([]any)
	if len(chs) != 310 {
		t.Errorf("%d channels, want 310", len(chs))
	}
	var bads []string
	for _, b := range m["bads"].([]any) {
		bads = append(bads, b.(string))
	}
	if !slices.Equal(bads, []string{"MEG1512", "MEG0731"}) {
		t.Errorf("bads %v, want [MEG1512 MEG0731]", bads)
	}
	if m["format"] != "short" || m["projs"] == nil || len(m["projs"].([]any)) != 0 || m["dev_head_t"] == nil {
		t.Errorf("format %v projs %v dev_head_t %v", m["format"], m["projs"], m["dev_head_t"])
	}

	// Channel metadata equals MNE's (golden fif_read.h5), exactly.
	g, err := h5.Open(sharedtest.Golden(t, "fif_read.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	grp := "raw/facerec_sim_raw"
	names, err := g.ReadStrings(grp + "/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	cal, _, err := g.ReadFloat64(grp + "/cal")
	if err != nil {
		t.Fatal(err)
	}
	coil, _, err := g.ReadFloat64(grp + "/coil_type")
	if err != nil {
		t.Fatal(err)
	}
	loc, _, err := g.ReadFloat64(grp + "/loc")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(chs) {
		t.Fatalf("golden has %d channels, info %d", len(names), len(chs))
	}
	for i, c := range chs {
		c := c.(map[string]any)
		if c["name"] != names[i] || c["cal"] != cal[i] || c["coil_type"] != coil[i] {
			t.Errorf("channel %d: %v %v %v, MNE %s %g %g", i, c["name"], c["cal"], c["coil_type"], names[i], cal[i], coil[i])
		}
		for k, v := range c["loc"].([]any) {
			want := loc[12*i+k]
			if math.IsNaN(want) && v == nil { // NaN is null in JSON
				continue
			}
			if v != want {
				t.Fatalf("channel %s loc[%d] = %v, MNE %v", names[i], k, v, loc[12*i+k])
			}
		}
	}
	if md, err := g.AttrString(grp, "meas_date"); err == nil && !strings.HasPrefix(strings.ReplaceAll(md, " ", "T"), strings.TrimSuffix(m["meas_date"].(string), "Z")[:19]) {
		t.Errorf("meas_date %v, MNE %s", m["meas_date"], md)
	}

	text := mustRun(t, "info", path)
	for _, want := range []string{"310: 204 grad, 102 mag, 2 eog, 1 ecg, 1 stim", "2: MEG1512, MEG0731", "51905 (47.186 s)", "13750"} {
		if !strings.Contains(text, want) {
			t.Errorf("info output lacks %q:\n%s", want, text)
		}
	}
}

func TestSharedInfoOtherFiles(t *testing.T) {
	dir := sharedtest.Dir(t)
	for _, c := range []struct{ file, want string }{
		{"data/fif/sample_audvis-cov.fif", "not a raw recording: covariance"},
		{"data/fif/test_elekta-ave.fif", "not a raw recording: evoked"},
		{"data/fif/sample_audvis_trunc-trans.fif", "not a raw recording: coordinate transform"},
		{"data/fif/sample_audvis_trunc_raw-eve.fif", "not a raw recording: events"},
		{"data/fif/test_move_anon_erm_raw.fif", "MaxShield:       yes"},
		{"data/maxfilter/test_move_anon_erm_st1FineCalCrossTalk_raw_sss.fif", "SSS in meg frame, origin (0.0, 13.0, -6.0) mm"},
		{"data/fif/sample_audvis_trunc_raw_sss.fif", "Split parts:"},
	} {
		path := filepath.Join(dir, c.file)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s absent; skipped", c.file)
			continue
		}
		code, out, stderr := runCLI(t, "info", path)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("info %s: exit %d, stderr %q, output lacks %q:\n%s", c.file, code, stderr, c.want, out)
		}
		infoJSON(t, path)
	}
	// The MaxFilter record in JSON.
	m := infoJSON(t, sharedtest.Path(t, "data/maxfilter/test_move_anon_erm_st1FineCalCrossTalk_raw_sss.fif"))
	ph := m["proc_history"].([]any)
	if len(ph) == 0 {
		t.Fatal("no processing history")
	}
	p := ph[0].(map[string]any)
	sss, _ := p["sss"].(map[string]any)
	st, _ := p["max_st"].(map[string]any)
	if sss == nil || st == nil || sss["nfree"] != 80.0 || st["buflen"] == nil {
		t.Errorf("proc_history[0] = %v", p)
	}
}

func TestSharedConvertSim(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	orig, err := fif.OpenRaw(in, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	dir := t.TempDir()

	// Whole recording to HDF5: every sample equals fif.Raw.Read.
	out := filepath.Join(dir, "sim.h5")
	mustRun(t, "-q", "convert", in, out)
	checkH5(t, out, in, orig, nil, 0, orig.NTimes)

	// Part of it, to FIF in each format.
	megIdx := func(names ...string) []int {
		var p []int
		for _, n := range names {
			p = append(p, orig.Info.ChIndex(n))
		}
		return p
	}
	var mags []int
	for i, c := range orig.Info.Chs {
		if chType(c) == "mag" {
			mags = append(mags, i)
		}
	}
	for _, format := range []string{"short", "single", "double", "int"} {
		out := filepath.Join(dir, "sim_"+format+"_raw.fif")
		mustRun(t, "-q", "convert", "--fmt", format, "--tmin", "10", "--tmax", "12.5", "--picks", "mag,STI101", in, out)
		checkFIFConvert(t, out, orig, append(slices.Clone(mags), megIdx("STI101")...), 11000, 13751, format)
	}
	out = filepath.Join(dir, "sim_names_raw.fif")
	mustRun(t, "-q", "convert", "--fmt", "short", "--picks", "MEG0731,EOG062,MEG1512", "--tmax", "1", in, out)
	checkFIFConvert(t, out, orig, megIdx("MEG0731", "EOG062", "MEG1512"), 0, 1101, "short")
	r, _ := readBack(t, out)
	if !slices.Equal(r.Info.Bads, []string{"MEG1512", "MEG0731"}) {
		t.Errorf("bads %v", r.Info.Bads)
	}
	// The whole file in its own format is bit-exact.
	out = filepath.Join(dir, "sim_copy_raw.fif")
	mustRun(t, "-q", "convert", "--fmt", "short", in, out)
	checkFIFConvert(t, out, orig, megIdx(orig.Info.ChNames()...), 0, orig.NTimes, "short")
	_, got := readBack(t, out)
	want, err := orig.Read(nil, 0, orig.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("short copy of a short recording is not bit-exact")
	}
}

func TestSharedErrors(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trunc := filepath.Join(dir, "facerec_first1000_raw.fif")
	if err := os.WriteFile(trunc, b[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	for _, args := range [][]string{
		{"info", trunc},
		{"info", "--json", trunc},
		{"convert", trunc, filepath.Join(outDir, "x.h5")},
		{"convert", trunc, filepath.Join(outDir, "x.fif")},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code == 0 || stdout != "" || !strings.Contains(stderr, trunc) || strings.Contains(stderr, "goroutine") {
			t.Errorf("megflow %q: exit %d stdout %q stderr %q", args, code, stdout, stderr)
		}
	}
	if left := dirNames(t, outDir); len(left) != 0 {
		t.Errorf("left %v", left)
	}

	// MaxShield data needs --allow-maxshield.
	ias := sharedtest.Path(t, "data/fif/test_move_anon_erm_raw.fif")
	out := filepath.Join(outDir, "ias.h5")
	code, _, stderr := runCLI(t, "convert", ias, out)
	if code == 0 || !strings.Contains(stderr, "--allow-maxshield") {
		t.Errorf("MaxShield without --allow-maxshield: exit %d %q", code, stderr)
	}
	mustRun(t, "-q", "convert", "--allow-maxshield", ias, out)
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}
