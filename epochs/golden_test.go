package epochs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// goldenCase is one group of epochs.h5 and the options that made it.
type goldenCase struct {
	group string
	opt   Options
}

func goldenCases() []goldenCase {
	reject := Thresholds{{"grad", 4000e-13}, {"mag", 4e-12}}
	return []goldenCase{
		{"v1_decim5_reject", Options{Tmin: -0.2, Tmax: 0.8, Baseline: BaselineNoneZero(), Decim: 5, Reject: reject}},
		{"v2_full", Options{Tmin: -0.2, Tmax: 0.8, Baseline: BaselineNoneZero()}},
	}
}

// goldenEpochs cuts the golden epochs from the megflow-filtered recording.
func goldenEpochs(t testing.TB, c goldenCase, f *h5.File) *Epochs {
	t.Helper()
	src := simLowpass40(t)
	events := goldenEvents(t, openGolden(t, "events.h5"), "sim/events")
	idJSON, err := f.AttrString(c.group, "event_id")
	if err != nil {
		t.Fatal(err)
	}
	opt := c.opt
	opt.EventID = orderedEventID(t, idJSON)
	ep, err := New(context.Background(), src, events, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

var goldenFiles = map[string]*h5.File{}

func openGolden(t testing.TB, name string) *h5.File {
	t.Helper()
	if f, ok := goldenFiles[name]; ok {
		return f
	}
	f, err := h5.Open(sharedtest.Golden(t, name))
	if err != nil {
		t.Fatal(err)
	}
	goldenFiles[name] = f
	return f
}

func read3(t testing.TB, f *h5.File, name string) ([]float64, []int) {
	t.Helper()
	v, dims, err := f.ReadFloat64(name)
	if err != nil {
		t.Fatal(err)
	}
	return v, dims
}

// TestGoldenEpochs compares with mne.Epochs on raw.filter(None, 40.) of the
// simulated recording: selection, events and drop log exactly, data to
// 1e-6 of each channel's standard deviation (README tolerance).
func TestGoldenEpochs(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.group, func(t *testing.T) {
			f := openGolden(t, "epochs.h5")
			ep := goldenEpochs(t, c, f)
			g := c.group
			names, err := f.ReadStrings(g + "/ch_names")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ep.Info.ChNames(), names) {
				t.Fatalf("channels differ: %d vs %d", len(ep.Info.ChNames()), len(names))
			}
			sfreq, _ := f.AttrFloat64(g, "sfreq")
			if ep.Info.SFreq != sfreq {
				t.Errorf("sfreq %g, golden %g", ep.Info.SFreq, sfreq)
			}
			times, _ := read3(t, f, g+"/times")
			if !slices.Equal(ep.Times, times) {
				t.Errorf("times differ (n %d vs %d)", len(ep.Times), len(times))
			}
			wantEv := goldenEvents(t, f, g+"/events")
			if !slices.Equal(ep.Events, wantEv) {
				t.Errorf("events differ:\n got %v\nwant %v", ep.Events, wantEv)
			}
			sel, _, err := f.ReadInt64(g + "/selection")
			if err != nil {
				t.Fatal(err)
			}
			gotSel := make([]int64, len(ep.Selection))
			for i, s := range ep.Selection {
				gotSel[i] = int64(s)
			}
			if !slices.Equal(gotSel, sel) {
				t.Errorf("selection %v, golden %v", gotSel, sel)
			}
			dl, _ := f.AttrString(g, "drop_log")
			var wantDL [][]string
			if err := json.Unmarshal([]byte(dl), &wantDL); err != nil {
				t.Fatal(err)
			}
			if got := dropLogJSON(ep.DropLog); got != dl {
				t.Errorf("drop log\n got %s\nwant %s", got, dl)
			}

			nch, nt := ep.NChan(), ep.NTimes()
			// Channel scale: RMS over every epoch (from the golden norms).
			norm, _ := read3(t, f, g+"/norm")
			mean, _ := read3(t, f, g+"/mean")
			scale := make([]float64, nch)
			for k := range nch {
				s := 0.0
				for i := range ep.Len() {
					s += norm[i*nch+k] * norm[i*nch+k]
				}
				scale[k] = math.Sqrt(s / float64(ep.Len()*nt))
			}
			worst := 0.0 // max abs error / channel scale
			note := func(d float64, k int, what string) {
				if r := d / scale[k]; r > worst || math.IsNaN(r) {
					worst = r
					if r >= 1e-6 || math.IsNaN(r) {
						t.Errorf("%s: channel %s error %.3g of its scale", what, names[k], r)
					}
				}
			}
			for i := range ep.Len() {
				e := ep.Epoch(i)
				for k := range nch {
					row := e[k*nt : (k+1)*nt]
					s, ss := 0.0, 0.0
					for _, v := range row {
						s += v
						ss += v * v
					}
					note(math.Abs(s/float64(nt)-mean[i*nch+k]), k, fmt.Sprintf("mean epoch %d", i))
					note(math.Abs(math.Sqrt(ss)-norm[i*nch+k])/math.Sqrt(float64(nt)), k, fmt.Sprintf("norm epoch %d", i))
				}
			}
			sub, sdims := read3(t, f, g+"/data_sub")
			subCh, _, err := f.ReadInt64(g + "/sub_channels")
			if err != nil {
				t.Fatal(err)
			}
			for i := range sdims[0] {
				for r, k := range subCh {
					for j := range nt {
						d := math.Abs(ep.Epoch(i)[int(k)*nt+j] - sub[(i*sdims[1]+r)*nt+j])
						note(d, int(k), fmt.Sprintf("data_sub epoch %d", i))
					}
				}
			}
			if f.Exists(g + "/data_first") {
				first, fdims := read3(t, f, g+"/data_first")
				for i := range fdims[0] {
					for k := range nch {
						for j := range nt {
							note(math.Abs(ep.Epoch(i)[k*nt+j]-first[(i*nch+k)*nt+j]), k, fmt.Sprintf("data_first epoch %d", i))
						}
					}
				}
			}
			t.Logf("%s: %d epochs, worst data error %.3g of the channel RMS", g, ep.Len(), worst)
		})
	}
}

func TestGoldenDropCounts(t *testing.T) {
	f := openGolden(t, "epochs.h5")
	ep := goldenEpochs(t, goldenCases()[0], f)
	if ep.Len() != 28 {
		t.Fatalf("v1 keeps %d epochs, want 28", ep.Len())
	}
	want := map[int][]string{17: {"MEG1211", "MEG1221", "MEG1411"}, 25: {"MEG1211"}}
	for i, r := range ep.DropLog {
		if !slices.Equal(r, want[i]) {
			t.Errorf("drop log #%d = %v, want %v", i, r, want[i])
		}
	}
	_ = fif.Event{}
}
