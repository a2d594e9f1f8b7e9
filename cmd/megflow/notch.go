package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/preprocess"
)

func init() { addSubcommand(newNotchCmd) }

const notchLong = `Remove line noise with MNE-Python's default notch filter,
raw.notch_filter(freqs) (MNE 1.3: FIR, firwin, Hamming window, zero phase,
pad="reflect_limited"), and write the result as raw FIF.

Each frequency f gets a stop band of width f/200 (--notch-widths) with
transition bands of --trans-bandwidth/2 (0.5 Hz) on each side; all bands
form one FIR band-stop filter, MNE's create_filter with
l_freq = f + f/400 + 0.5 and h_freq = f - f/400 - 0.5. Its length is
automatic (3.3 / 0.5 Hz = 6.6 s with the Hamming window) unless
--filter-length is given.

--harmonics adds every multiple of the given frequencies whose stop band
fits below Nyquist (50 Hz at 1100 Hz: 50, 100, ..., 500).

The data channels are filtered by default (MEG, EEG, sEEG, ECoG, DBS,
fNIRS, bad channels too), the others copied; the info's highpass and
lowpass are left alone, as MNE does. Streaming, all cores; nothing is
written on error.`

const notchExample = `  # 50 Hz line noise and its first harmonic (MNE: raw.notch_filter([50, 100]))
  megflow notch --freqs 50,100 sub-01_raw.fif sub-01_notch_raw.fif

  # 60 Hz and all its harmonics below Nyquist
  megflow notch --freqs 60 --harmonics in_raw.fif out_raw.fif

  # only the magnetometers, wider stop bands
  megflow notch --freqs 50 --notch-widths 2 --picks mag in_raw.fif out_raw.fif`

type notchOpts struct {
	freqs        string
	harmonics    bool
	widths       string
	trans        float64
	filterLength string
	firWindow    string
	writeOpts
}

func newNotchCmd(a *app) *cobra.Command {
	var o notchOpts
	cmd := &cobra.Command{
		Use:     "notch IN OUT",
		Short:   "Notch filter line noise at given frequencies (MNE's raw.notch_filter)",
		Long:    notchLong,
		Example: notchExample,
		Args:    exactArgs("IN", "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("freqs") {
				return usagef("--freqs is required (e.g. --freqs 50,100)")
			}
			return a.notch(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.freqs, "freqs", "", "frequencies to remove (Hz), comma-separated, e.g. 50,100; required")
	f.BoolVar(&o.harmonics, "harmonics", false, "add all multiples of --freqs below Nyquist")
	f.StringVar(&o.widths, "notch-widths", "", "stop-band width(s) in Hz, one or one per frequency (default: freq/200)")
	f.Float64Var(&o.trans, "trans-bandwidth", 1, "total transition bandwidth (Hz): half on each side of each stop band")
	f.StringVar(&o.filterLength, "filter-length", "auto", "FIR length: auto, a number of samples, or a time such as 10s")
	f.StringVar(&o.firWindow, "fir-window", "hamming", "FIR design window: hamming, hann or blackman")
	o.writeOpts.addFlags(f)
	return cmd
}

// parseFloatList reads a comma-separated list of finite numbers.
func parseFloatList(flag, s string) ([]float64, error) {
	var out []float64
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usagef("--%s: %q is not a number", flag, tok)
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *app) notch(ctx context.Context, in, out string, o notchOpts) error {
	freqs, err := parseFloatList("freqs", o.freqs)
	if err != nil {
		return err
	}
	if len(freqs) == 0 {
		return usagef("--freqs %q: give at least one frequency", o.freqs)
	}
	for _, f := range freqs {
		if !(f > 0) {
			return usagef("--freqs: %g is not a positive frequency", f)
		}
	}
	widths, err := parseFloatList("notch-widths", o.widths)
	if err != nil {
		return err
	}
	for _, w := range widths {
		if w < 0 {
			return usagef("--notch-widths: %g is negative", w)
		}
	}
	if !(o.trans > 0) || math.IsInf(o.trans, 0) {
		return usagef("--trans-bandwidth %v: want a positive number of Hz", o.trans)
	}
	win := strings.ToLower(o.firWindow)
	if _, ok := map[string]bool{"hamming": true, "hann": true, "blackman": true}[win]; !ok {
		return usagef("--fir-window %q: want hamming, hann or blackman", o.firWindow)
	}
	if o.harmonics && len(widths) > 1 {
		return usagef("--notch-widths with --harmonics: give one width for all frequencies")
	}
	var used []float64
	return a.runFilter(ctx, in, out, o.writeOpts, filterJob{
		name: "notch",
		design: func(info *fif.Info, n int64) (*preprocess.Filter, error) {
			used = freqs
			if o.harmonics {
				used = preprocess.Harmonics(freqs, info.SFreq, o.trans)
				if len(used) == 0 {
					return nil, fmt.Errorf("no multiple of %v Hz fits below Nyquist (%g Hz)", freqs, info.SFreq/2)
				}
				a.logger().Info("notch frequencies", "freqs", used)
			}
			return preprocess.NotchFilter(info.SFreq, used, preprocess.NotchOptions{
				NotchWidths: widths, TransBandwidth: o.trans, FilterLength: o.filterLength,
				FIRWindow: win, NTimes: n,
			})
		},
		historyFn: func() string {
			return fmt.Sprintf("notch freqs=%s notch_widths=%s trans_bandwidth=%g filter_length=%s fir_window=%s method=fir phase=zero fir_design=firwin pad=reflect_limited",
				joinFloats(used), widthText(widths), o.trans, strings.ToLower(strings.TrimSpace(o.filterLength)), win)
		},
		freqsFn: func() []float64 { return used },
	})
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func widthText(w []float64) string {
	if len(w) == 0 {
		return "None"
	}
	return joinFloats(w)
}
