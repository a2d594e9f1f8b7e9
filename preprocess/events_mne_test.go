package preprocess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// eventsScript is the MNE oracle shared with the command-line comparison.
const eventsScript = "../scripts/mne_events_compare.py"

// gridParams are the find_events arguments of one grid point, as the
// script reads them.
type gridParams struct {
	Stim          []string `json:"stim_channel,omitempty"`
	Consecutive   any      `json:"consecutive"`
	Mask          *int64   `json:"mask"`
	MaskType      string   `json:"mask_type"`
	MinDuration   float64  `json:"min_duration"`
	Output        string   `json:"output"`
	ShortestEvent int      `json:"shortest_event"`
	UintCast      bool     `json:"uint_cast"`
	InitialEvent  bool     `json:"initial_event"`
}

func (p gridParams) options(t *testing.T) FindEventsOptions {
	opt := FindEventsOptions{StimChannels: p.Stim, Mask: p.Mask, MinDuration: p.MinDuration,
		ShortestEvent: p.ShortestEvent, UintCast: p.UintCast, InitialEvent: p.InitialEvent}
	var err error
	if opt.Consecutive, err = ParseConsecutive(fmt.Sprint(p.Consecutive)); err != nil {
		t.Fatal(err)
	}
	if opt.Output, err = ParseEventOutput(p.Output); err != nil {
		t.Fatal(err)
	}
	if opt.MaskType, err = ParseMaskType(p.MaskType); err != nil {
		t.Fatal(err)
	}
	return opt
}

// eventsGrid is consecutive × mask/mask_type × min_duration × output ×
// shortest_event × uint_cast × initial_event (648 points).
func eventsGrid(stim []string, mask int64) []gridParams {
	var out []gridParams
	for _, cons := range []any{"increasing", true, false} {
		for _, mm := range []struct {
			mask *int64
			typ  string
		}{{nil, "and"}, {&mask, "and"}, {&mask, "not_and"}} {
			for _, md := range []float64{0, 0.002, 0.0045} {
				for _, o := range []string{"onset", "offset", "step"} {
					for _, se := range []int{1, 2} {
						for _, uc := range []bool{false, true} {
							for _, ie := range []bool{false, true} {
								out = append(out, gridParams{Stim: stim, Consecutive: cons, Mask: mm.mask, MaskType: mm.typ,
									MinDuration: md, Output: o, ShortestEvent: se, UintCast: uc, InitialEvent: ie})
							}
						}
					}
				}
			}
		}
	}
	return out
}

// stimOnly reads the stim channels of a recording (and any named ones)
// into memory, so that the grid does not re-read the file 648 times. The
// kept info has the same stim channels and bads, so MNE's default channel
// choice is unchanged.
func stimOnly(t *testing.T, raw *fif.Raw, extra []string) *memRaw {
	t.Helper()
	var picks []int
	for i, c := range raw.Info.Chs {
		if c.Kind == fif.KindStim || slices.Contains(extra, c.Name) {
			picks = append(picks, i)
		}
	}
	data, err := raw.Read(picks, 0, raw.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	info := raw.Info.Pick(picks)
	return &memRaw{info: info, first: raw.FirstSamp, n: raw.NTimes, data: data}
}

// syntheticStimFIF writes a recording whose trigger channels exercise every
// option: a non-zero start, steps one or two samples apart, decreasing
// steps, high bits over and across pulses, negative values (a 16-bit
// wrap), a fractional value, and a value still up at the end.
func syntheticStimFIF(t *testing.T, path string) {
	t.Helper()
	n := 3000
	a := pulses(n,
		[3]int{0, 10, 3},
		[3]int{100, 101, 1}, [3]int{101, 103, 2}, [3]int{103, 110, 3},
		[3]int{200, 230, 6}, [3]int{230, 240, 4},
		[3]int{300, 330, 5}, [3]int{320, 360, 4096 + 5}, [3]int{360, 400, 4096},
		[3]int{500, 530, -32763},
		[3]int{600, 610, 2.0}, [3]int{700, 701, 7}, [3]int{701, 704, 256},
		[3]int{800, 820, 13}, [3]int{820, 821, 0}, [3]int{821, 840, 13},
		[3]int{1000, 1040, 256}, [3]int{1020, 1030, 256 + 14},
		[3]int{2990, 3000, 9})
	a[605] = 2.9 // truncated to 2 by MNE's integer conversion
	b := pulses(n, [3]int{100, 110, 3}, [3]int{1500, 1520, 17}, [3]int{1600, 1601, 18}, [3]int{1601, 1620, 19})
	src := stimRaw(1000, 777, [][]float64{a, b})
	src.info.MeasDate = time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)
	src.info.HasMeasDate = true
	src.info.Chs[0].CoilType = fif.CoilVVMagT3
	src.info.Chs[0].CoordFrame = fif.FrameDevice
	for i := range src.info.Chs {
		src.info.Chs[i].LogNo = int32(i + 1)
	}
	if _, err := fif.WriteRaw(path, src, fif.RawWriteOptions{Format: "double"}); err != nil {
		t.Fatal(err)
	}
}

// TestFindEventsMNEGrid compares FindEvents with mne.find_events over the
// whole grid on the shared recordings and a synthetic one: identical
// events, or an error from both (skipped without MNE).
func TestFindEventsMNEGrid(t *testing.T) {
	sharedtest.RequireMNE(t)
	if testing.Short() {
		t.Skip("MNE grid comparison skipped in -short mode")
	}
	synth := filepath.Join(t.TempDir(), "stim_raw.fif")
	syntheticStimFIF(t, synth)
	shared := func(rel string) string { return sharedtest.Path(t, rel) }
	cases := []struct {
		name, path string
		stim       []string
		mask       int64
	}{
		{"elekta_3ch", shared("data/fif/test_elekta_3ch_raw.fif"), nil, 6},
		{"sim", shared("data/sim/facerec_sim_raw.fif"), nil, 4096 + 256},
		{"sim_STI101", shared("data/sim/facerec_sim_raw.fif"), []string{"STI101"}, 7},
		{"erm_STI301_analog", shared("data/fif/test_move_anon_erm_raw.fif"), []string{"STI301"}, 6},
		{"synthetic", synth, nil, 4096 + 256},
		{"synthetic_two_channels", synth, []string{"STI101", "STI102"}, 4096 + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			grid := eventsGrid(c.stim, c.mask)
			in, err := json.Marshal(grid)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sharedtest.Python, eventsScript, "mne", c.path)
			cmd.Stdin = bytes.NewReader(in)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", eventsScript, err, stderr.String())
			}
			var want []struct {
				Events [][3]int64 `json:"events"`
				Error  *string    `json:"error"`
			}
			if err := json.Unmarshal(out, &want); err != nil || len(want) != len(grid) {
				t.Fatalf("oracle output: %v (%d results for %d calls)", err, len(want), len(grid))
			}
			raw, err := fif.OpenRaw(c.path, fif.RawOptions{AllowMaxShield: true})
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			src := stimOnly(t, raw, c.stim)
			same, errs, bad := 0, 0, 0
			for i, p := range grid {
				got, gerr := FindEvents(src, p.options(t))
				w := want[i]
				switch {
				case w.Error != nil && gerr != nil:
					errs++
					continue
				case w.Error != nil:
					t.Errorf("%+v: MNE fails (%s), megflow finds %d events", p, *w.Error, len(got))
				case gerr != nil:
					t.Errorf("%+v: megflow fails (%v), MNE finds %d events", p, gerr, len(w.Events))
				default:
					wev := make([]fif.Event, len(w.Events))
					for k, e := range w.Events {
						wev[k] = fif.Event{Sample: e[0], Prev: int32(e[1]), ID: int32(e[2])}
					}
					if slices.Equal(got, wev) {
						same++
						continue
					}
					t.Errorf("%+v:\n megflow %v\n MNE     %v", p, got, wev)
				}
				if bad++; bad > 10 {
					t.Fatal("too many differences")
				}
			}
			t.Logf("%d identical event lists, %d errors in both, of %d calls", same, errs, len(grid))
		})
	}
}

// TestNumpyArgsort checks the emulation of numpy's unstable argsort
// against numpy itself on arrays with many ties (skipped without numpy).
func TestNumpyArgsort(t *testing.T) {
	sharedtest.RequireMNE(t)
	var arrays [][]int64
	for _, n := range []int{1, 2, 16, 17, 18, 25, 40, 100, 1000, 5000} {
		for _, span := range []int64{2, 5, 1000} {
			a := make([]int64, n)
			for i := range a {
				a[i] = int64((i*7919+13*i*i)%int(span)) - span/3
			}
			arrays = append(arrays, a)
		}
	}
	// Sorted and reversed runs with plateaus.
	b := make([]int64, 300)
	for i := range b {
		b[i] = int64(300-i) / 4
	}
	arrays = append(arrays, b)
	in, _ := json.Marshal(arrays)
	cmd := exec.Command(sharedtest.Python, "-c", "import sys, json, numpy as np; "+
		"print(json.dumps([np.argsort(np.array(a, dtype=np.int64)).tolist() for a in json.load(sys.stdin)]))")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var want [][]int
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, a := range arrays {
		if got := numpyArgsort(a); !slices.Equal(got, want[i]) {
			t.Errorf("array %d (n=%d): argsort differs from numpy", i, len(a))
		}
	}
}
