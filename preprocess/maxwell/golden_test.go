package maxwell

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

const (
	ermRaw  = "data/fif/test_move_anon_erm_raw.fif"
	simRaw  = "data/sim/facerec_sim_raw.fif"
	calFile = "data/maxfilter/sss_cal_3053.dat"
	ctcFile = "data/maxfilter/ct_sparse.fif"
)

// filterFile runs the filter over a whole recording and returns the
// output info, all channels (channel-major) and the filter.
func filterFile(t testing.TB, path string, opt Options) (*fif.Info, []float64, int, *Filter) {
	t.Helper()
	raw, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	f, err := NewFilter(raw, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	n := int(raw.NTimes)
	data := make([]float64, len(raw.Info.Chs)*n)
	// Read in uneven pieces to exercise window boundaries.
	for s := int64(0); s < raw.NTimes; {
		e := min(s+777, raw.NTimes)
		part := make([]float64, len(raw.Info.Chs)*int(e-s))
		if err := f.ReadAll(part, s, e); err != nil {
			t.Fatal(err)
		}
		for ch := range raw.Info.Chs {
			copy(data[ch*n+int(s):ch*n+int(e)], part[ch*int(e-s):(ch+1)*int(e-s)])
		}
		s = e
	}
	return f.RawInfo(), data, n, f
}

// channelSNR returns ||ref|| / ||got - ref|| per row.
func channelSNR(got, ref []float64, rows, n int) []float64 {
	out := make([]float64, rows)
	for r := range rows {
		num, den := 0.0, 0.0
		for i := range n {
			g, e := got[r*n+i], ref[r*n+i]
			num += e * e
			den += (g - e) * (g - e)
		}
		out[r] = math.Sqrt(num) / math.Sqrt(den)
	}
	return out
}

func minMedian(v []float64) (float64, float64) {
	s := slices.Clone(v)
	sort.Float64s(s)
	return s[0], median(s)
}

func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// rowsByName picks rows of the named channels from channel-major data.
func rowsByName(info *fif.Info, data []float64, n int, names []string, start, stop int) ([]float64, error) {
	out := make([]float64, 0, len(names)*(stop-start))
	for _, name := range names {
		i := info.ChIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("no channel %s", name)
		}
		out = append(out, data[i*n+start:i*n+stop]...)
	}
	return out, nil
}

type ermVariant struct {
	key       string
	maxfilter string
	cal, ctc  bool
	st        float64
	regIn     bool
	origin    geom.Vec3
	stored    bool
}

var ermVariants = []ermVariant{
	{key: "a_sss", maxfilter: "test_move_anon_erm_devOrigin_raw_sss.fif", origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "b_regin", maxfilter: "test_move_anon_erm_regIn_raw_sss.fif", regIn: true, origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "c_finecal", maxfilter: "test_move_anon_erm_fineCal_raw_sss.fif", cal: true, origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "d_crosstalk", maxfilter: "test_move_anon_erm_crossTalk_raw_sss.fif", ctc: true, origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "e_tsss1", maxfilter: "test_move_anon_erm_st1_raw_sss.fif", st: 1, origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "f_cal_ctc_tsss1_regin", maxfilter: "test_move_anon_erm_st1FineCalCrossTalkRegIn_raw_sss.fif", cal: true, ctc: true, st: 1, regIn: true, origin: geom.Vec3{0, 0.013, -0.006}, stored: true},
	{key: "b0_regin_origin000", maxfilter: "test_move_anon_erm_regIn_raw_sss.fif", regIn: true},
	{key: "g_cal_ctc_tsss1", maxfilter: "test_move_anon_erm_st1FineCalCrossTalk_raw_sss.fif", cal: true, ctc: true, st: 1, origin: geom.Vec3{0, 0.013, -0.006}},
}

func (v ermVariant) options(t testing.TB) Options {
	opt := DefaultOptions()
	opt.Frame = FrameMEG
	o := v.origin
	opt.Origin = &o
	opt.RegularizeIn = v.regIn
	if !v.regIn {
		opt.BadCondition = BadConditionIgnore
	}
	opt.STDuration = v.st
	if v.cal {
		fc, err := ReadFineCal(sharedtest.Path(t, calFile))
		if err != nil {
			t.Fatal(err)
		}
		opt.Calibration = fc
	}
	if v.ctc {
		ct, err := ReadCrossTalk(sharedtest.Path(t, ctcFile))
		if err != nil {
			t.Fatal(err)
		}
		opt.CrossTalk = ct
	}
	return opt
}

// TestGoldenERM compares every empty-room variant with MNE-Python's
// output (maxwell.h5) and with Elekta MaxFilter's files.
func TestGoldenERM(t *testing.T) {
	golden := sharedtest.Golden(t, "maxwell.h5")
	raw := sharedtest.Path(t, ermRaw)
	g, err := h5.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	names, err := g.ReadStrings("erm/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ermVariants {
		t.Run(v.key, func(t *testing.T) {
			grp := "erm/" + v.key
			info, data, n, f := filterFile(t, raw, v.options(t))
			sum := f.Prepared().Summary()
			for attr, got := range map[string]int{"nfree": sum.NFree, "n_in_kept": sum.NInKept, "n_out_kept": sum.NOutKept} {
				want, err := g.AttrInt64(grp, attr)
				if err != nil {
					t.Fatal(err)
				}
				if int64(got) != want {
					t.Errorf("%s = %d, MNE %d", attr, got, want)
				}
			}
			comps, _, err := g.ReadInt64(grp + "/components")
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range comps {
				if int32(c) != sum.Components[i] {
					t.Errorf("component %d kept=%d, MNE %d", i, sum.Components[i], c)
				}
			}
			wins := f.Windows()
			if v.st > 0 {
				want, _, err := g.ReadInt64(grp + "/tsss_n_projected")
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, w := range wins {
					got = append(got, int64(w.NProjected))
				}
				if !slices.Equal(got, want) {
					t.Errorf("tSSS projections per window %v, MNE %v", got, want)
				}
			}
			meg, err := rowsByName(info, data, n, names, 0, n)
			if err != nil {
				t.Fatal(err)
			}
			if v.stored {
				ref, dims, err := g.ReadFloat64(grp + "/data")
				if err != nil {
					t.Fatal(err)
				}
				if dims[0] != len(names) || dims[1] != n {
					t.Fatalf("golden data %v, have %d x %d", dims, len(names), n)
				}
				snr := channelSNR(meg, ref, len(names), n)
				mn, md := minMedian(snr)
				t.Logf("vs MNE: SNR min %.4g median %.4g", mn, md)
				if v.st > 0 {
					if mn < 100 || md < 1000 {
						t.Errorf("SNR vs MNE min %.4g (want >= 100), median %.4g (want >= 1000)", mn, md)
					}
				} else if mn < 1000 {
					t.Errorf("SNR vs MNE min %.4g, want >= 1000 (worst channel %s)", mn, names[slices.Index(snr, mn)])
				}
			}
			// Against MaxFilter: at least MNE's figures.
			mfPath := sharedtest.Path(t, filepath.Join("data/maxfilter", v.maxfilter))
			mf, err := fif.OpenRaw(mfPath, fif.RawOptions{AllowMaxShield: true})
			if err != nil {
				t.Fatal(err)
			}
			defer mf.Close()
			if mf.NTimes != int64(n) {
				t.Fatalf("MaxFilter file has %d samples, raw %d", mf.NTimes, n)
			}
			mfAll, err := mf.Read(nil, 0, mf.NTimes)
			if err != nil {
				t.Fatal(err)
			}
			mfMEG, err := rowsByName(mf.Info, mfAll, n, names, 0, n)
			if err != nil {
				t.Fatal(err)
			}
			snr := channelSNR(meg, mfMEG, len(names), n)
			mn, md := minMedian(snr)
			wantMin, _ := g.AttrFloat64(grp, "snr_min")
			wantMed, _ := g.AttrFloat64(grp, "snr_median")
			t.Logf("vs MaxFilter: SNR min %.4g median %.4g (MNE %.4g / %.4g)", mn, md, wantMin, wantMed)
			if mn < wantMin*(1-1e-3) || md < wantMed*(1-1e-3) {
				t.Errorf("SNR vs MaxFilter min %.4g median %.4g, below MNE's %.4g / %.4g", mn, md, wantMin, wantMed)
			}
		})
	}
}

// TestGoldenSim compares SSS and tSSS (10 s) of the simulated recording
// (head frame, regularize='in', two bad channels) with MNE-Python.
func TestGoldenSim(t *testing.T) {
	golden := sharedtest.Golden(t, "maxwell.h5")
	raw := sharedtest.Path(t, simRaw)
	g, err := h5.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	names, err := g.ReadStrings("sim/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	win, _, err := g.ReadInt64("sim/window_samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sss", "tsss10"} {
		t.Run(key, func(t *testing.T) {
			grp := "sim/" + key
			opt := DefaultOptions()
			opt.Origin = &geom.Vec3{0, 0, 0.04}
			if key == "tsss10" {
				opt.STDuration = 10
			}
			info, data, n, f := filterFile(t, raw, opt)
			sum := f.Prepared().Summary()
			for attr, got := range map[string]int{"nfree": sum.NFree, "n_in_kept": sum.NInKept, "n_out_kept": sum.NOutKept} {
				want, _ := g.AttrInt64(grp, attr)
				if int64(got) != want {
					t.Errorf("%s = %d, MNE %d", attr, got, want)
				}
			}
			comps, _, _ := g.ReadInt64(grp + "/components")
			for i, c := range comps {
				if int32(c) != sum.Components[i] {
					t.Errorf("component %d kept=%d, MNE %d", i, sum.Components[i], c)
				}
			}
			if key == "tsss10" {
				want, _, _ := g.ReadInt64(grp + "/tsss_n_projected")
				var got []int64
				for _, w := range f.Windows() {
					got = append(got, int64(w.NProjected))
				}
				if !slices.Equal(got, want) {
					t.Errorf("tSSS projections per window %v, MNE %v", got, want)
				}
			}
			if !slices.Equal(sum.Bads, []string{"MEG0731", "MEG1512"}) && !slices.Equal(sum.Bads, []string{"MEG1512", "MEG0731"}) {
				t.Errorf("reconstructed bads %v", sum.Bads)
			}
			for w, ds := range []string{"data_boundary", "data_burst"} {
				ref, dims, err := g.ReadFloat64(grp + "/" + ds)
				if err != nil {
					t.Fatal(err)
				}
				s0, s1 := int(win[2*w]), int(win[2*w+1])
				if dims[1] != s1-s0 {
					t.Fatalf("%s: %v samples vs window %d..%d", ds, dims, s0, s1)
				}
				got, err := rowsByName(info, data, n, names, s0, s1)
				if err != nil {
					t.Fatal(err)
				}
				snr := channelSNR(got, ref, len(names), s1-s0)
				mn, md := minMedian(snr)
				t.Logf("%s vs MNE: SNR min %.4g median %.4g", ds, mn, md)
				if key == "sss" && mn < 1000 || key != "sss" && (mn < 100 || md < 1000) {
					t.Errorf("%s: SNR vs MNE min %.4g median %.4g (worst %s)", ds, mn, md, names[slices.Index(snr, mn)])
				}
			}
			norms, _, _ := g.ReadFloat64(grp + "/norm")
			all, _ := rowsByName(info, data, n, names, 0, n)
			worst := 0.0
			for r := range names {
				s := 0.0
				for _, v := range all[r*n : (r+1)*n] {
					s += v * v
				}
				worst = math.Max(worst, math.Abs(math.Sqrt(s)-norms[r])/norms[r])
			}
			t.Logf("channel norms over the file: worst relative difference %.3g", worst)
			if worst > 1e-3 {
				t.Errorf("channel norms differ from MNE by up to %.3g", worst)
			}
			if slices.ContainsFunc(info.Bads, func(b string) bool { return strings.HasPrefix(b, "MEG") }) {
				t.Errorf("MEG bads left in the output info: %v", info.Bads)
			}
		})
	}
}
