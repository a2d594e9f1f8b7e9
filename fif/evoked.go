package fif

import (
	"fmt"
	"math"
	"slices"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Aspect kinds of evoked data (FIFFV_ASPECT_*), named as MNE names them.
var evokedAspectNames = map[int32]string{
	100:  "average",
	101:  "standard_error",
	102:  "single_epoch",
	103:  "partial_average",
	104:  "alternating_subaverage",
	105:  "sample_cut_out_by_graph",
	106:  "power_density_spectrum",
	200:  "dipole_amplitude_cuvre", // sic, MNE's spelling
	1100: "squid_modulation_lower_bound",
	1101: "squid_modulation_upper_bound",
	1102: "squid_gate_setting",
}

// EvokedAspectKind returns the FIFF aspect code of an evoked kind name
// ("average" -> 100, "standard_error" -> 101, ...).
func EvokedAspectKind(kind string) (int32, bool) {
	for k, v := range evokedAspectNames {
		if v == kind {
			return k, true
		}
	}
	return 0, false
}

// Evoked is an averaged (or standard-error) response, as MNE's Evoked.
type Evoked struct {
	Info    *Info
	Comment string
	Kind    string // "average", "standard_error", ... (see EvokedAspectKind)
	Nave    int
	// First and Last are the sample indices of the first and last time
	// point relative to the event (First = round(Times[0] * sfreq)).
	First, Last int
	Times       []float64
	// Data is nchan x len(Times), row-major, calibrated to SI units.
	Data []float64
	// Baseline is the baseline interval (seconds) that was applied before
	// saving, or nil.
	Baseline *[2]float64
	// MaxShield is true when the data came from a MaxShield (IAS) aspect.
	MaxShield bool
}

// NTimes returns the number of time points.
func (e *Evoked) NTimes() int { return len(e.Times) }

// ReadEvokeds reads every evoked data set of a FIF file, as
// mne.read_evokeds(path, baseline=None, proj=False) does: the measurement
// info, then for each FIFFB_EVOKED block its comment, time axis, aspect
// kind, nave and data (one FIFF_EPOCH matrix, or one FIFF_EPOCH vector per
// channel), calibrated by each channel's cal. No baseline correction and no
// projection are applied. Each Evoked has its own Info.
func ReadEvokeds(path string) ([]*Evoked, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, meas, err := ReadInfo(f)
	if err != nil {
		return nil, err
	}
	if len(meas.Blocks(tag.BlockProcessedData)) == 0 {
		return nil, fmt.Errorf("fif: %s: no processed data block (FIFFB_PROCESSED_DATA) in the measurement: not an evoked file", path)
	}
	nodes := meas.Blocks(tag.BlockEvoked)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("fif: %s: no evoked data block (FIFFB_EVOKED) in the measurement", path)
	}
	out := make([]*Evoked, 0, len(nodes))
	for i, node := range nodes {
		// A fresh Info for every data set, as MNE reads it again each time.
		info, _, err := ReadInfo(f)
		if err != nil {
			return nil, err
		}
		ev, err := readEvokedNode(f, node, info)
		if err != nil {
			return nil, fmt.Errorf("evoked data set %d: %w", i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// evokedBlockError names the file and the block.
func evokedBlockError(f *tree.File, n *tree.Node, format string, args ...any) error {
	return &tree.Error{Path: f.Path, Offset: n.Start, Kind: tag.BlockStart, Err: fmt.Errorf(format, args...)}
}

func readEvokedNode(f *tree.File, node *tree.Node, info *Info) (*Evoked, error) {
	ev := &Evoked{Info: info}
	r := &infoReader{f: f} // scalar tags are read as MNE's int() / float() read them

	// The aspect: the first FIFFB_ASPECT in the block, else a MaxShield one.
	aspects := node.Blocks(tag.BlockAspect)
	if len(aspects) == 0 {
		aspects = node.Blocks(tag.BlockIASAspect)
		ev.MaxShield = len(aspects) > 0
	}
	if len(aspects) == 0 {
		return nil, evokedBlockError(f, node, "evoked block has no data aspect (FIFFB_ASPECT)")
	}
	aspect := aspects[0]

	var (
		comment               *string
		first, last, nsamp    *int64
		firstTime, bmin, bmax *float64
		nchan                 int64
		sfreq                 = -1.0
		chs                   []tag.ChInfoRec
	)
	for _, e := range node.Entries {
		switch e.Kind {
		case tag.Comment:
			s, err := f.String(e)
			if err != nil {
				return nil, err
			}
			comment = &s
		case tag.FirstSample, tag.LastSample, tag.NChan, tag.NoSamples:
			v32, err := r.int32v(e)
			if err != nil {
				return nil, err
			}
			v := int64(v32)
			switch e.Kind {
			case tag.FirstSample:
				first = &v
			case tag.LastSample:
				last = &v
			case tag.NChan:
				nchan = v
			case tag.NoSamples:
				nsamp = &v
			}
		case tag.SFreq, tag.FirstTime, tag.MNEBaselineMin, tag.MNEBaselineMax:
			v, err := r.number(e)
			if err != nil {
				return nil, err
			}
			switch e.Kind {
			case tag.SFreq:
				sfreq = v
			case tag.FirstTime:
				firstTime = &v
			case tag.MNEBaselineMin:
				bmin = &v
			case tag.MNEBaselineMax:
				bmax = &v
			}
		case tag.ChInfo:
			c, err := f.ChInfo(e)
			if err != nil {
				return nil, err
			}
			chs = append(chs, c)
		}
	}
	ev.Comment = "No comment"
	if comment != nil {
		ev.Comment = *comment
	}
	if (bmin == nil) != (bmax == nil) {
		return nil, evokedBlockError(f, node, "evoked block has only one of the baseline limits (FIFF_MNE_BASELINE_MIN/MAX)")
	}
	if bmin != nil {
		ev.Baseline = &[2]float64{*bmin, *bmax}
	}

	// Bad channels that name no channel of the measurement are dropped, as
	// MNE does when it reads evoked files (clean_bads=True).
	info.KeepKnownBads()
	// Channel information local to the evoked block replaces the
	// measurement's (with long names from FIFFB_CH_INFO blocks in the
	// evoked block, which also rename the bad channels).
	if nchan > 0 {
		if int64(len(chs)) != nchan {
			return nil, evokedBlockError(f, node, "evoked block declares %d channels but describes %d", nchan, len(chs))
		}
		local := make([]Channel, len(chs))
		for i, c := range chs {
			local[i] = channelFromRec(c)
		}
		mapping, err := r.extendedChInfo(node, local)
		if err != nil {
			return nil, err
		}
		info.Chs = local
		rename(info.Bads, mapping)
		// MNE-Python (checked with 1.3) fails on such files when it assigns the
		// channels; we keep the Info consistent instead.
		info.KeepKnownBads()
		if sfreq > 0 {
			info.SFreq = sfreq
		}
	}

	// The aspect block: comment (overrides), kind, nave and the data.
	ev.Nave = 1
	var aspectKind *int32
	var epochs []tree.Entry
	for _, e := range aspect.Entries {
		switch e.Kind {
		case tag.Comment:
			s, err := f.String(e)
			if err != nil {
				return nil, err
			}
			ev.Comment = s
		case tag.AspectKind:
			v, err := r.int32v(e)
			if err != nil {
				return nil, err
			}
			aspectKind = &v
		case tag.Nave:
			v, err := r.int32v(e)
			if err != nil {
				return nil, err
			}
			ev.Nave = int(v)
		case tag.Epoch:
			epochs = append(epochs, e)
		}
	}
	if aspectKind == nil {
		return nil, evokedBlockError(f, aspect, "data aspect has no aspect kind (FIFF_ASPECT_KIND)")
	}
	name, ok := evokedAspectNames[*aspectKind]
	if !ok {
		return nil, evokedBlockError(f, aspect, "unknown aspect kind %d", *aspectKind)
	}
	ev.Kind = name

	nch := len(info.Chs)
	if nch == 0 {
		return nil, evokedBlockError(f, node, "no channels in the measurement info")
	}
	if !(info.SFreq > 0) || math.IsInf(info.SFreq, 0) {
		return nil, evokedBlockError(f, node, "sampling frequency %g is not a positive number", info.SFreq)
	}
	data, ntimes, err := readEvokedEpochs(f, aspect, epochs, nch)
	if err != nil {
		return nil, err
	}

	// Time axis: from the first time and sample count when present, else
	// from the first and last sample. The count must match the data.
	var n int64
	switch {
	case firstTime != nil && nsamp != nil:
		n = *nsamp
	case first != nil:
		if last == nil {
			return nil, evokedBlockError(f, node, "evoked block has a first sample but no last sample (FIFF_LAST_SAMPLE)")
		}
		n = *last - *first + 1
	default:
		return nil, evokedBlockError(f, node, "evoked block has no time information (FIFF_FIRST_SAMPLE or FIFF_FIRST_TIME with FIFF_NO_SAMPLES)")
	}
	if n != int64(ntimes) {
		return nil, evokedBlockError(f, aspect, "data have %d samples where the time information gives %d", ntimes, n)
	}
	if ntimes == 0 {
		return nil, evokedBlockError(f, aspect, "evoked data set has no samples")
	}
	ev.Times = make([]float64, ntimes)
	if firstTime != nil && nsamp != nil {
		for i := range ev.Times {
			ev.Times[i] = *firstTime + float64(i)/info.SFreq
		}
	} else {
		for i := range ev.Times {
			ev.Times[i] = float64(*first+int64(i)) / info.SFreq
		}
	}

	// Calibration: stored value x cal, in float64.
	for k := range nch {
		cal := info.Chs[k].Cal
		row := data[k*ntimes : (k+1)*ntimes]
		for j := range row {
			row[j] *= cal
		}
	}
	ev.Data = data
	ev.First = int(math.RoundToEven(ev.Times[0] * info.SFreq))
	ev.Last = len(ev.Times) + ev.First - 1
	return ev, nil
}

// readEvokedEpochs assembles the data of an aspect: one FIFF_EPOCH matrix
// of nch x ntimes, or one FIFF_EPOCH vector per channel. The values are
// returned uncalibrated, as float64.
func readEvokedEpochs(f *tree.File, aspect *tree.Node, epochs []tree.Entry, nch int) ([]float64, int, error) {
	if len(epochs) != 1 && len(epochs) != nch {
		return nil, 0, evokedBlockError(f, aspect, "%d FIFF_EPOCH tags for %d channels (expected 1 or one per channel)", len(epochs), nch)
	}
	if len(epochs) == 1 {
		e := epochs[0]
		if e.Type.Coding() == tag.MatrixDense {
			m, err := f.Matrix(e)
			if err != nil {
				return nil, 0, err
			}
			if m.Elem == tag.ComplexFloat || m.Elem == tag.ComplexDouble {
				return nil, 0, f.Errorf(e, "complex evoked data are not supported")
			}
			switch {
			case len(m.Dims) == 2 && m.Dims[0] == nch:
				return m.Data, m.Dims[1], nil
			case len(m.Dims) == 2 && nch == 1 && m.Dims[1] == 1:
				return m.Data, m.Dims[0], nil // a column: transpose
			case len(m.Dims) == 1 && nch == 1:
				return m.Data, m.Dims[0], nil
			}
			return nil, 0, f.Errorf(e, "evoked data matrix of dimensions %v for %d channels", m.Dims, nch)
		}
		if nch != 1 {
			return nil, 0, f.Errorf(e, "a single evoked data vector for %d channels", nch)
		}
	}
	var data []float64
	ntimes := -1
	for _, e := range epochs {
		v, err := readEvokedVector(f, e)
		if err != nil {
			return nil, 0, err
		}
		if ntimes < 0 {
			ntimes = len(v)
			data = make([]float64, 0, ntimes*nch)
		} else if len(v) != ntimes {
			return nil, 0, f.Errorf(e, "channel data of %d samples where the first channel has %d", len(v), ntimes)
		}
		data = append(data, v...)
	}
	return data, ntimes, nil
}

// readEvokedVector decodes one channel's data: old packed shorts, plain
// numbers, or a one-row matrix.
func readEvokedVector(f *tree.File, e tree.Entry) ([]float64, error) {
	switch {
	case e.Type == tag.OldPack:
		b, err := f.Payload(e)
		if err != nil {
			return nil, err
		}
		v, err := tag.DecodeOldPack(b)
		return v, f.Wrap(e, err)
	case e.Type.Coding() == tag.MatrixDense:
		m, err := f.Matrix(e)
		if err != nil {
			return nil, err
		}
		if m.Elem == tag.ComplexFloat || m.Elem == tag.ComplexDouble {
			return nil, f.Errorf(e, "complex evoked data are not supported")
		}
		if len(m.Dims) == 1 || (len(m.Dims) == 2 && m.Dims[0] == 1) {
			return m.Data, nil
		}
		return nil, f.Errorf(e, "per-channel evoked data must be a vector, found dimensions %v", m.Dims)
	case e.Type.IsMatrix():
		return nil, f.Errorf(e, "unsupported evoked data type %s", e.Type)
	}
	return f.Floats(e)
}

// checkEvokedForWrite validates one data set against the first one.
func checkEvokedForWrite(i int, e, ref *Evoked) error {
	if e == nil || e.Info == nil {
		return fmt.Errorf("evoked data set %d has no measurement info", i)
	}
	nch, nt := len(e.Info.Chs), len(e.Times)
	if nch == 0 {
		return fmt.Errorf("evoked data set %d has no channels", i)
	}
	if nt == 0 {
		return fmt.Errorf("evoked data set %d has no time points", i)
	}
	if len(e.Data) != nch*nt {
		return fmt.Errorf("evoked data set %d: %d values for %d channels x %d times", i, len(e.Data), nch, nt)
	}
	if _, ok := EvokedAspectKind(e.Kind); !ok {
		return fmt.Errorf("evoked data set %d: unknown kind %q", i, e.Kind)
	}
	if e.First < math.MinInt32 || e.Last > math.MaxInt32 || e.Nave < math.MinInt32 || e.Nave > math.MaxInt32 {
		return fmt.Errorf("evoked data set %d: first/last sample or nave out of the 32-bit range", i)
	}
	for _, c := range e.Info.Chs {
		if c.Cal == 0 || math.IsNaN(c.Cal) || math.IsInf(c.Cal, 0) {
			return fmt.Errorf("evoked data set %d: channel %s has calibration %g", i, c.Name, c.Cal)
		}
	}
	if i > 0 {
		if !slices.Equal(e.Info.ChNames(), ref.Info.ChNames()) {
			return fmt.Errorf("evoked data set %d has other channels than data set 0 (the file holds one measurement info)", i)
		}
		if e.Info.SFreq != ref.Info.SFreq {
			return fmt.Errorf("evoked data set %d has sampling frequency %g, data set 0 %g", i, e.Info.SFreq, ref.Info.SFreq)
		}
	}
	return nil
}

// WriteEvokeds writes evoked data sets to a FIF file as mne.write_evokeds
// does: one measurement block with the measurement info of the first data
// set, and a processed-data block with one FIFFB_EVOKED per data set
// (comment, first time, number of samples, first and last sample, baseline,
// then the aspect with its kind, nave and the data divided by each
// channel's cal, as one single-precision matrix). All data sets must have
// the same channels and sampling frequency. The file appears only once
// completely written.
func WriteEvokeds(path string, evs []*Evoked) error {
	if len(evs) == 0 {
		return fmt.Errorf("fif: %s: no evoked data sets to write", path)
	}
	for i, e := range evs {
		if err := checkEvokedForWrite(i, e, evs[0]); err != nil {
			return fmt.Errorf("fif: %s: %w", path, err)
		}
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	info := evs[0].Info
	w.StartBlock(tag.BlockMeas)
	w.IDTag(tag.BlockID, tree.NewID())
	if info.MeasID != nil {
		w.IDTag(tag.ParentBlockID, *info.MeasID)
	}
	// As write_evokeds: no FIFF_DATA_PACK, channel ranges written as 1.
	if err := WriteInfo(w, info, 0, true); err != nil {
		w.Abort()
		return err
	}
	w.StartBlock(tag.BlockProcessedData)
	for _, e := range evs {
		w.StartBlock(tag.BlockEvoked)
		w.String(tag.Comment, e.Comment)
		w.Float32s(tag.FirstTime, float32(e.Times[0]))
		w.Int32s(tag.NoSamples, int32(len(e.Times)))
		w.Int32s(tag.FirstSample, int32(e.First))
		w.Int32s(tag.LastSample, int32(e.Last))
		if e.Baseline != nil {
			w.Float32s(tag.MNEBaselineMin, float32(e.Baseline[0]))
			w.Float32s(tag.MNEBaselineMax, float32(e.Baseline[1]))
		}
		aspect := tag.BlockAspect
		if e.MaxShield {
			aspect = tag.BlockIASAspect
		}
		w.StartBlock(aspect)
		kind, _ := EvokedAspectKind(e.Kind)
		w.Int32s(tag.AspectKind, kind)
		w.Int32s(tag.Nave, int32(e.Nave))
		nt := len(e.Times)
		nch := len(e.Info.Chs)
		stored := make([]float64, len(e.Data))
		for k := range nch {
			// MNE multiplies by the reciprocal of cal before rounding to
			// single precision; doing the same keeps files identical.
			decal := 1.0 / e.Info.Chs[k].Cal
			for j := range nt {
				stored[k*nt+j] = decal * e.Data[k*nt+j]
			}
		}
		w.Matrix(tag.Epoch, tag.Float, []int{nch, nt}, stored)
		w.EndBlock(aspect)
		w.EndBlock(tag.BlockEvoked)
	}
	w.EndBlock(tag.BlockProcessedData)
	w.EndBlock(tag.BlockMeas)
	return w.Close()
}
