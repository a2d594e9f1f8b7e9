package preprocess

import (
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/sharedtest"
)

// mneFilterScript designs each case with mne.filter.create_filter and
// filters random data with mne.filter.filter_data / notch_filter (data of
// several lengths, shorter than the filter too), printing JSON.
const mneFilterScript = `
import json, sys, warnings
import numpy as np, mne
mne.set_log_level("ERROR")
warnings.simplefilter("ignore")
cases = json.loads(sys.argv[1])
out = []
for c in cases:
    kw = dict(c["kw"])
    if kw.get("method") == "iir":
        kw["iir_params"] = dict(order=c["order"], ftype="butter", output="sos")
    rng = np.random.default_rng(c["seed"])
    res = dict(data=[], filtered=[])
    if c.get("notch"):
        nkw = {k: v for k, v in kw.items() if k in ("filter_length", "fir_window")}
        for n in c["ns"]:
            x = rng.standard_normal((2, n)).cumsum(axis=1) + 5
            res["data"].append(x.ravel().tolist())
            res["filtered"].append(mne.filter.notch_filter(x, c["sfreq"], c["freqs"], **nkw).ravel().tolist())
        out.append(res); continue
    filt = mne.filter.create_filter(None, c["sfreq"], c["l"], c["h"], **kw)
    if isinstance(filt, dict):
        res["sos"] = filt["sos"].tolist(); res["padlen"] = int(filt["padlen"])
    else:
        res["h"] = filt.tolist()
    for n in c["ns"]:
        x = rng.standard_normal((2, n)).cumsum(axis=1) + 5
        res["data"].append(x.ravel().tolist())
        res["filtered"].append(mne.filter.filter_data(x, c["sfreq"], c["l"], c["h"], **kw).ravel().tolist())
    out.append(res)
print(json.dumps(out))
`

type mneCase struct {
	SFreq float64        `json:"sfreq"`
	L     *float64       `json:"l"`
	H     *float64       `json:"h"`
	KW    map[string]any `json:"kw"`
	Order int            `json:"order,omitempty"`
	Notch bool           `json:"notch,omitempty"`
	Freqs []float64      `json:"freqs,omitempty"`
	Ns    []int          `json:"ns"`
	Seed  int            `json:"seed"`
}

func fp(v float64) *float64 { return &v }

// TestAgainstMNE compares designs and filtered data with MNE-Python (and
// scipy) for many parameters, without the shared data. It needs
// /usr/bin/python3 with MNE.
func TestAgainstMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	ns := []int{1, 2, 57, 1500}
	cases := []mneCase{
		{SFreq: 1000, H: fp(40), KW: map[string]any{}},
		{SFreq: 1000, L: fp(0.5), KW: map[string]any{}},
		{SFreq: 1000, L: fp(1), H: fp(40), KW: map[string]any{"fir_window": "hann"}},
		{SFreq: 1000, L: fp(4), H: fp(30), KW: map[string]any{"fir_window": "blackman", "filter_length": "3s"}},
		{SFreq: 1000, L: fp(80), H: fp(40), KW: map[string]any{}},
		{SFreq: 1000, L: fp(80), H: fp(40), KW: map[string]any{"l_trans_bandwidth": 7.5, "h_trans_bandwidth": 3.0}},
		{SFreq: 1000, L: fp(3), H: fp(100), KW: map[string]any{"l_trans_bandwidth": 1.5, "h_trans_bandwidth": 25.0, "filter_length": "2500ms"}},
		{SFreq: 250, H: fp(124), KW: map[string]any{}},
		{SFreq: 2000, L: fp(0.1), H: fp(300), KW: map[string]any{"filter_length": 70001}},
		{SFreq: 1000, L: fp(1), H: fp(40), KW: map[string]any{"method": "iir"}, Order: 4},
		{SFreq: 1000, H: fp(40), KW: map[string]any{"method": "iir"}, Order: 1},
		{SFreq: 1000, L: fp(0.1), KW: map[string]any{"method": "iir"}, Order: 3},
		{SFreq: 1000, L: fp(2), H: fp(200), KW: map[string]any{"method": "iir"}, Order: 5},
		{SFreq: 1000, L: fp(60), H: fp(40), KW: map[string]any{"method": "iir"}, Order: 2},
		{SFreq: 600, H: fp(250), KW: map[string]any{"method": "iir"}, Order: 6},
		{SFreq: 1000, Notch: true, Freqs: []float64{50, 100, 150}, KW: map[string]any{}},
		{SFreq: 1100, Notch: true, Freqs: []float64{60}, KW: map[string]any{"fir_window": "hann"}},
	}
	for i := range cases {
		cases[i].Ns, cases[i].Seed = ns, i
	}
	arg, _ := json.Marshal(cases)
	cmd := exec.Command(sharedtest.Python, "-c", mneFilterScript, string(arg))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("MNE script: %v\n%s", err, stderr.String())
	}
	var res []struct {
		H        []float64    `json:"h"`
		SOS      [][6]float64 `json:"sos"`
		PadLen   int          `json:"padlen"`
		Data     [][]float64  `json:"data"`
		Filtered [][]float64  `json:"filtered"`
	}
	if err := json.Unmarshal(outb, &res); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		var f *Filter
		var err error
		if c.Notch {
			w, _ := c.KW["fir_window"].(string)
			f, err = NotchFilter(c.SFreq, c.Freqs, NotchOptions{FIRWindow: w})
		} else {
			opt := FilterOptions{IIROrder: c.Order}
			if m, ok := c.KW["method"].(string); ok {
				opt.Method = m
			}
			if w, ok := c.KW["fir_window"].(string); ok {
				opt.FIRWindow = w
			}
			switch v := c.KW["filter_length"].(type) {
			case string:
				opt.FilterLength = v
			case int:
				opt.FilterLength = itoa(v)
			}
			if v, ok := c.KW["l_trans_bandwidth"].(float64); ok {
				opt.LTransBandwidth = v
			}
			if v, ok := c.KW["h_trans_bandwidth"].(float64); ok {
				opt.HTransBandwidth = v
			}
			var l, h float64
			if c.L != nil {
				l = *c.L
			}
			if c.H != nil {
				h = *c.H
			}
			f, err = CreateFilter(c.SFreq, l, h, opt)
		}
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		r := res[i]
		if r.H != nil {
			if len(r.H) != len(f.Taps) {
				t.Errorf("case %d: %d taps, MNE %d", i, len(f.Taps), len(r.H))
				continue
			}
			var d float64
			for k := range r.H {
				d = math.Max(d, math.Abs(r.H[k]-f.Taps[k]))
			}
			if d > 1e-12 {
				t.Errorf("case %d: taps differ by %.2e", i, d)
			}
		}
		if r.SOS != nil {
			if len(r.SOS) != len(f.SOS) || r.PadLen != f.PadLen {
				t.Errorf("case %d: %d sections padlen %d, MNE %d padlen %d", i, len(f.SOS), f.PadLen, len(r.SOS), r.PadLen)
				continue
			}
			for k := range r.SOS {
				for j := 0; j < 6; j++ {
					if d := math.Abs(r.SOS[k][j] - f.SOS[k][j]); d > 1e-10*math.Max(math.Abs(r.SOS[k][j]), 1e-300) {
						t.Errorf("case %d: sos[%d][%d] = %.17g, MNE %.17g", i, k, j, f.SOS[k][j], r.SOS[k][j])
					}
				}
			}
		}
		for k, n := range ns {
			x := r.Data[k]
			if err := f.Apply(x, n, nil); err != nil {
				t.Fatal(err)
			}
			for ch := 0; ch < 2; ch++ {
				want := r.Filtered[k][ch*n : (ch+1)*n]
				got := x[ch*n : (ch+1)*n]
				std := stdDev(want)
				if std == 0 {
					std = 1
				}
				var e float64
				for j := range want {
					e = math.Max(e, math.Abs(got[j]-want[j])/std)
				}
				tol := 1e-10
				if f.Method == "iir" {
					tol = 1e-8 // poles near the unit circle amplify last-bit sos differences
				}
				if e > tol {
					t.Errorf("case %d (%s %s), n=%d, channel %d: max error %.2e x std", i, f.Method, f.Kind, n, ch, e)
				}
			}
		}
	}
}

func stdDev(x []float64) float64 {
	var s, ss float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(x)))
}

func itoa(v int) string {
	b, _ := json.Marshal(v)
	return string(b)
}
