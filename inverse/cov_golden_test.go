package inverse_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/preprocess"
)

// The golden covariances were computed from the golden v1 epochs
// (decim=5, reject) of the simulated recording low-pass filtered at 40 Hz;
// the test recomputes those epochs with megflow (its streaming filter, then
// package epochs, which is checked against epochs.h5) and estimates the
// covariances from them.

// simEpochs rebuilds a golden epochs set of the simulated recording with
// megflow: low-pass 40 Hz, -0.2..0.8 s, baseline (None, 0), the golden
// events; v1 adds decim=5 and rejection (grad 4000e-13, mag 4e-12), v2
// has neither. Each set is built once per test binary.
type simEpochsKey struct {
	decim  int
	reject bool
}

var (
	simMu    sync.Mutex
	simCache = map[simEpochsKey]*epochs.Epochs{}
)

func simEpochs(t testing.TB, key simEpochsKey) *epochs.Epochs {
	t.Helper()
	path := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	evPath := sharedtest.Golden(t, "events.h5")
	simMu.Lock()
	defer simMu.Unlock()
	if ep, ok := simCache[key]; ok {
		return ep
	}
	ep, err := buildSimEpochs(path, evPath, key)
	if err != nil {
		t.Fatal(err)
	}
	simCache[key] = ep
	return ep
}

func buildSimEpochs(path, evPath string, key simEpochsKey) (*epochs.Epochs, error) {
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	flt, err := preprocess.CreateFilter(raw.Info.SFreq, 0, 40, preprocess.FilterOptions{NTimes: raw.NTimes})
	if err != nil {
		return nil, err
	}
	rows := preprocess.DataChannels(raw.Info)
	src, err := preprocess.NewFilteredRaw(raw, flt, rows, preprocess.StreamOptions{Info: preprocess.FilteredInfo(raw.Info, rows, 0, 40)})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	f, err := h5.Open(evPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, _, err := f.ReadInt64("sim/events")
	if err != nil {
		return nil, err
	}
	var evs []fif.Event
	for i := 0; i < len(v); i += 3 {
		evs = append(evs, fif.Event{Sample: v[i], Prev: int32(v[i+1]), ID: int32(v[i+2])})
	}
	ids, _ := epochs.ParseEventID("famous/first=5", "famous/immediate=6", "famous/long=7",
		"unfamiliar/first=13", "unfamiliar/immediate=14", "unfamiliar/long=15",
		"scrambled/first=17", "scrambled/immediate=18", "scrambled/long=19")
	opt := epochs.Options{EventID: ids, Tmin: -0.2, Tmax: 0.8, Baseline: epochs.BaselineNoneZero(), Decim: key.decim}
	if key.reject {
		opt.Reject = epochs.Thresholds{{Type: "grad", Value: 4000e-13}, {Type: "mag", Value: 4e-12}}
	}
	return epochs.New(context.Background(), src, evs, opt)
}

// goldenV1 is epochs_v1 (decim 5, rejection), the input of the golden
// covariances.
func goldenV1(t testing.TB) *epochs.Epochs { return simEpochs(t, simEpochsKey{decim: 5, reject: true}) }

// goldenV2 is epochs_v2 (no decimation, no rejection), the input of the
// golden inverse solutions.
func goldenV2(t testing.TB) *epochs.Epochs { return simEpochs(t, simEpochsKey{}) }

func epochsData(ep *epochs.Epochs) inverse.EpochsData {
	return inverse.EpochsData{Info: ep.Info, Times: ep.Times, Baselined: ep.Baseline != nil, Groups: ep.ConditionGroups()}
}

func relFrob(a, b []float64) float64 {
	d, n := 0.0, 0.0
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	return math.Sqrt(d / n)
}

// TestGoldenCovariance compares with compute_covariance(epochs_v1, tmax=0.,
// method='empirical' / 'shrunk') of covariance.h5.
func TestGoldenCovariance(t *testing.T) {
	ep := goldenV1(t)
	f, err := h5.Open(sharedtest.Golden(t, "covariance.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zero := 0.0
	for _, method := range []string{"empirical", "shrunk"} {
		t.Run(method, func(t *testing.T) {
			cov, err := inverse.ComputeCovariance(epochsData(ep), inverse.CovOptions{Method: method, Tmax: &zero})
			if err != nil {
				t.Fatal(err)
			}
			names, err := f.ReadStrings(method + "/names")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cov.Names, names) {
				t.Fatalf("names differ")
			}
			want, _, err := f.ReadFloat64(method + "/data")
			if err != nil {
				t.Fatal(err)
			}
			nfree, _ := f.AttrInt64(method, "nfree")
			if int64(cov.NFree) != nfree {
				t.Errorf("nfree %d, golden %d", cov.NFree, nfree)
			}
			rel := relFrob(cov.Data, want)
			t.Logf("%s: ||dC||_F/||C||_F = %.3g, nfree %d, rank %v", method, rel, cov.NFree, cov.Rank)
			if rel >= 1e-6 {
				t.Errorf("relative Frobenius error %.3g >= 1e-6", rel)
			}
			if method == "shrunk" {
				s, _ := f.AttrString(method, "shrinkage")
				var sh map[string]struct{ Shrinkage float64 }
				if err := json.Unmarshal([]byte(strings.ReplaceAll(s, `"shrinkage"`, `"Shrinkage"`)), &sh); err != nil {
					t.Fatal(err)
				}
				for typ, v := range sh {
					got := cov.Shrinkage[typ]
					// The golden values are recovered from the matrices (to
					// about 1e-15); the grid values are exact.
					if math.Abs(got-v.Shrinkage) > 1e-9*v.Shrinkage {
						t.Errorf("shrinkage %s = %.10g, golden %.10g", typ, got, v.Shrinkage)
					}
				}
				t.Logf("shrinkage %v", cov.Shrinkage)
			}
		})
	}
}
