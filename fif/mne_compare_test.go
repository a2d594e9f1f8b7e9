package fif

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// rawReference compares a raw recording read by megflow with what
// MNE-Python read from a file, stored in an HDF5 group in the layout of
// golden/fif_read.h5 (written by MNE's golden script, or by
// scripts/mne_raw_reference.py for other files). Metadata must be equal;
// data must be equal within dataTol relative to each channel's largest
// absolute value (0 means bit-exact).
func rawReference(t *testing.T, g *h5.File, grp string, r *Raw, dataTol float64) {
	t.Helper()
	in := r.Info
	nch := in.NChan()
	names, err := g.ReadStrings(grp + "/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(names, in.ChNames()) {
		t.Fatalf("%s: channel names differ:\n megflow %v\n MNE     %v", grp, in.ChNames(), names)
	}
	ints := map[string]func(Channel) float64{
		"kind":        func(c Channel) float64 { return float64(c.Kind) },
		"coil_type":   func(c Channel) float64 { return float64(c.CoilType) },
		"unit":        func(c Channel) float64 { return float64(c.Unit) },
		"unit_mul":    func(c Channel) float64 { return float64(c.UnitMul) },
		"coord_frame": func(c Channel) float64 { return float64(c.CoordFrame) },
		"logno":       func(c Channel) float64 { return float64(c.LogNo) },
		"scanno":      func(c Channel) float64 { return float64(c.ScanNo) },
		"cal":         func(c Channel) float64 { return c.Cal },
		"range":       func(c Channel) float64 { return c.Range },
	}
	for key, get := range ints {
		want, _, err := g.ReadFloat64(grp + "/" + key)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range in.Chs {
			if get(c) != want[i] {
				t.Errorf("%s: channel %s %s = %v, MNE %v", grp, c.Name, key, get(c), want[i])
				break
			}
		}
	}
	loc, _, err := g.ReadFloat64(grp + "/loc")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range in.Chs {
		for j := range 12 {
			if c.Loc[j] != loc[12*i+j] && !(math.IsNaN(c.Loc[j]) && math.IsNaN(loc[12*i+j])) {
				t.Fatalf("%s: channel %s loc[%d] = %v, MNE %v", grp, c.Name, j, c.Loc[j], loc[12*i+j])
			}
		}
	}
	for attr, got := range map[string]float64{"sfreq": in.SFreq, "highpass": in.Highpass, "lowpass": in.Lowpass} {
		want, err := g.AttrFloat64(grp, attr)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %s = %v, MNE %v", grp, attr, got, want)
		}
	}
	if g.Exists(grp + "/dev_head_t") {
		want, _, _ := g.ReadFloat64(grp + "/dev_head_t")
		if in.DevHeadT == nil {
			t.Errorf("%s: dev_head_t missing", grp)
		} else {
			for i := range 16 {
				if in.DevHeadT.M[i/4][i%4] != want[i] {
					t.Errorf("%s: dev_head_t %v, MNE %v", grp, in.DevHeadT.M, want)
					break
				}
			}
		}
	} else if in.DevHeadT != nil {
		t.Errorf("%s: dev_head_t %v where MNE has none", grp, in.DevHeadT.M)
	}
	if sec, err := g.AttrInt64s(grp, "meas_date_secs_usecs"); err == nil {
		if !in.HasMeasDate || in.MeasDate.Unix() != sec[0] || int64(in.MeasDate.Nanosecond()/1000) != sec[1] {
			t.Errorf("%s: meas_date %v, MNE %v", grp, in.MeasDate, sec)
		}
	}
	bads, err := g.ReadStrings(grp + "/bads")
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(bads, in.Bads) {
		t.Errorf("%s: bads %v, MNE %v", grp, in.Bads, bads)
	}
	compareProjs(t, g, grp+"/projs", in.Projs)
	compareDig(t, g, grp+"/dig", in.Dig)
	if g.Exists(grp + "/comps") {
		compareComps(t, g, grp+"/comps", in.Comps)
	}
	if hist, err := g.AttrString(grp, "proc_history"); err == nil {
		compareHistory(t, grp, hist, in.ProcHistory)
	}

	want, dims, err := g.ReadFloat64(grp + "/data")
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != 2 || dims[0] != nch || int64(dims[1]) != r.NTimes {
		t.Fatalf("%s: MNE data %v, megflow %d x %d", grp, dims, nch, r.NTimes)
	}
	got, err := r.Read(nil, 0, r.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	if dataTol == 0 {
		assertBitEqual(t, got, want)
		return
	}
	n := int(r.NTimes)
	for ch := range nch {
		scale := 0.0
		for _, v := range want[ch*n : (ch+1)*n] {
			scale = math.Max(scale, math.Abs(v))
		}
		for s := range n {
			if d := math.Abs(got[ch*n+s] - want[ch*n+s]); d > dataTol*scale {
				t.Fatalf("%s: channel %s sample %d: %g, MNE %g (tolerance %g of %g)", grp, in.Chs[ch].Name, s, got[ch*n+s], want[ch*n+s], dataTol, scale)
			}
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func compareProjs(t *testing.T, g *h5.File, grp string, projs []Projector) {
	t.Helper()
	desc, err := g.ReadStrings(grp + "/desc")
	if err != nil {
		t.Fatal(err)
	}
	if len(desc) != len(projs) {
		t.Fatalf("%s: %d projectors, MNE %d", grp, len(projs), len(desc))
	}
	active, _, _ := g.ReadInt64(grp + "/active")
	kind, _, _ := g.ReadInt64(grp + "/kind")
	for i, p := range projs {
		if p.Desc != desc[i] || p.Active != (active[i] != 0) || int64(p.Kind) != kind[i] {
			t.Errorf("%s: projector %d = (%q, active %v, kind %d), MNE (%q, %v, %d)", grp, i, p.Desc, p.Active, p.Kind, desc[i], active[i], kind[i])
		}
		sub := grp + "/" + threeDigits(i)
		cols, err := g.ReadStrings(sub + "/col_names")
		if err != nil {
			t.Fatal(err)
		}
		if !equalStrings(cols, p.ColNames) {
			t.Errorf("%s: projector %d columns differ", grp, i)
		}
		data, _, err := g.ReadFloat64(sub + "/data")
		if err != nil {
			t.Fatal(err)
		}
		if !equalFloats(data, p.Data) {
			t.Errorf("%s: projector %d vectors differ", grp, i)
		}
	}
}

func compareDig(t *testing.T, g *h5.File, grp string, dig []DigPoint) {
	t.Helper()
	if !g.Exists(grp) { // the golden file stores no group for files without points
		if len(dig) != 0 {
			t.Errorf("%s: %d points where MNE has none", grp, len(dig))
		}
		return
	}
	kind, _, err := g.ReadInt64(grp + "/kind")
	if err != nil {
		t.Fatal(err)
	}
	if len(kind) != len(dig) {
		t.Fatalf("%s: %d points, MNE %d", grp, len(dig), len(kind))
	}
	ident, _, _ := g.ReadInt64(grp + "/ident")
	frame, _, _ := g.ReadInt64(grp + "/coord_frame")
	r, _, _ := g.ReadFloat64(grp + "/r")
	for i, d := range dig {
		if int64(d.Kind) != kind[i] || int64(d.Ident) != ident[i] || int64(d.CoordFrame) != frame[i] ||
			d.R[0] != r[3*i] || d.R[1] != r[3*i+1] || d.R[2] != r[3*i+2] {
			t.Errorf("%s: point %d = %+v, MNE kind %d ident %d frame %d r %v", grp, i, d, kind[i], ident[i], frame[i], r[3*i:3*i+3])
			return
		}
	}
}

func compareComps(t *testing.T, g *h5.File, grp string, comps []CTFComp) {
	t.Helper()
	kind, _, err := g.ReadInt64(grp + "/kind")
	if err != nil {
		t.Fatal(err)
	}
	if len(kind) != len(comps) {
		t.Fatalf("%s: %d compensation matrices, MNE %d", grp, len(comps), len(kind))
	}
	for i, c := range comps {
		sub := grp + "/" + threeDigits(i)
		rows, _ := g.ReadStrings(sub + "/row_names")
		cols, _ := g.ReadStrings(sub + "/col_names")
		data, _, _ := g.ReadFloat64(sub + "/data")
		if int64(c.Kind) != kind[i] || !equalStrings(rows, c.RowNames) || !equalStrings(cols, c.ColNames) || !equalFloats(data, c.Data) {
			t.Errorf("%s: compensation %d differs from MNE's", grp, i)
		}
	}
}

// compareHistory checks the processing-history summary written by
// scripts/mne_raw_reference.py.
func compareHistory(t *testing.T, grp, js string, hist []ProcRecord) {
	t.Helper()
	var want []struct {
		Creator       string    `json:"creator"`
		SSSNFree      *int      `json:"sss_nfree"`
		SSSInOrder    *int      `json:"sss_in_order"`
		SSSOrigin     []float64 `json:"sss_origin"`
		SSSComponents *int      `json:"sss_components"`
		STBufLen      *float64  `json:"st_buflen"`
	}
	if err := json.Unmarshal([]byte(js), &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(hist) {
		t.Fatalf("%s: %d processing records, MNE %d", grp, len(hist), len(want))
	}
	for i, w := range want {
		h := hist[i]
		if h.Creator != w.Creator {
			t.Errorf("%s: record %d creator %q, MNE %q", grp, i, h.Creator, w.Creator)
		}
		sss := h.MaxInfo.SSSInfo
		if (w.SSSNFree != nil) != (sss != nil) {
			t.Errorf("%s: record %d: sss_info present %v, MNE %v", grp, i, sss != nil, w.SSSNFree != nil)
			continue
		}
		if sss != nil {
			ncomp := 0
			for _, c := range sss.Components {
				ncomp += int(c)
			}
			if derefInt(sss.NFree) != *w.SSSNFree || derefInt(sss.InOrder) != *w.SSSInOrder || ncomp != *w.SSSComponents ||
				!equalFloats(sss.Origin, w.SSSOrigin) {
				t.Errorf("%s: record %d sss_info %+v differs from MNE's %+v", grp, i, sss, w)
			}
		}
		st := h.MaxInfo.MaxST
		if (w.STBufLen != nil) != (st != nil) || st != nil && (st.BufLen == nil || *st.BufLen != *w.STBufLen) {
			t.Errorf("%s: record %d max_st %+v, MNE buflen %v", grp, i, st, w.STBufLen)
		}
	}
}

func derefInt(p *int32) int {
	if p == nil {
		return -1
	}
	return int(*p)
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func threeDigits(i int) string {
	s := "00" + string(rune('0'+i%10))
	if i >= 10 {
		s = "0" + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
	}
	if i >= 100 {
		s = string(rune('0'+i/100)) + s[1:]
	}
	return s
}

// TestRawGoldenInfo compares every golden raw file's metadata and data.
func TestRawGoldenAll(t *testing.T) {
	g := openGolden(t, "fif_read.h5")
	for _, name := range goldenRaw {
		t.Run(name, func(t *testing.T) {
			rawReference(t, g, "raw/"+name, openRawT(t, goldenSource(t, g, "raw/"+name)), 0)
		})
	}
}

// mneReference runs scripts/mne_raw_reference.py to dump MNE's reading of
// files into an HDF5 file.
func mneReference(t *testing.T, files ...string) *h5.File {
	t.Helper()
	sharedtest.RequireMNE(t)
	out := filepath.Join(t.TempDir(), "mne_reference.h5")
	args := append([]string{scriptPath(t), "dump", out}, files...)
	if b, err := exec.Command(sharedtest.Python, args...).CombinedOutput(); err != nil {
		t.Fatalf("MNE reference: %v\n%s", err, b)
	}
	g, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func scriptPath(t *testing.T) string {
	p, err := filepath.Abs(filepath.Join("..", "scripts", "mne_raw_reference.py"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func stem(path string) string {
	b := filepath.Base(path)
	b = strings.TrimSuffix(b, ".gz")
	return strings.TrimSuffix(b, ".fif")
}

// TestOtherSystemsVsMNE reads recordings of the other systems MNE reads
// from FIF (Neuromag-122, TRIUX with SSS history, CTF with compensation,
// EEG only with long names, gzip, split, MaxShield), written by MNE
// itself, and compares with what MNE reads from them.
func TestOtherSystemsVsMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	dir := t.TempDir()
	if b, err := exec.Command(sharedtest.Python, scriptPath(t), "systems", dir).CombinedOutput(); err != nil {
		t.Fatalf("generating recordings with MNE: %v\n%s", err, b)
	}
	files := []string{"nm122_raw.fif", "triux_sss_raw.fif", "ctf_comp_raw.fif", "eeg_only_raw.fif",
		"eeg_only_gz_raw.fif.gz", "split_raw.fif", "maxshield_raw.fif"}
	for i := range files {
		files[i] = filepath.Join(dir, files[i])
	}
	g := mneReference(t, files...)
	for _, f := range files {
		t.Run(stem(f), func(t *testing.T) {
			r := openRawT(t, f)
			rawReference(t, g, "raw/"+stem(f), r, 0)
			if n, err := g.AttrInt64("raw/"+stem(f), "n_files"); err != nil || int(n) != len(r.Paths) {
				t.Errorf("read %d split parts, MNE %d (%v)", len(r.Paths), n, err)
			}
		})
	}
}

// TestRoundTripVsMNE writes every raw recording of the shared data with
// megflow, in its own format, and checks that MNE reads back the same
// metadata and data as megflow reads from the original.
func TestRoundTripVsMNE(t *testing.T) {
	shared := sharedtest.Dir(t)
	sharedtest.RequireMNE(t)
	var srcs []string
	for _, pat := range []string{"data/fif/*_raw.fif", "data/fif/*_raw_sss.fif", "data/sim/*_raw.fif", "data/maxfilter/*_raw_sss.fif"} {
		m, _ := filepath.Glob(filepath.Join(shared, pat))
		srcs = append(srcs, m...)
	}
	if len(srcs) < 10 {
		t.Fatalf("found %d raw files", len(srcs))
	}
	dir := t.TempDir()
	var outs []string
	raws := map[string]*Raw{}
	for _, src := range srcs {
		r := openRawT(t, src)
		out := filepath.Join(dir, stem(src)+".fif")
		if _, err := WriteRaw(out, r, RawWriteOptions{Format: FormatName(r.Format)}); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		outs = append(outs, out)
		raws[stem(src)] = r
	}
	g := mneReference(t, outs...)
	for name, r := range raws {
		t.Run(name, func(t *testing.T) {
			// Float formats reset range to 1 (as MNE's writer does), so the
			// stored numbers change and data agree to float32 rounding.
			_, resetRange, _ := formatType(FormatName(r.Format))
			tol := 0.0
			if resetRange {
				tol = 1e-7
			}
			// What MNE reads back is the info as the writer promises to
			// store it (scan numbers from 1, range reset for floats).
			want := *r
			want.Info = cloneInfoForWrite(r.Info, resetRange)
			rawReference(t, g, "raw/"+name, &want, tol)
		})
	}
}
