package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/preprocess"
)

func init() { addSubcommand(newFilterCmd) }

const filterLong = `Filter a raw FIF recording exactly as MNE-Python's raw.filter(l_freq,
h_freq) does (MNE 1.3 defaults: FIR, firwin design, Hamming window, zero
phase, automatic transition bands and length, pad="reflect_limited"), and
write the result as raw FIF.

  --l-freq only            high-pass
  --h-freq only            low-pass
  --l-freq < --h-freq      band-pass
  --l-freq > --h-freq      band-stop (needs --bandstop, to avoid surprises)

FIR (default): the taps are MNE's create_filter(...) to the last bit; the
transition bands are min(max(0.25 l_freq, 2), l_freq) and
min(max(0.25 h_freq, 2), sfreq/2 - h_freq) unless given, the length
3.3/narrowest band seconds (hamming; 3.1 hann, 5.0 blackman), made odd.
The data are convolved by FFT blocks with odd reflections of up to
length-1 samples at the two ends of the recording, all channels in
parallel, streaming: memory stays at a few blocks whatever the length.

IIR (--method iir): a Butterworth filter of --iir-order (4) as second-order
sections (scipy's butter(..., output="sos")), applied forwards and
backwards with scipy's odd padding of MNE's padlen samples; long
recordings are streamed in three passes with the filter states kept at
block boundaries.

By default the data channels are filtered (MEG, EEG, sEEG, ECoG, DBS,
fNIRS; bad channels too), as MNE's picks=None; the others are copied.
When all data channels are filtered, the info's lowpass is lowered to
--h-freq and its highpass raised to --l-freq (band-pass, low- and
high-pass), as MNE does. The design summary (MNE's log) goes to stderr; a
processing-history record names the parameters. Annotation-delimited
segments (MNE's skip_by_annotation) are not handled: the recording is
filtered as one segment. Nothing is written on error.`

const filterExample = `  # 1-40 Hz band-pass of the MEG and EEG channels (MNE: raw.filter(1, 40))
  megflow filter --l-freq 1 --h-freq 40 sub-01_raw.fif sub-01_filt_raw.fif

  # 40 Hz low-pass, as Jas et al. (2018)
  megflow filter --h-freq 40 sub-01_sss_raw.fif sub-01_40Hz_raw.fif

  # 1 Hz high-pass of the EOG channels only
  megflow filter --l-freq 1 --picks eog sub-01_raw.fif sub-01_eog_raw.fif

  # 4th-order Butterworth band-pass, design as JSON
  megflow filter --method iir --l-freq 1 --h-freq 40 --json in_raw.fif out_raw.fif

  # explicit transition band and length, Blackman window
  megflow filter --h-freq 30 --h-trans-bandwidth 5 --filter-length 2s --fir-window blackman in_raw.fif out_raw.fif`

// writeOpts are the output flags shared by filter and notch.
type writeOpts struct {
	picks          string
	format         string
	splitSize      string
	allowMaxShield bool
	overwrite      bool
	asJSON         bool
	chunk          int
	cpuProfile     string
}

func (w *writeOpts) addFlags(f interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
	MarkHidden(string) error
}) {
	f.StringVar(&w.picks, "picks", "", "channels to filter: names and types (meg, grad, mag, eeg, eog, ecg, misc, data, all), comma-separated; default MNE's data channels")
	f.StringVar(&w.format, "fmt", "single", "sample format of OUT: single (MNE's default), double, short or int")
	f.StringVar(&w.splitSize, "split-size", "2GB", "largest part of OUT, as MNE's split_size")
	f.BoolVar(&w.allowMaxShield, "allow-maxshield", false, "read MaxShield (IAS) data that has not been Maxwell filtered")
	f.BoolVar(&w.overwrite, "overwrite", false, "replace OUT if it exists")
	f.BoolVar(&w.asJSON, "json", false, "print the design and the result as JSON on stdout")
	f.IntVar(&w.chunk, "chunk", 0, "samples computed per block (0: automatic)")
	f.StringVar(&w.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	_ = f.MarkHidden("chunk")
	_ = f.MarkHidden("cpuprofile")
}

type filterOpts struct {
	lFreq, hFreq     float64
	method           string
	lTrans, hTrans   string
	filterLength     string
	firWindow        string
	iirOrder         int
	bandstop         bool
	hasL, hasH       bool
	hasOrder, hasLen bool
	writeOpts
}

func newFilterCmd(a *app) *cobra.Command {
	var o filterOpts
	cmd := &cobra.Command{
		Use:     "filter IN OUT",
		Short:   "Band-, low-, high-pass or band-stop filter a raw recording (MNE's raw.filter)",
		Long:    filterLong,
		Example: filterExample,
		Args:    exactArgs("IN", "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			o.hasL, o.hasH = fl.Changed("l-freq"), fl.Changed("h-freq")
			o.hasOrder, o.hasLen = fl.Changed("iir-order"), fl.Changed("filter-length")
			return a.filter(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.lFreq, "l-freq", 0, "high-pass edge (Hz): frequencies below are removed")
	f.Float64Var(&o.hFreq, "h-freq", 0, "low-pass edge (Hz): frequencies above are removed")
	f.StringVar(&o.method, "method", "fir", "fir or iir")
	f.StringVar(&o.lTrans, "l-trans-bandwidth", "auto", "width of the transition band below --l-freq (Hz), or auto (FIR)")
	f.StringVar(&o.hTrans, "h-trans-bandwidth", "auto", "width of the transition band above --h-freq (Hz), or auto (FIR)")
	f.StringVar(&o.filterLength, "filter-length", "auto", "FIR length: auto, a number of samples, or a time such as 10s or 500ms")
	f.StringVar(&o.firWindow, "fir-window", "hamming", "FIR design window: hamming, hann or blackman")
	f.IntVar(&o.iirOrder, "iir-order", 4, "Butterworth order (IIR)")
	f.BoolVar(&o.bandstop, "bandstop", false, "allow --l-freq > --h-freq, a band-stop filter (MNE's convention)")
	o.writeOpts.addFlags(f)
	return cmd
}

// parseBandwidth reads --l/h-trans-bandwidth: auto (0) or a positive
// number of Hz.
func parseBandwidth(flag, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "auto") || s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, usagef("--%s %q: want auto or a positive number of Hz", flag, s)
	}
	return v, nil
}

func (a *app) filter(ctx context.Context, in, out string, o filterOpts) error {
	if !o.hasL && !o.hasH {
		return usagef("give --l-freq (high-pass), --h-freq (low-pass) or both (band-pass)")
	}
	for _, fv := range []struct {
		name string
		v    float64
	}{{"l-freq", o.lFreq}, {"h-freq", o.hFreq}} {
		if math.IsNaN(fv.v) || math.IsInf(fv.v, 0) || fv.v < 0 {
			return usagef("--%s %v: want a positive frequency in Hz", fv.name, fv.v)
		}
	}
	if o.hasL && o.hasH && o.lFreq != 0 && o.hFreq != 0 {
		if o.lFreq == o.hFreq {
			return usagef("--l-freq and --h-freq are both %g Hz: nothing to pass or stop", o.lFreq)
		}
		if o.lFreq > o.hFreq && !o.bandstop {
			return usagef("--l-freq %g is above --h-freq %g: that is a band-stop filter in MNE's convention; add --bandstop if you mean it (a band-pass needs --l-freq < --h-freq)", o.lFreq, o.hFreq)
		}
	}
	method := strings.ToLower(o.method)
	if method != "fir" && method != "iir" {
		return usagef("--method %q: want fir or iir", o.method)
	}
	lt, err := parseBandwidth("l-trans-bandwidth", o.lTrans)
	if err != nil {
		return err
	}
	ht, err := parseBandwidth("h-trans-bandwidth", o.hTrans)
	if err != nil {
		return err
	}
	if method == "iir" && (lt != 0 || ht != 0 || o.hasLen) {
		return usagef("--l/h-trans-bandwidth and --filter-length apply to FIR filters; an IIR filter is set by --iir-order")
	}
	if method == "fir" && o.hasOrder {
		return usagef("--iir-order applies to --method iir")
	}
	if o.iirOrder < 1 || o.iirOrder > 64 {
		return usagef("--iir-order %d: want 1 to 64", o.iirOrder)
	}
	win := strings.ToLower(o.firWindow)
	if _, ok := map[string]bool{"hamming": true, "hann": true, "blackman": true}[win]; !ok {
		return usagef("--fir-window %q: want hamming, hann or blackman", o.firWindow)
	}
	desc := fmt.Sprintf("filter l_freq=%s h_freq=%s method=%s", histFreq(o.lFreq), histFreq(o.hFreq), method)
	if method == "fir" {
		desc += fmt.Sprintf(" l_trans_bandwidth=%s h_trans_bandwidth=%s filter_length=%s fir_window=%s phase=zero fir_design=firwin pad=reflect_limited",
			histAuto(lt), histAuto(ht), strings.ToLower(strings.TrimSpace(o.filterLength)), win)
	} else {
		desc += fmt.Sprintf(" iir_params=butter(order=%d, sos)", o.iirOrder)
	}
	return a.runFilter(ctx, in, out, o.writeOpts, filterJob{
		name:     "filter",
		history:  desc,
		logFirst: "Filtering raw data in 1 contiguous segment",
		design: func(info *fif.Info, n int64) (*preprocess.Filter, error) {
			return preprocess.CreateFilter(info.SFreq, o.lFreq, o.hFreq, preprocess.FilterOptions{
				Method: method, FilterLength: o.filterLength, LTransBandwidth: lt, HTransBandwidth: ht,
				FIRWindow: win, IIROrder: o.iirOrder, NTimes: n,
			})
		},
		newInfo: func(info *fif.Info, picks []int) *fif.Info {
			return preprocess.FilteredInfo(info, picks, o.lFreq, o.hFreq)
		},
	})
}

func histFreq(v float64) string {
	if v == 0 {
		return "None"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func histAuto(v float64) string {
	if v == 0 {
		return "auto"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// filterReport is the --json output of filter and notch.
type filterReport struct {
	Command         string       `json:"command"`
	Input           string       `json:"input"`
	Output          []string     `json:"output"`
	Method          string       `json:"method"`
	Kind            string       `json:"kind"`
	SFreq           float64      `json:"sfreq"`
	LFreq           *float64     `json:"l_freq"`
	HFreq           *float64     `json:"h_freq"`
	Freqs           []float64    `json:"freqs,omitempty"`
	LTransBandwidth []float64    `json:"l_trans_bandwidth,omitempty"`
	HTransBandwidth []float64    `json:"h_trans_bandwidth,omitempty"`
	FilterLength    int          `json:"filter_length,omitempty"`
	FIRWindow       string       `json:"fir_window,omitempty"`
	IIROrder        int          `json:"iir_order,omitempty"`
	SOS             [][6]float64 `json:"sos,omitempty"`
	PadLen          *int         `json:"padlen,omitempty"`
	Channels        []string     `json:"channels"`
	NTimes          int64        `json:"n_times"`
	Highpass        float64      `json:"highpass"`
	Lowpass         float64      `json:"lowpass"`
	Log             []string     `json:"log"`
	Warnings        []string     `json:"warnings"`
	Seconds         float64      `json:"elapsed_seconds"`
}

// filterJob is what filter and notch hand to runFilter.
type filterJob struct {
	name    string // command name
	history string // processing-history text after "megflow <version> "
	// design builds the filter for the recording (n samples).
	design func(info *fif.Info, n int64) (*preprocess.Filter, error)
	// newInfo, when not nil, is the output info (highpass/lowpass update).
	newInfo func(info *fif.Info, picks []int) *fif.Info
	// logFirst is logged before the design summary (MNE's raw.filter
	// announces the segments it filters).
	logFirst string
	// historyFn and freqsFn, when not nil, give the history text and the
	// notch frequencies (for --json) once design has run.
	historyFn func() string
	freqsFn   func() []float64
}

// runFilter is the body of filter and notch: open IN, design, stream the
// filtered recording into OUT.
func (a *app) runFilter(ctx context.Context, in, out string, o writeOpts, job filterJob) error {
	name := job.name
	if ctx == nil {
		ctx = context.Background()
	}
	wopt, err := checkRawOutput(name, out, o.format, o.splitSize)
	if err != nil {
		return err
	}
	raw, err := openRawInput(in, o.allowMaxShield)
	if err != nil {
		return err
	}
	defer raw.Close()
	if err := checkOutput(out, raw.Paths, o.overwrite); err != nil {
		return err
	}
	info := raw.Info
	var picks []int
	if strings.TrimSpace(o.picks) == "" {
		picks = preprocess.DataChannels(info)
		if len(picks) == 0 {
			return usagef("%s has no data channels (MEG, EEG, ...); choose channels with --picks", in)
		}
	} else if picks, err = parsePicks(info, o.picks); err != nil {
		return err
	}
	f, err := job.design(info, raw.NTimes)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	log := a.logger()
	// The design summary is printed as MNE prints it, line by line.
	if log.Enabled(ctx, slog.LevelInfo) {
		if job.logFirst != "" {
			fmt.Fprintln(a.stderr, job.logFirst)
		}
		fmt.Fprint(a.stderr, f.Summary())
	}
	for _, w := range f.Warnings {
		log.Warn(w)
	}
	history := job.history
	if job.historyFn != nil {
		history = job.historyFn()
	}
	var freqs []float64
	if job.freqsFn != nil {
		freqs = job.freqsFn()
	}
	upstream, err := newSubRaw(ctx, raw, nil, 0, raw.NTimes)
	if err != nil {
		return err
	}
	outInfo := info
	if job.newInfo != nil {
		outInfo = job.newInfo(info, picks)
	}
	src, err := preprocess.NewFilteredRaw(upstream, f, picks, preprocess.StreamOptions{Info: outInfo, ChunkLen: o.chunk})
	if err != nil {
		return err
	}
	defer src.Close()
	bar := a.progressBar(name, raw.NTimes, progress.Options{Unit: "s", Scale: 1 / info.SFreq})
	ps := &fif.WatchedSource{RawSource: src, Check: ctx.Err, Done: bar.Add}
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	parts, err := fif.WriteRaw(out, ps, fif.RawWriteOptions{
		Format:     wopt.Format,
		BufferSize: raw.BufferSize(),
		SplitSize:  wopt.SplitSize,
		History:    "megflow " + version.String() + " " + history,
	})
	if err != nil {
		bar.Clear()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; %s not written: %w", out, ctx.Err())
		}
		return err
	}
	bar.Finish()
	elapsed := time.Since(t0)
	if len(parts) > 1 {
		log.Info("split output", "parts", parts)
	}
	log.Info("wrote "+out, "channels_filtered", len(picks), "samples", raw.NTimes,
		"highpass", outInfo.Highpass, "lowpass", outInfo.Lowpass, "elapsed", elapsed.Round(time.Millisecond))
	if !o.asJSON {
		return nil
	}
	rep := filterReport{Command: name, Input: in, Output: parts, Method: f.Method, Kind: f.Kind, SFreq: f.SFreq,
		LTransBandwidth: f.LTransBandwidth, HTransBandwidth: f.HTransBandwidth, NTimes: raw.NTimes,
		Highpass: outInfo.Highpass, Lowpass: outInfo.Lowpass, Log: f.Log, Warnings: f.Warnings, Seconds: elapsed.Seconds(),
		Freqs: freqs}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	if f.LFreq != 0 {
		rep.LFreq = &f.LFreq
	}
	if f.HFreq != 0 {
		rep.HFreq = &f.HFreq
	}
	if f.Method == "fir" {
		rep.FilterLength, rep.FIRWindow = len(f.Taps), f.Window
	} else {
		rep.IIROrder, rep.SOS, rep.PadLen = f.Order, f.SOS, &f.PadLen
	}
	for _, p := range picks {
		rep.Channels = append(rep.Channels, info.Chs[p].Name)
	}
	return writeJSON(a.stdout, rep)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
