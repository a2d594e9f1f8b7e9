package fif

import (
	"fmt"
	"math"
	"time"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Tag kinds used by the measurement info that package tag does not name.
const (
	kindMNEICAPCAExplainedVar int32 = 3605 // FIFF_MNE_ICA_PCA_EXPLAINED_VAR
	kindOldCustomRef          int32 = 236  // custom_ref_applied before MNE 0.11
	projItemField             int32 = 1    // FIFFV_PROJ_ITEM_FIELD
)

// dateNone is the (seconds, microseconds) stamp MNE stores for "no
// measurement date" (microseconds can never reach 2^31-1).
var dateNone = [2]int64{0, math.MaxInt32}

// ReadInfo reads the measurement information of a FIF file the way
// MNE-Python's read_meas_info does: it finds the single measurement block
// (FIFFB_MEAS) and its single info block (FIFFB_MEAS_INFO) and reads the
// channels (including the extended channel blocks that carry names longer
// than 15 characters), sampling and filter settings, dates and ids, the
// coordinate transformations, digitization, bad channels, SSP projectors,
// compensation matrices, HPI records, subject, device and helium records,
// events, acquisition parameters and the processing history (MaxFilter's
// records included). It returns the info and the measurement block, where
// the data blocks of the recording are to be found.
//
// As in MNE, tags it does not know are ignored, highpass defaults to 0 and
// lowpass to half the sampling frequency when absent, the measurement date
// falls back to the time of the measurement id, duplicate channel names are
// made unique with "-0", "-1", ... suffixes, and bad channel names are kept
// even when no channel has them (see KeepKnownBads). Compensation matrices
// are kept as stored (see CTFComp). Every error is a *tree.Error naming the
// file and the offset (and tag) of the problem.
func ReadInfo(f *tree.File) (*Info, *tree.Node, error) {
	if f == nil || f.Root == nil {
		return nil, nil, fmt.Errorf("fif: ReadInfo: no file")
	}
	r := &infoReader{f: f}
	metas := f.Root.Blocks(tag.BlockMeas)
	switch len(metas) {
	case 0:
		return nil, nil, r.fileErr("no measurement block (FIFFB_MEAS): not a measurement file")
	case 1:
	default:
		return nil, nil, r.blockErr(metas[1], "%d measurement blocks (FIFFB_MEAS); only files with one can be read", len(metas))
	}
	meas := metas[0]
	infos := meas.Blocks(tag.BlockMeasInfo)
	switch len(infos) {
	case 0:
		return nil, nil, r.blockErr(meas, "no measurement info block (FIFFB_MEAS_INFO) in the measurement block")
	case 1:
	default:
		return nil, nil, r.blockErr(infos[1], "%d measurement info blocks (FIFFB_MEAS_INFO); only one is allowed", len(infos))
	}
	in, err := r.read(meas, infos[0])
	if err != nil {
		return nil, nil, err
	}
	return in, meas, nil
}

// KeepKnownBads drops the bad channel names that name no channel of in, as
// MNE's raw reader does (read_meas_info with clean_bads=True).
func (in *Info) KeepKnownBads() {
	if in.Bads == nil {
		return
	}
	known := make(map[string]bool, len(in.Chs))
	for _, c := range in.Chs {
		known[c.Name] = true
	}
	kept := make([]string, 0, len(in.Bads))
	for _, b := range in.Bads {
		if known[b] {
			kept = append(kept, b)
		}
	}
	in.Bads = kept
}

type infoReader struct {
	f *tree.File
}

func (r *infoReader) fileErr(format string, args ...any) error {
	return &tree.Error{Path: r.f.Path, Offset: -1, Err: fmt.Errorf(format, args...)}
}

// blockErr locates an error at the start of block n.
func (r *infoReader) blockErr(n *tree.Node, format string, args ...any) error {
	return &tree.Error{Path: r.f.Path, Offset: n.Start, Err: fmt.Errorf("block %d: %s", n.Block, fmt.Sprintf(format, args...))}
}

// number reads a numeric tag that must hold exactly one value (MNE's
// tag.data.item()).
func (r *infoReader) number(e tree.Entry) (float64, error) {
	v, err := r.f.Floats(e)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, r.f.Errorf(e, "expected one value, found %d", len(v))
	}
	return v[0], nil
}

// int32v reads a single integer (an integer tag, or a float tag truncated
// as Python's int() does).
func (r *infoReader) int32v(e tree.Entry) (int32, error) {
	var v int64
	switch e.Type {
	case tag.Float, tag.Double:
		x, err := r.number(e)
		if err != nil {
			return 0, err
		}
		if math.IsNaN(x) || x >= math.MaxInt32+1 || x <= math.MinInt32-1 {
			return 0, r.f.Errorf(e, "value %g is not a 32-bit integer", x)
		}
		v = int64(x)
	default:
		vs, err := r.f.Ints(e)
		if err != nil {
			return 0, err
		}
		if len(vs) != 1 {
			return 0, r.f.Errorf(e, "expected one value, found %d", len(vs))
		}
		v = vs[0]
	}
	if v != int64(int32(v)) {
		return 0, r.f.Errorf(e, "value %d is not a 32-bit integer", v)
	}
	return int32(v), nil
}

func (r *infoReader) int32p(e tree.Entry) (*int32, error) {
	v, err := r.int32v(e)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (r *infoReader) float64p(e tree.Entry) (*float64, error) {
	v, err := r.number(e)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// int32s reads an integer array (plain or a dense matrix, flattened).
func (r *infoReader) int32s(e tree.Entry) ([]int32, []int, error) {
	var vals []float64
	var dims []int
	if e.Type.IsMatrix() {
		m, err := r.f.Matrix(e)
		if err != nil {
			return nil, nil, err
		}
		if m.Elem != tag.Int && m.Elem != tag.Julian {
			return nil, nil, r.f.Errorf(e, "expected an integer matrix, found %s", e.Type)
		}
		vals, dims = m.Data, m.Dims
	} else {
		switch e.Type {
		case tag.Float, tag.Double:
			return nil, nil, r.f.Errorf(e, "expected integers, found %s", e.Type)
		}
		vs, err := r.f.Ints(e)
		if err != nil {
			return nil, nil, err
		}
		out := make([]int32, len(vs))
		for i, v := range vs {
			if v != int64(int32(v)) {
				return nil, nil, r.f.Errorf(e, "value %d is not a 32-bit integer", v)
			}
			out[i] = int32(v)
		}
		return out, []int{len(out)}, nil
	}
	out := make([]int32, len(vals))
	for i, v := range vals {
		out[i] = int32(v) // integer matrix elements are exact int32 values
	}
	return out, dims, nil
}

// floats reads a numeric array (plain or a dense real matrix, row-major)
// with its dimensions.
func (r *infoReader) floats(e tree.Entry) ([]float64, []int, error) {
	if e.Type.IsMatrix() {
		m, err := r.f.Matrix(e)
		if err != nil {
			return nil, nil, err
		}
		if m.Elem == tag.ComplexFloat || m.Elem == tag.ComplexDouble {
			return nil, nil, r.f.Errorf(e, "expected a real matrix, found %s", e.Type)
		}
		return m.Data, m.Dims, nil
	}
	v, err := r.f.Floats(e)
	if err != nil {
		return nil, nil, err
	}
	return v, []int{len(v)}, nil
}

func (r *infoReader) id(e tree.Entry) (*tag.ID, error) {
	v, err := r.f.IDStruct(e)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// stamp reads a (seconds, microseconds) date; a single value gets zero
// microseconds, as MNE does for old files.
func (r *infoReader) stamp(e tree.Entry) ([]int32, error) {
	v, _, err := r.int32s(e)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, r.f.Errorf(e, "empty date")
	}
	return v, nil
}

func (r *infoReader) nameList(e tree.Entry) ([]string, error) {
	s, err := r.f.String(e)
	if err != nil {
		return nil, err
	}
	return readNameList(s), nil
}

func (r *infoReader) transform(e tree.Entry) (*Transform, error) {
	rec, err := r.f.CoordTrans(e)
	if err != nil {
		return nil, err
	}
	return TransformFromRec(rec), nil
}

// chCoordFrame is the coordinate frame MNE gives the location of a
// channel of the given kind.
func chCoordFrame(kind int32) int32 {
	switch kind {
	case KindMEG, KindRefMEG:
		return FrameDevice
	case KindEEG, KindECoG, KindSEEG, KindDBS, KindFNIRS:
		return FrameHead
	}
	return FrameUnknown
}

func channelFromRec(c tag.ChInfoRec) Channel {
	ch := Channel{
		Name: c.Name, ScanNo: c.ScanNo, LogNo: c.LogNo, Kind: c.Kind,
		Range: float64(c.Range), Cal: float64(c.Cal), CoilType: c.CoilType,
		Unit: c.Unit, UnitMul: c.UnitMul, CoordFrame: chCoordFrame(c.Kind),
	}
	for i, v := range c.Loc {
		ch.Loc[i] = float64(v)
	}
	return ch
}

func digFromRec(d tag.DigPointRec, frame int32) DigPoint {
	return DigPoint{Kind: d.Kind, Ident: d.Ident, R: [3]float64{float64(d.R[0]), float64(d.R[1]), float64(d.R[2])}, CoordFrame: frame}
}

// only returns the single block of the given kind below n, or nil when
// there is none or more than one (MNE ignores the record then).
func only(n *tree.Node, kind int32) *tree.Node {
	if b := n.Blocks(kind); len(b) == 1 {
		return b[0]
	}
	return nil
}

func (r *infoReader) read(meas, mi *tree.Node) (*Info, error) {
	f := r.f
	in := &Info{LineFreq: math.NaN(), GantryAngle: math.NaN()}
	var (
		nchan          *int32
		sfreq          *float64
		highpass       *float64
		lowpass        *float64
		measDate       []int32
		chs            []Channel
		devHead, ctfHd *Transform
	)
	for _, e := range mi.Entries {
		var err error
		switch e.Kind {
		case tag.NChan:
			nchan, err = r.int32p(e)
		case tag.SFreq:
			sfreq, err = r.float64p(e)
		case tag.ChInfo:
			var rec tag.ChInfoRec
			if rec, err = f.ChInfo(e); err == nil {
				chs = append(chs, channelFromRec(rec))
			}
		case tag.Lowpass, tag.Highpass:
			var v float64
			if v, err = r.number(e); err == nil && !math.IsNaN(v) {
				if e.Kind == tag.Lowpass {
					lowpass = &v
				} else {
					highpass = &v
				}
			}
		case tag.MeasDate:
			measDate, err = r.stamp(e)
		case tag.UTCOffset:
			in.UTCOffset, err = f.String(e)
		case tag.CoordTrans:
			var t *Transform
			if t, err = r.transform(e); err != nil {
				break
			}
			switch {
			case t.From == FrameDevice && t.To == FrameHead:
				devHead = t
			case t.From == FrameHead && t.To == FrameDevice:
				// BabyMEG files store the head -> device direction.
				if devHead, err = t.Inverse(); err != nil {
					err = f.Wrap(e, err)
				}
			case t.From == FrameCTFHead && t.To == FrameHead:
				ctfHd = t
			case t.From == FrameCTFDevice && t.To == FrameCTFHead:
				in.DevCTFT = t
			}
		case tag.Experimenter:
			in.Experimenter, err = f.String(e)
		case tag.Comment: // FIFF_DESCRIPTION
			in.Description, err = f.String(e)
		case tag.ProjID:
			in.ProjID, err = r.int32p(e)
		case tag.ProjName:
			in.ProjName, err = f.String(e)
		case tag.LineFreq:
			in.LineFreq, err = r.number(e)
		case tag.GantryAngle:
			in.GantryAngle, err = r.number(e)
		case tag.MNECustomRef, kindOldCustomRef:
			in.CustomRefApplied, err = r.int32v(e)
		case tag.XPlotterLayout:
			in.XPlotterLayout, err = f.String(e)
		case tag.MNEKitSystemID:
			in.KitSystemID, err = r.int32p(e)
		case tag.DataPack:
			var v int32
			if v, err = r.int32v(e); err == nil {
				in.DataType = tag.Type(v)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	mapping, err := r.extendedChInfo(mi, chs)
	if err != nil {
		return nil, err
	}
	switch {
	case nchan == nil:
		return nil, r.blockErr(mi, "number of channels (FIFF_NCHAN) missing")
	case sfreq == nil:
		return nil, r.blockErr(mi, "sampling frequency (FIFF_SFREQ) missing")
	case len(chs) == 0:
		return nil, r.blockErr(mi, "no channel information (FIFF_CH_INFO)")
	case len(chs) != int(*nchan):
		return nil, r.blockErr(mi, "FIFF_NCHAN says %d channels but there are %d channel info tags", *nchan, len(chs))
	}

	// Transformations missing from the info block come from the HPI result.
	if devHead == nil || ctfHd == nil {
		if hr := only(mi, tag.BlockHPIResult); hr != nil {
			for _, e := range hr.FindAll(tag.CoordTrans) {
				t, err := r.transform(e)
				if err != nil {
					return nil, err
				}
				switch {
				case t.From == FrameDevice && t.To == FrameHead && devHead == nil:
					devHead = t
				case t.From == FrameCTFHead && t.To == FrameHead && ctfHd == nil:
					ctfHd = t
				}
			}
		}
	}
	in.DevHeadT, in.CTFHeadT = devHead, ctfHd
	if devHead != nil && ctfHd != nil && in.DevCTFT == nil {
		headCTF, err := ctfHd.Inverse()
		if err != nil {
			return nil, r.blockErr(mi, "CTF head transform: %v", err)
		}
		in.DevCTFT = &Transform{From: FrameDevice, To: FrameCTFHead, M: matMul4(headCTF.M, devHead.M)}
	}

	if in.Dig, err = r.dig(mi); err != nil {
		return nil, err
	}
	if acq := only(mi, tag.BlockDacqPars); acq != nil {
		for _, e := range acq.Entries {
			switch e.Kind {
			case tag.DacqPars:
				in.AcqPars, err = f.String(e)
			case tag.DacqStim:
				in.AcqStim, err = f.String(e)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if in.Projs, err = r.projs(mi, mapping); err != nil {
		return nil, err
	}
	if in.Comps, err = r.comps(mi, mapping); err != nil {
		return nil, err
	}
	if in.Bads, err = r.bads(mi, mapping); err != nil {
		return nil, err
	}
	if in.Events, err = r.events(mi); err != nil {
		return nil, err
	}
	if in.HPIResults, err = r.hpiResults(mi); err != nil {
		return nil, err
	}
	if in.HPIMeas, err = r.hpiMeas(mi); err != nil {
		return nil, err
	}
	if in.Subject, err = r.subject(mi); err != nil {
		return nil, err
	}
	if in.Device, err = r.device(mi); err != nil {
		return nil, err
	}
	if in.Helium, err = r.helium(mi); err != nil {
		return nil, err
	}
	if in.HPISubsystem, err = r.hpiSubsystem(mi); err != nil {
		return nil, err
	}
	if b := f.Root.Blocks(tag.BlockChannelDecoupler); len(b) > 0 {
		if in.CrossTalk, err = r.sssCTC(b[0]); err != nil {
			return nil, err
		}
	}
	if b := f.Root.Blocks(tag.BlockSSSCal); len(b) > 0 {
		if in.FineCalibration, err = r.sssCal(b[0]); err != nil {
			return nil, err
		}
	}
	if in.ProcHistory, err = r.procHistory(f.Root); err != nil {
		return nil, err
	}

	fileID := f.ID
	in.FileID = &fileID
	switch {
	case mi.ParentID != nil:
		in.MeasID = cloneID(mi.ParentID)
	case mi.ID != nil:
		in.MeasID = cloneID(mi.ID)
	case meas.ID != nil:
		in.MeasID = cloneID(meas.ID)
	case meas.ParentID != nil:
		in.MeasID = cloneID(meas.ParentID)
	default:
		in.MeasID = cloneID(&fileID)
	}
	stamp := [2]int64{int64(in.MeasID.Secs), int64(in.MeasID.Usecs)}
	if measDate != nil {
		stamp = [2]int64{int64(measDate[0]), 0}
		if len(measDate) > 1 {
			stamp[1] = int64(measDate[1])
		}
	}
	if stamp != dateNone {
		in.MeasDate = time.Unix(stamp[0], stamp[1]*1000).UTC()
		in.HasMeasDate = true
	}

	in.SFreq = *sfreq
	in.Highpass = 0
	if highpass != nil {
		in.Highpass = *highpass
	}
	in.Lowpass = in.SFreq / 2
	if lowpass != nil {
		in.Lowpass = *lowpass
	}
	names := make([]string, len(chs))
	for i, c := range chs {
		names[i] = c.Name
	}
	unique, err := uniqueChannelNames(names, 0)
	if err != nil {
		return nil, r.blockErr(mi, "%v", err)
	}
	for i := range chs {
		chs[i].Name = unique[i]
	}
	in.Chs = chs
	return in, nil
}

func cloneID(id *tag.ID) *tag.ID {
	c := *id
	return &c
}

func matMul4(a, b [4][4]float64) [4][4]float64 {
	var c [4][4]float64
	for i := range 4 {
		for j := range 4 {
			var s float64
			for k := range 4 {
				s += a[i][k] * b[k][j]
			}
			c[i][j] = s
		}
	}
	return c
}

// extendedChInfo applies the FIFFB_CH_INFO blocks (one per channel, in
// channel order) that MNE writes when some channel name does not fit the
// 15 characters of the channel record. It returns the mapping from the
// names of the records to the full names.
func (r *infoReader) extendedChInfo(mi *tree.Node, chs []Channel) (map[string]string, error) {
	blocks := mi.Blocks(tag.BlockChInfo)
	if len(blocks) == 0 {
		return nil, nil
	}
	if len(blocks) != len(chs) {
		return nil, r.blockErr(blocks[0], "%d extended channel info blocks (FIFFB_CH_INFO) for %d channels", len(blocks), len(chs))
	}
	mapping := make(map[string]string)
	for i, b := range blocks {
		ch := &chs[i]
		for _, e := range b.Entries {
			if e.Size == 0 { // MNE reads an empty tag as None and skips it
				continue
			}
			var err error
			switch e.Kind {
			case tag.ChScanNo:
				ch.ScanNo, err = r.int32v(e)
			case tag.ChLogicalNo:
				ch.LogNo, err = r.int32v(e)
			case tag.ChKind:
				ch.Kind, err = r.int32v(e)
			case tag.ChRange:
				ch.Range, err = r.number(e)
			case tag.ChCal:
				ch.Cal, err = r.number(e)
			case tag.ChCoilType:
				ch.CoilType, err = r.int32v(e)
			case tag.ChLoc:
				var loc []float64
				if loc, _, err = r.floats(e); err == nil {
					if len(loc) != 12 {
						err = r.f.Errorf(e, "channel location has %d values, expected 12", len(loc))
					} else {
						copy(ch.Loc[:], loc)
					}
				}
			case tag.ChUnit:
				ch.Unit, err = r.int32v(e)
			case tag.ChUnitMul:
				ch.UnitMul, err = r.int32v(e)
			case tag.ChDacqName:
				var name string
				if name, err = r.f.String(e); err == nil {
					mapping[ch.Name] = name
					ch.Name = name
				}
			case tag.ChCoordFrame:
				_, err = r.int32v(e) // MNE derives the frame from the kind again
			}
			if err != nil {
				return nil, err
			}
		}
		ch.CoordFrame = chCoordFrame(ch.Kind)
	}
	return mapping, nil
}

func rename(names []string, mapping map[string]string) {
	for i, n := range names {
		if m, ok := mapping[n]; ok {
			names[i] = m
		}
	}
}

// dig reads the digitizer points of the single isotrak block (nil when
// there is none or more than one, as in MNE).
func (r *infoReader) dig(mi *tree.Node) ([]DigPoint, error) {
	iso := only(mi, tag.BlockIsotrak)
	if iso == nil {
		return nil, nil
	}
	frame := FrameHead
	pts := []DigPoint{}
	for _, e := range iso.Entries {
		switch e.Kind {
		case tag.DigPoint, tag.DigString:
			recs, err := r.f.DigPoints(e)
			if err != nil {
				return nil, err
			}
			for _, d := range recs {
				pts = append(pts, digFromRec(d, 0))
			}
		case tag.MNECoordFrame:
			v, err := r.int32v(e)
			if err != nil {
				return nil, err
			}
			frame = v
		}
	}
	for i := range pts {
		pts[i].CoordFrame = frame
	}
	return pts, nil
}
