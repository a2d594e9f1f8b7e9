package epochs

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// WriteOptions control Write.
type WriteOptions struct {
	// Fmt is the sample format: "single" (float32, MNE's default) or
	// "double".
	Fmt string
}

// Write saves the epochs as an -epo.fif file the way MNE's epochs.save
// does, so that mne.read_epochs reads back the data, events, event_id,
// selection, drop log, baseline, rejection parameters and info. The file
// appears only once completely written. Files whose data exceed the 2 GB
// limit of one FIF file are refused (MNE would split them).
func (e *Epochs) Write(path string, opt WriteOptions) error {
	if e.Len() == 0 {
		return fmt.Errorf("epochs: %s: no epochs to write", path)
	}
	elem, size := tag.Float, 4
	switch opt.Fmt {
	case "", "single":
	case "double":
		elem, size = tag.Double, 8
	default:
		return fmt.Errorf("epochs: %s: format %q: want single or double", path, opt.Fmt)
	}
	nch, nt, n := e.NChan(), e.NTimes(), e.Len()
	if len(e.Data) != n {
		return fmt.Errorf("epochs: %s: %d epochs of data for %d events", path, len(e.Data), n)
	}
	for i, ep := range e.Data {
		if len(ep) != nch*nt {
			return fmt.Errorf("epochs: %s: epoch %d has %d values, not %d channels x %d times", path, i, len(ep), nch, nt)
		}
	}
	if len(e.Selection) != n || len(e.DropLog) < n {
		return fmt.Errorf("epochs: %s: selection (%d) and drop log (%d) do not match the %d epochs", path, len(e.Selection), len(e.DropLog), n)
	}
	nbytes := int64(n) * int64(nch) * int64(nt) * int64(size)
	if nbytes+(1<<20) > tree.MaxFileSize {
		return fmt.Errorf("epochs: %s: %d epochs of %d channels x %d samples take %.2f GB, more than one FIF file holds (2 GB); decimate, pick fewer channels or save fewer epochs per file",
			path, n, nch, nt, float64(nbytes)/(1<<30))
	}
	decal := make([]float64, nch)
	for k, c := range e.Info.Chs {
		if c.Cal == 0 || math.IsNaN(c.Cal) || math.IsInf(c.Cal, 0) {
			return fmt.Errorf("epochs: %s: channel %s has calibration %g", path, c.Name, c.Cal)
		}
		decal[k] = 1 / c.Cal
	}
	events := make([]int32, 0, 3*n)
	for _, ev := range e.Events {
		if ev.Sample < math.MinInt32 || ev.Sample > math.MaxInt32 {
			return fmt.Errorf("epochs: %s: event sample %d does not fit in a FIF integer", path, ev.Sample)
		}
		events = append(events, int32(ev.Sample), ev.Prev, ev.ID)
	}
	sel := make([]int32, n)
	for i, s := range e.Selection {
		sel[i] = int32(s)
	}

	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	info := e.Info
	w.StartBlock(tag.BlockMeas)
	w.IDTag(tag.BlockID, tree.NewID())
	if info.MeasID != nil {
		w.IDTag(tag.ParentBlockID, *info.MeasID)
	}
	if err := fif.WriteInfo(w, info, 0, true); err != nil {
		w.Abort()
		return err
	}
	w.StartBlock(tag.BlockProcessedData)
	w.StartBlock(tag.BlockMNEEpochs)

	w.StartBlock(tag.BlockMNEEvents)
	w.Int32s(tag.MNEEventList, events...)
	w.String(tag.Comment, e.EventID.String()) // FIFF_DESCRIPTION
	w.EndBlock(tag.BlockMNEEvents)

	first := int32(math.RoundToEven(e.Times[0] * info.SFreq))
	w.Int32s(tag.FirstSample, first)
	w.Int32s(tag.LastSample, first+int32(nt)-1)
	w.Float32s(tag.MNEEpochsRawSFreq, float32(e.RawSFreq))
	if e.Baseline != nil {
		w.Float32s(tag.MNEBaselineMin, float32(e.Baseline[0]))
		w.Float32s(tag.MNEBaselineMax, float32(e.Baseline[1]))
	}

	// The data, divided by each channel's cal (MNE multiplies by the
	// reciprocal), as one n x nch x nt matrix, encoded an epoch at a time.
	w.WriteTagStream(tag.Epoch, tag.MatrixDense|elem, nbytes+16, func(put func([]byte)) error {
		buf := make([]byte, 0, nch*nt*size)
		for i := range n {
			buf = buf[:0]
			ep := e.Epoch(i)
			for k := range nch {
				for _, v := range ep[k*nt : (k+1)*nt] {
					x := decal[k] * v
					if size == 4 {
						buf = binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(x)))
					} else {
						buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(x))
					}
				}
			}
			put(buf)
		}
		buf = buf[:0]
		for _, d := range []int{nt, nch, n, 3} {
			buf = binary.BigEndian.AppendUint32(buf, uint32(d))
		}
		put(buf)
		return nil
	})

	w.String(tag.MNEEpochsDropLog, dropLogJSON(e.DropLog))
	if s := rejectJSON(e.Reject, e.Flat, e.RejectTmin, e.RejectTmax); s != "" {
		w.String(tag.MNEEpochsRejectFlat, s)
	}
	w.Int32s(tag.MNEEpochsSelection, sel...)

	w.EndBlock(tag.BlockMNEEpochs)
	w.EndBlock(tag.BlockProcessedData)
	w.EndBlock(tag.BlockMeas)
	return w.Close()
}
