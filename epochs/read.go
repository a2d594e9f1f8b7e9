package epochs

import (
	"fmt"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Read loads an -epo.fif file written by Write or by MNE's epochs.save
// (one part: split files are refused), as mne.read_epochs does: the
// data times each channel's cal, events, event_id, selection, drop log,
// baseline, rejection parameters and measurement info.
func Read(path string) (*Epochs, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e, dataEntry, err := readHeader(f, path)
	if err != nil {
		return nil, err
	}
	if el := dataEntry.Type.Elem(); dataEntry.Type.Coding() == tag.MatrixDense && (el == tag.Float || el == tag.Double) {
		// Epoch by epoch: no second copy of the whole data as bytes.
		lf := &File{Epochs: e, f: f, entry: *dataEntry, per: e.NChan() * e.NTimes()}
		if err := lf.checkLayout(); err != nil {
			return nil, err
		}
		e.Data = make([][]float64, e.Len())
		for i := range e.Data {
			if e.Data[i], err = lf.ReadEpoch(i, nil); err != nil {
				return nil, err
			}
		}
		return e, nil
	}
	info := e.Info
	nt := len(e.Times)
	m, err := f.Matrix(*dataEntry)
	if err != nil {
		return nil, err
	}
	if m.Elem == tag.ComplexFloat || m.Elem == tag.ComplexDouble {
		return nil, f.Errorf(*dataEntry, "complex epochs data are not supported")
	}
	nch := len(info.Chs)
	if want := len(e.Events) * nch * nt; len(m.Data) != want {
		return nil, f.Errorf(*dataEntry, "incorrect number of samples (%d instead of %d for %d epochs x %d channels x %d times)", len(m.Data), want, len(e.Events), nch, nt)
	}
	per := nch * nt
	for i := range len(e.Events) {
		e.Data = append(e.Data, m.Data[i*per:(i+1)*per:(i+1)*per])
	}
	for i := range len(e.Events) {
		ep := e.Epoch(i)
		for k, c := range info.Chs {
			row := ep[k*nt : (k+1)*nt]
			for j := range row {
				row[j] *= c.Cal
			}
		}
	}
	return e, nil
}

// readHeader reads everything of an -epo.fif but the data, and finds the
// data tag.
func readHeader(f *tree.File, path string) (*Epochs, *tree.Entry, error) {
	info, meas, err := fif.ReadInfo(f)
	if err != nil {
		return nil, nil, err
	}
	info.KeepKnownBads()
	if len(meas.Blocks(tag.BlockProcessedData)) == 0 {
		return nil, nil, fmt.Errorf("epochs: %s: no processed data block: not an epochs file", path)
	}
	nodes := f.Root.Blocks(tag.BlockMNEEpochs)
	if len(nodes) == 0 {
		nodes = f.Root.Blocks(122) // the block kind MNE used before 0.11
	}
	if len(nodes) == 0 {
		return nil, nil, fmt.Errorf("epochs: %s: no epochs block (FIFFB_MNE_EPOCHS): not an -epo.fif file", path)
	}
	node := nodes[0]
	for _, ref := range node.Blocks(tag.BlockRef) {
		if e, ok := ref.Find(tag.RefRole); ok {
			if v, err := f.Int(e); err == nil && v == int64(tag.RoleNextFile) {
				return nil, nil, fmt.Errorf("epochs: %s: the epochs continue in a next split file; split -epo.fif files are not supported", path)
			}
		}
	}
	e := &Epochs{Info: info}

	// Events and their names.
	evb := f.Root.Blocks(tag.BlockMNEEvents)
	if len(evb) == 0 {
		return nil, nil, fmt.Errorf("epochs: %s: no events block (FIFFB_MNE_EVENTS)", path)
	}
	le, ok := evb[0].Find(tag.MNEEventList)
	if !ok {
		return nil, nil, fmt.Errorf("epochs: %s: the events block has no event list", path)
	}
	vals, err := f.Ints(le)
	if err != nil {
		return nil, nil, err
	}
	if len(vals)%3 != 0 {
		return nil, nil, f.Errorf(le, "event list of %d values is not a multiple of 3", len(vals))
	}
	for i := 0; i < len(vals); i += 3 {
		e.Events = append(e.Events, fif.Event{Sample: vals[i], Prev: int32(vals[i+1]), ID: int32(vals[i+2])})
	}
	if de, ok := evb[0].Find(tag.Comment); ok {
		s, err := f.String(de)
		if err != nil {
			return nil, nil, err
		}
		if e.EventID, err = parseEventIDString(s); err != nil {
			return nil, nil, f.Wrap(de, err)
		}
	} else {
		e.EventID = EventIDFromCodes(e.Events)
	}

	var first, last *int64
	var dataEntry *tree.Entry
	for _, d := range node.Entries {
		switch d.Kind {
		case tag.FirstSample, tag.LastSample:
			v, err := f.Int(d)
			if err != nil {
				return nil, nil, err
			}
			if d.Kind == tag.FirstSample {
				first = &v
			} else {
				last = &v
			}
		case tag.Epoch:
			d := d
			dataEntry = &d
		case tag.MNEBaselineMin, tag.MNEBaselineMax, 304, 305:
			v, err := f.Float(d)
			if err != nil {
				return nil, nil, err
			}
			if e.Baseline == nil {
				e.Baseline = &[2]float64{}
			}
			if d.Kind == tag.MNEBaselineMin || d.Kind == 304 {
				e.Baseline[0] = v
			} else {
				e.Baseline[1] = v
			}
		case tag.MNEEpochsSelection:
			v, err := f.Ints(d)
			if err != nil {
				return nil, nil, err
			}
			e.Selection = make([]int, len(v))
			for i, x := range v {
				e.Selection[i] = int(x)
			}
		case tag.MNEEpochsDropLog:
			s, err := f.String(d)
			if err != nil {
				return nil, nil, err
			}
			if err := parsePyJSON(s, &e.DropLog); err != nil {
				return nil, nil, f.Errorf(d, "drop log is not a JSON list of lists of strings: %v", err)
			}
		case tag.MNEEpochsRejectFlat:
			s, err := f.String(d)
			if err != nil {
				return nil, nil, err
			}
			if e.Reject, e.Flat, e.RejectTmin, e.RejectTmax, err = parseRejectJSON(s); err != nil {
				return nil, nil, f.Wrap(d, err)
			}
		case tag.MNEEpochsRawSFreq:
			if e.RawSFreq, err = f.Float(d); err != nil {
				return nil, nil, err
			}
		}
	}
	if first == nil || last == nil || *last < *first {
		return nil, nil, fmt.Errorf("epochs: %s: missing or inconsistent first/last sample of the epochs", path)
	}
	if dataEntry == nil {
		return nil, nil, fmt.Errorf("epochs: %s: epochs data (FIFF_EPOCH) not found", path)
	}
	if e.RawSFreq == 0 {
		e.RawSFreq = info.SFreq
	}
	nt := int(*last - *first + 1)
	for k := range nt {
		e.Times = append(e.Times, float64(*first+int64(k))/info.SFreq)
	}
	if e.Selection == nil {
		for i := range e.Events {
			e.Selection = append(e.Selection, i)
		}
	}
	if e.DropLog == nil {
		e.DropLog = make([][]string, len(e.Events))
	}
	if len(e.Selection) != len(e.Events) {
		return nil, nil, fmt.Errorf("epochs: %s: selection has %d entries for %d epochs", path, len(e.Selection), len(e.Events))
	}
	return e, dataEntry, nil
}
