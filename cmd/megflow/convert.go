package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
)

func init() { addSubcommand(newConvertCmd) }

const convertLong = `Convert a raw FIF recording to HDF5 or to FIF in another sample format,
optionally keeping only a time range and some channels.

The output type follows the extension of OUT:

  .h5, .hdf5   HDF5 with the calibrated data in SI units (T, T/m, V), projectors
               not applied - the array MNE's raw.get_data() returns:
                 data       n_channels x n_times, float64 (chunked, gzip)
                 ch_names   channel names (variable-length UTF-8 strings)
                 ch_types   MNE channel types (grad, mag, eeg, stim, ...)
                 times      seconds from the first written sample
                 bads       bad channels among the written ones
               and root attributes sfreq, first_samp (absolute index of the
               first written sample, as MNE's raw.first_samp after crop),
               meas_date (ISO 8601 UTC, "" when the file has none),
               source_file, megflow_version, highpass, lowpass.
  .fif         raw FIF (what MNE's raw.save writes), samples stored as --fmt:
               single (float32, MNE's default), double, short (16-bit with
               per-channel calibration) or int. A processing-history record
               "megflow <version> convert" is added. Recordings over
               --split-size (2 GB) are split into OUT, OUT-1.fif, ...

--tmin and --tmax are seconds from the first sample of the file (MNE's
raw.times); both ends are included, as in raw.crop(tmin, tmax): samples
round(tmin*sfreq) .. round(tmax*sfreq). --picks is a comma-separated list of
channel names and type words: meg, grad, mag, eeg, eog, ecg, emg, stim, misc,
data (MEG + EEG), all. Bad channels are kept and stay marked bad.

Nothing is written when an error occurs: output goes to a temporary file that
is renamed into place at the end. An existing OUT is replaced only with
--overwrite. The data are streamed a few seconds at a time to either format,
so memory stays bounded by the block, not the recording.`

const convertExample = `  # whole recording to HDF5 (read it with h5py: f["data"][:], f.attrs["sfreq"])
  megflow convert sub-01_raw.fif sub-01_raw.h5

  # 10 s of magnetometers and the trigger channel
  megflow convert --tmin 10 --tmax 20 --picks mag,STI101 sub-01_raw.fif part.h5

  # rewrite as float32 FIF without the EOG/ECG channels
  megflow convert --picks meg,stim --fmt single sub-01_raw.fif sub-01_meg_raw.fif

  # read MaxShield (IAS) data, e.g. to inspect it before Maxwell filtering
  megflow convert --allow-maxshield raw_ias.fif raw_ias.h5`

type convertOpts struct {
	tmin, tmax     float64
	picks          string
	format         string
	allowMaxShield bool
	overwrite      bool
	splitSize      string
	blockSeconds   float64
	// which flags were given (for defaults that depend on the file and
	// for flags that apply to one output type only)
	hasTmax, hasFmt, hasSplit bool
}

func newConvertCmd(a *app) *cobra.Command {
	var o convertOpts
	cmd := &cobra.Command{
		Use:     "convert IN OUT",
		Short:   "Convert raw FIF to HDF5 (.h5) or FIF (.fif), with crop and channel picks",
		Long:    convertLong,
		Example: convertExample,
		Args:    exactArgs("IN", "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			o.hasTmax, o.hasFmt, o.hasSplit = fl.Changed("tmax"), fl.Changed("fmt"), fl.Changed("split-size")
			return a.convert(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.tmin, "tmin", 0, "first time to keep, seconds from the first sample")
	f.Float64Var(&o.tmax, "tmax", 0, "last time to keep (included), seconds from the first sample (default: the end)")
	f.StringVar(&o.picks, "picks", "", "channels to keep: comma-separated names and types (meg, grad, mag, eeg, eog, ecg, stim, misc, data, all); default all")
	f.StringVar(&o.format, "fmt", "single", "sample format of FIF output: single, double, short or int")
	f.BoolVar(&o.allowMaxShield, "allow-maxshield", false, "read MaxShield (IAS) data that has not been Maxwell filtered")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	f.StringVar(&o.splitSize, "split-size", "2GB", "largest part of FIF output, as MNE's split_size: bytes or a number with kB, MB or GB (powers of 1024)")
	f.Float64Var(&o.blockSeconds, "block", 4, "seconds of data read per block (memory use is about channels x block x sfreq x 8 bytes)")
	_ = f.MarkHidden("block")
	return cmd
}

type outKind int

const (
	outH5 outKind = iota
	outFIF
)

func outputKind(path string) (outKind, error) {
	low := strings.ToLower(path)
	switch {
	case strings.HasSuffix(low, ".h5"), strings.HasSuffix(low, ".hdf5"):
		return outH5, nil
	case strings.HasSuffix(low, ".fif"):
		return outFIF, nil
	case strings.HasSuffix(low, ".fif.gz"):
		return 0, usagef("OUT %s: compressed FIF output is not supported; use .fif", path)
	}
	return 0, usagef("OUT %s: unknown output type; the name must end in .h5, .hdf5 or .fif", path)
}

// cropSamples converts --tmin/--tmax to the sample range [start, stop)
// that MNE's raw.crop(tmin, tmax) keeps (include_tmax=True), with its
// checks and Python's round-half-to-even.
func cropSamples(tmin, tmax float64, hasTmax bool, sfreq float64, nTimes int64) (int64, int64, error) {
	maxTime := float64(nTimes-1) / sfreq
	if !hasTmax {
		tmax = maxTime
	}
	switch {
	case math.IsNaN(tmin) || math.IsNaN(tmax) || math.IsInf(tmin, 0) || math.IsInf(tmax, 0):
		return 0, 0, usagef("--tmin/--tmax must be finite numbers")
	case tmin < 0:
		return 0, 0, usagef("--tmin %g must be >= 0 (times are seconds from the first sample)", tmin)
	case tmin > tmax:
		return 0, 0, usagef("--tmin %g must not be after --tmax %g", tmin, tmax)
	case tmax > maxTime:
		return 0, 0, usagef("--tmax %g is after the last sample (%.4f s)", tmax, maxTime)
	}
	start := int64(math.RoundToEven(tmin * sfreq))
	stop := int64(math.RoundToEven(tmax*sfreq)) + 1
	stop = min(stop, nTimes)
	if start >= stop {
		return 0, 0, usagef("--tmin %g --tmax %g selects no samples at %g Hz", tmin, tmax, sfreq)
	}
	return start, stop, nil
}

func (a *app) convert(ctx context.Context, in, out string, o convertOpts) error {
	if ctx == nil {
		ctx = context.Background()
	}
	kind, err := outputKind(out)
	if err != nil {
		return err
	}
	format, err := checkFormat(o.format)
	if err != nil {
		return err
	}
	if kind == outH5 && o.hasFmt {
		return usagef("--fmt applies to FIF output; HDF5 output is always float64")
	}
	if kind == outH5 && o.hasSplit {
		return usagef("--split-size applies to FIF output")
	}
	splitSize, err := parseSize(o.splitSize)
	if err != nil {
		return usagef("--split-size: %v", err)
	}
	if !(o.blockSeconds > 0) {
		return usagef("--block must be positive")
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
	picks, err := parsePicks(info, o.picks)
	if err != nil {
		return err
	}
	start, stop, err := cropSamples(o.tmin, o.tmax, o.hasTmax, info.SFreq, raw.NTimes)
	if err != nil {
		return err
	}
	src, err := newSubRaw(ctx, raw, picks, start, stop)
	if err != nil {
		return err
	}
	log := a.logger()
	log.Debug("converting", "in", in, "out", out, "channels", src.NChan(),
		"first_sample", start, "samples", stop-start, "format", fif.FormatName(raw.Format))
	src.bar = a.progressBar("convert", src.RawNTimes(), progress.Options{Unit: "s", Scale: 1 / info.SFreq})
	t0 := time.Now()
	switch kind {
	case outH5:
		err = a.writeH5(out, in, src, o.blockSeconds)
	case outFIF:
		var parts []string
		parts, err = fif.WriteRaw(out, src, fif.RawWriteOptions{
			Format:     format,
			BufferSize: raw.BufferSize(),
			SplitSize:  splitSize,
			History:    "megflow " + version.String() + " convert",
		})
		if err == nil && len(parts) > 1 {
			log.Info("split output", "parts", parts)
		}
	}
	if err != nil {
		src.bar.Clear()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; %s not written: %w", out, ctx.Err())
		}
		return err
	}
	src.bar.Finish()
	log.Info("wrote "+out, "channels", src.NChan(), "samples", src.RawNTimes(),
		"seconds", float64(src.RawNTimes())/info.SFreq, "first_samp", src.RawFirstSamp(),
		"elapsed", time.Since(t0).Round(time.Millisecond))
	return nil
}

// checkOutput refuses to write over an input file, and over an existing
// file without --overwrite. It also checks that OUT's directory exists,
// so that the error names it before any work is done.
func checkOutput(out string, inputs []string, overwrite bool) error {
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("cannot write %s: %w", out, unwrapPathError(err))
	} else if !st.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", out, dir)
	}
	ost, err := os.Stat(out)
	if err != nil {
		return nil
	}
	if ost.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", out)
	}
	for _, p := range inputs {
		if ist, err := os.Stat(p); err == nil && os.SameFile(ist, ost) {
			return usagef("OUT %s is the input file %s; write to another name", out, p)
		}
	}
	if !overwrite {
		return usagef("OUT %s exists; use --overwrite to replace it", out)
	}
	return nil
}

// unwrapPathError drops the *fs.PathError wrapper (its text repeats the
// path the caller already names).
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeH5 writes the view to an HDF5 file (see convertLong for the
// layout), streaming the data block by block into a chunked dataset.
func (a *app) writeH5(out, in string, src *subRaw, blockSeconds float64) error {
	info := src.RawInfo()
	nch := src.NChan()
	ns := src.RawNTimes()
	times := make([]float64, ns)
	for i := range times {
		times[i] = float64(i) / info.SFreq
	}
	names := info.ChNames()
	types := make([]string, nch)
	for i, c := range info.Chs {
		types[i] = chType(c)
	}
	bads := info.Bads
	if bads == nil {
		bads = []string{}
	}
	source, err := filepath.Abs(in)
	if err != nil {
		source = in
	}
	measDate := ""
	if info.HasMeasDate {
		measDate = isoTime(info.MeasDate)
	}

	w, err := h5.Create(out)
	if err != nil {
		return err
	}
	defer w.Abort() // no-op after a successful Close
	// Chunks of at most 1 MiB, shaped so that a block of samples of all
	// channels covers whole chunks.
	block := max(1, int64(math.Round(blockSeconds*info.SFreq)))
	chunkT := int(min(ns, 8192, block))
	chunkC := min(nch, max(1, (1<<17)/max(1, chunkT)))
	data, err := w.CreateFloat64("data", []int{nch, int(ns)}, h5.Chunks(chunkC, chunkT), h5.Shuffle(), h5.Gzip(4))
	if err != nil {
		return err
	}
	// Stream the recording block by block: memory stays bounded by the
	// block, not the recording.
	buf := make([]float64, nch*int(min(block, ns)))
	for s0 := int64(0); s0 < ns; s0 += block {
		s1 := min(s0+block, ns)
		b := buf[:nch*int(s1-s0)]
		if err := src.ReadAll(b, s0, s1); err != nil {
			return err
		}
		if err := data.WriteFloat64Slab([]int{0, int(s0)}, []int{nch, int(s1 - s0)}, b); err != nil {
			return err
		}
	}
	src.bar.Finish()
	steps := []error{
		data.Close(),
		w.WriteStrings("ch_names", names),
		w.WriteStrings("ch_types", types),
		w.WriteFloat64("times", times, nil, h5.Gzip(4)),
		w.WriteStrings("bads", bads),
		w.SetAttrFloat64("/", "sfreq", info.SFreq),
		w.SetAttrInt64("/", "first_samp", src.RawFirstSamp()),
		w.SetAttrInt64("/", "n_times", ns),
		w.SetAttrString("/", "meas_date", measDate),
		w.SetAttrString("/", "source_file", source),
		w.SetAttrString("/", "megflow_version", version.String()),
		w.SetAttrFloat64("/", "highpass", info.Highpass),
		w.SetAttrFloat64("/", "lowpass", info.Lowpass),
		w.SetAttrString("/", "units", "SI: T (mag), T/m (grad), V (eeg, eog, ecg); projectors not applied"),
		w.SetAttrString("data", "dims", "channels x times"),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return w.Close()
}

// isoTime formats a time as ISO 8601 in UTC with microseconds, as
// MNE's meas_date.isoformat() does (with Z for +00:00).
func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
