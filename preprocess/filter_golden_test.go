package preprocess

// Tests against MNE-Python's outputs in ../shared/golden/filter.h5 (see
// its README, "How MNE applied the filters"). They skip with a message
// when the shared data are absent.

import (
	"math"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

type goldenVariant struct {
	name   string
	design func(sfreq float64, nTimes int64) (*Filter, error)
	lFreq  float64 // for the info update (0: none, notch: no update)
	hFreq  float64
	notch  bool
}

var goldenVariants = []goldenVariant{
	{"lowpass40", func(sf float64, n int64) (*Filter, error) {
		return CreateFilter(sf, 0, 40, FilterOptions{NTimes: n})
	}, 0, 40, false},
	{"highpass1", func(sf float64, n int64) (*Filter, error) {
		return CreateFilter(sf, 1, 0, FilterOptions{NTimes: n})
	}, 1, 0, false},
	{"bandpass1_40", func(sf float64, n int64) (*Filter, error) {
		return CreateFilter(sf, 1, 40, FilterOptions{NTimes: n})
	}, 1, 40, false},
	{"notch50_100", func(sf float64, n int64) (*Filter, error) {
		return NotchFilter(sf, []float64{50, 100}, NotchOptions{NTimes: n})
	}, 0, 0, true},
	{"iir_bandpass1_40", func(sf float64, n int64) (*Filter, error) {
		return CreateFilter(sf, 1, 40, FilterOptions{Method: "iir", NTimes: n})
	}, 1, 40, false},
}

var goldenRecordings = []struct{ group, file string }{
	{"elekta_3ch", "data/fif/test_elekta_3ch_raw.fif"},
	{"sim", "data/sim/facerec_sim_raw.fif"},
}

func openGolden(t *testing.T) *h5.File {
	t.Helper()
	g, err := h5.Open(sharedtest.Golden(t, "filter.h5"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func mustFloats(t *testing.T, g *h5.File, name string) ([]float64, []int) {
	t.Helper()
	v, dims, err := g.ReadFloat64(name)
	if err != nil {
		t.Fatal(err)
	}
	return v, dims
}

// TestGoldenDesign compares the taps, sections, padding and design log
// with mne.filter.create_filter(None, sfreq, ...).
func TestGoldenDesign(t *testing.T) {
	g := openGolden(t)
	for _, rec := range goldenRecordings {
		sfreq, err := g.AttrFloat64(rec.group, "sfreq")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range goldenVariants {
			grp := rec.group + "/" + v.name
			t.Run(grp, func(t *testing.T) {
				f, err := v.design(sfreq, 0)
				if err != nil {
					t.Fatal(err)
				}
				if f.Method == "fir" {
					h, _ := mustFloats(t, g, grp+"/h")
					if len(h) != len(f.Taps) {
						t.Fatalf("%d taps, MNE %d", len(f.Taps), len(h))
					}
					var d float64
					for i := range h {
						d = math.Max(d, math.Abs(h[i]-f.Taps[i]))
					}
					t.Logf("%d taps, max abs diff %.2e", len(h), d)
					if d > 1e-12 {
						t.Errorf("taps differ from MNE's by %.2e (tolerance 1e-12)", d)
					}
				} else {
					sos, dims := mustFloats(t, g, grp+"/sos")
					if dims[0] != len(f.SOS) {
						t.Fatalf("%d sections, MNE %d", len(f.SOS), dims[0])
					}
					var rel float64
					for i := range f.SOS {
						for j := 0; j < 6; j++ {
							ref := sos[i*6+j]
							d := math.Abs(f.SOS[i][j] - ref)
							if ref != 0 {
								d /= math.Abs(ref)
							}
							rel = math.Max(rel, d)
						}
					}
					padlen, err := g.AttrInt64(grp, "padlen")
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("sos max rel diff %.2e, padlen %d (MNE %d)", rel, f.PadLen, padlen)
					if rel > 1e-10 {
						t.Errorf("sos differ from MNE's by %.2e relative (tolerance 1e-10)", rel)
					}
					if int64(f.PadLen) != padlen {
						t.Errorf("padlen %d, MNE %d", f.PadLen, padlen)
					}
				}
				want, err := g.AttrString(grp, "design_log")
				if err != nil {
					t.Fatal(err)
				}
				if got := f.Summary(); strings.TrimRight(got, "\n") != strings.TrimRight(want, "\n") {
					t.Errorf("design log differs from MNE's:\n--- megflow\n%s\n--- MNE\n%s", got, want)
				}
			})
		}
	}
}

// goldenCheck compares one channel-major output (all channels of the
// recording, n samples) with the stored head, tail, norms and stds and
// returns the worst error relative to the channel std and the worst
// relative norm difference.
func goldenCheck(t *testing.T, g *h5.File, group, variant string, names []string, data []float64, n int) (maxErr, maxNorm float64) {
	t.Helper()
	grp := group + "/" + variant
	gnames, err := g.ReadStrings(group + "/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	stored, _, err := g.ReadInt64(group + "/stored_channels")
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for i, nm := range names {
		index[nm] = i
	}
	std, _ := mustFloats(t, g, grp+"/std")
	norm, _ := mustFloats(t, g, grp+"/norm")
	for gi, nm := range gnames {
		ch, ok := index[nm]
		if !ok {
			t.Fatalf("channel %s not in the recording", nm)
		}
		row := data[ch*n : (ch+1)*n]
		var ss, sum float64
		for _, v := range row {
			ss += v * v
			sum += v
		}
		mean := sum / float64(n)
		var vv float64
		for _, v := range row {
			vv += (v - mean) * (v - mean)
		}
		if d := math.Abs(math.Sqrt(ss)-norm[gi]) / norm[gi]; d > maxNorm {
			maxNorm = d
		}
		if s := math.Sqrt(vv / float64(n)); math.Abs(s-std[gi]) > 1e-6*std[gi] {
			t.Errorf("%s %s: std %g, MNE %g", variant, nm, s, std[gi])
		}
	}
	for _, part := range []string{"head", "tail"} {
		ref, dims := mustFloats(t, g, grp+"/data_"+part)
		rng, _, err := g.ReadInt64(grp + "/" + part + "_samples")
		if err != nil {
			t.Fatal(err)
		}
		w := dims[1]
		for r, gi := range stored {
			ch := index[gnames[gi]]
			for i := 0; i < w; i++ {
				d := math.Abs(data[ch*n+int(rng[0])+i]-ref[r*w+i]) / std[gi]
				if d > maxErr {
					maxErr = d
				}
			}
		}
	}
	return maxErr, maxNorm
}

// TestGoldenOutputs filters the shared recordings through the streaming
// source (as "megflow filter" does) and in memory, and compares with
// MNE's raw.filter / raw.notch_filter outputs.
func TestGoldenOutputs(t *testing.T) {
	g := openGolden(t)
	for _, rec := range goldenRecordings {
		raw, err := fif.OpenRaw(sharedtest.Path(t, rec.file), fif.RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		info := raw.Info
		n := int(raw.NTimes)
		orig, err := raw.Read(nil, 0, raw.NTimes)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range goldenVariants {
			t.Run(rec.group+"/"+v.name, func(t *testing.T) {
				f, err := v.design(info.SFreq, raw.NTimes)
				if err != nil {
					t.Fatal(err)
				}
				picks := DataChannels(info)
				// streaming, read back in 1000-sample blocks as a writer would
				src, err := NewFilteredRaw(raw, f, picks, StreamOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				nch := len(info.Chs)
				out := make([]float64, nch*n)
				buf := make([]float64, nch*1000)
				for s0 := 0; s0 < n; s0 += 1000 {
					s1 := min(s0+1000, n)
					b := buf[:nch*(s1-s0)]
					if err := src.ReadAll(b, int64(s0), int64(s1)); err != nil {
						t.Fatal(err)
					}
					for ch := 0; ch < nch; ch++ {
						copy(out[ch*n+s0:ch*n+s1], b[ch*(s1-s0):(ch+1)*(s1-s0)])
					}
				}
				e, nd := goldenCheck(t, g, rec.group, v.name, info.ChNames(), out, n)
				t.Logf("streamed: max error %.2e of the channel std (edges included), norms rel diff %.2e", e, nd)
				if e > 1e-6 || nd > 1e-9 {
					t.Errorf("streamed output: max error %.2e x std (tolerance 1e-6), norm rel diff %.2e (tolerance 1e-9)", e, nd)
				}
				// in memory
				mem := append([]float64(nil), orig...)
				if err := f.Apply(mem, n, picks); err != nil {
					t.Fatal(err)
				}
				e2, nd2 := goldenCheck(t, g, rec.group, v.name, info.ChNames(), mem, n)
				t.Logf("in memory: max error %.2e x std, norms %.2e", e2, nd2)
				if e2 > 1e-6 || nd2 > 1e-9 {
					t.Errorf("in-memory output: max error %.2e x std, norm rel diff %.2e", e2, nd2)
				}
				// unpicked channels pass through unchanged
				isPick := map[int]bool{}
				for _, p := range picks {
					isPick[p] = true
				}
				for ch := 0; ch < nch; ch++ {
					if isPick[ch] {
						continue
					}
					for i := 0; i < n; i++ {
						if out[ch*n+i] != orig[ch*n+i] || mem[ch*n+i] != orig[ch*n+i] {
							t.Fatalf("channel %s (not picked) changed at sample %d", info.Chs[ch].Name, i)
						}
					}
				}
				if f.Method == "iir" {
					// streaming IIR is bit-identical to whole-channel filtering
					for i := range out {
						if out[i] != mem[i] {
							t.Fatalf("streamed IIR differs from in-memory at %d: %g vs %g", i, out[i], mem[i])
						}
					}
				}
			})
		}
	}
}

// TestGoldenIIRApplication applies MNE's own sections (from the golden
// file) with megflow's forward-backward filtering: this isolates the
// application (scipy's sosfiltfilt with odd padding) from the design,
// whose last-bit differences the poles near the unit circle amplify to
// ~1e-12 of the output. On the simulated run the result is bit-identical
// to the stored output; on the 3-channel recording it is within 4e-12 of
// the std, closer than MNE 1.3 / scipy 1.10 on this machine come to the
// stored output (7e-12: the golden file was made elsewhere).
func TestGoldenIIRApplication(t *testing.T) {
	g := openGolden(t)
	for _, rec := range goldenRecordings {
		raw, err := fif.OpenRaw(sharedtest.Path(t, rec.file), fif.RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		grp := rec.group + "/iir_bandpass1_40"
		sos, dims := mustFloats(t, g, grp+"/sos")
		padlen, err := g.AttrInt64(grp, "padlen")
		if err != nil {
			t.Fatal(err)
		}
		f := &Filter{Method: "iir", SFreq: raw.Info.SFreq, PadLen: int(padlen)}
		for i := 0; i < dims[0]; i++ {
			var s [6]float64
			copy(s[:], sos[i*6:(i+1)*6])
			f.SOS = append(f.SOS, s)
		}
		n := int(raw.NTimes)
		data, err := raw.Read(nil, 0, raw.NTimes)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Apply(data, n, DataChannels(raw.Info)); err != nil {
			t.Fatal(err)
		}
		e, nd := goldenCheck(t, g, rec.group, "iir_bandpass1_40", raw.Info.ChNames(), data, n)
		t.Logf("%s: with MNE's sos: max error %.2e x std, norms %.2e", rec.group, e, nd)
		if e > 1e-10 || nd > 1e-12 {
			t.Errorf("%s: sosfiltfilt with MNE's sos differs by %.2e x std (norms %.2e)", rec.group, e, nd)
		}
	}
}
