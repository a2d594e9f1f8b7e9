package fif

import (
	"fmt"
	"math"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// ResetRangeFor reports whether MNE's raw writer resets the channel range
// to 1 for raw buffers of the given type: yes for float and double data
// (and for files without raw data), no for short and int data, whose
// stored integers need range*cal to become SI units.
func ResetRangeFor(dataType tag.Type) bool {
	switch dataType {
	case tag.Short, tag.DauPack16, tag.Int:
		return false
	}
	return true
}

// WriteInfo writes the measurement info in as MNE-Python's write_meas_info
// does, into the measurement block (FIFFB_MEAS) the caller has opened and
// will close: the FIFFB_MEAS_INFO block with, in MNE's order, the
// measurement id (as FIFF_PARENT_BLOCK_ID), events, HPI results and
// measurements, digitization (FIFFB_ISOTRAK), acquisition parameters,
// coordinate transformations, general tags (dates, nchan, sfreq, filters,
// line frequency, FIFF_DATA_PACK = dataType unless it is 0), subject,
// projectors, channels (with extended channel blocks when a name does not
// fit 15 characters), cross-talk and fine-calibration, device, helium,
// HPI subsystem, bad channels, compensation and KIT system id; then,
// after the info block, the processing history (FIFFB_PROCESSING_HISTORY).
//
// Scan numbers are renumbered 1..n. With resetRange every channel's range
// is written as 1 and cal is kept unchanged, as MNE does for float and
// double data (see ResetRangeFor): the caller must then store raw values
// as SI value / cal. Values are stored in the precision the format has
// (float32 for channel fields, sfreq, filters, transforms, projectors).
//
// The caller is expected to have written, right after opening FIFFB_MEAS,
// a FIFF_BLOCK_ID for the new measurement block and FIFF_PARENT_BLOCK_ID =
// in.MeasID (as MNE's raw writer does); WriteInfo writes in.MeasID again
// inside the info block so that readers find it there.
//
// Two tags go beyond MNE's writer, and MNE reads both as meant: without a
// measurement date the "no date" stamp (0, 2^31-1) is written, so that a
// reader does not take the time of a block id for the date; and
// digitization points not in the head frame get FIFF_MNE_COORD_FRAME in
// their isotrak block. Channel names that are not printable ASCII go to the
// extended channel blocks too (MNE cannot write them, and reads channel
// records as UTF-8).
//
// WriteInfo checks the whole info before writing: when it is inconsistent
// (sizes of projector or HPI matrices, names that cannot be stored,
// singular transforms, values outside the 32-bit range) nothing is written
// and the error says what is wrong. Otherwise the returned error is the
// writer's own sticky error, if any.
func WriteInfo(w *tree.Writer, in *Info, dataType tag.Type, resetRange bool) error {
	e := &infoEncoder{}
	e.info(in, dataType, resetRange)
	if e.err != nil {
		return fmt.Errorf("fif: write %s: measurement info: %w", w.Path(), e.err)
	}
	for _, op := range e.ops {
		switch op.kind {
		case tag.BlockStart:
			w.StartBlock(op.block)
		case tag.BlockEnd:
			w.EndBlock(op.block)
		default:
			w.WriteTag(op.kind, op.typ, op.payload)
		}
	}
	return w.Err()
}

// tagOp is one tag (or block start/end) waiting to be written.
type tagOp struct {
	kind    int32
	typ     tag.Type
	payload []byte
	block   int32
}

// infoEncoder collects the tags of the info so that nothing reaches the
// writer unless all of it is valid. The first error sticks.
type infoEncoder struct {
	ops []tagOp
	err error
}

func (e *infoEncoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

func (e *infoEncoder) put(kind int32, t tag.Type, payload []byte) {
	e.ops = append(e.ops, tagOp{kind: kind, typ: t, payload: payload})
}

func (e *infoEncoder) start(block int32) {
	e.ops = append(e.ops, tagOp{kind: tag.BlockStart, block: block})
}
func (e *infoEncoder) end(block int32) {
	e.ops = append(e.ops, tagOp{kind: tag.BlockEnd, block: block})
}

func (e *infoEncoder) ints(kind int32, v ...int32) {
	e.put(kind, tag.Int, tag.AppendInt32s(nil, v...))
}

func (e *infoEncoder) intp(kind int32, v *int32) {
	if v != nil {
		e.ints(kind, *v)
	}
}

// floats writes single-precision values (MNE's write_float).
func (e *infoEncoder) floats(kind int32, v ...float64) {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	e.put(kind, tag.Float, tag.AppendFloat32s(nil, f...))
}

func (e *infoEncoder) floatp(kind int32, v *float64) {
	if v != nil {
		e.floats(kind, *v)
	}
}

// str writes a string tag; empty strings are not written (as in MNE).
func (e *infoEncoder) str(kind int32, s string) {
	if s != "" {
		e.put(kind, tag.String, tag.AppendStr(nil, s))
	}
}

func (e *infoEncoder) id(kind int32, id *tag.ID) {
	if id != nil {
		e.put(kind, tag.IDStruct, tag.AppendID(nil, *id))
	}
}

func (e *infoEncoder) nameList(kind int32, names []string, what string) {
	s, err := joinNameList(names, what)
	if err != nil {
		e.fail("%v", err)
		return
	}
	e.str(kind, s)
}

func checkDims(dims []int, n int, what string) ([]int, error) {
	if dims == nil {
		return []int{n}, nil
	}
	p := 1
	for _, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("%s: negative dimension in %v", what, dims)
		}
		p *= d
	}
	if p != n || len(dims) == 0 || len(dims) > 3 {
		return nil, fmt.Errorf("%s: dimensions %v do not match %d values", what, dims, n)
	}
	return dims, nil
}

// matrix writes a dense matrix of elem (tag.Float or tag.Int) values.
func (e *infoEncoder) matrix(kind int32, elem tag.Type, dims []int, data []float64, what string) {
	dims, err := checkDims(dims, len(data), what)
	if err != nil {
		e.fail("%v", err)
		return
	}
	e.put(kind, tag.MatrixDense|elem, tag.AppendMatrix(nil, elem, dims, data))
}

func (e *infoEncoder) intMatrix(kind int32, dims []int, data []int32, what string) {
	f := make([]float64, len(data))
	for i, v := range data {
		f[i] = float64(v)
	}
	e.matrix(kind, tag.Int, dims, f, what)
}

func (e *infoEncoder) transform(t *Transform, what string) {
	if t == nil {
		return
	}
	rec, err := t.Rec()
	if err != nil {
		e.fail("%s: %v", what, err)
		return
	}
	e.put(tag.CoordTrans, tag.CoordTransStruct, tag.AppendCoordTrans(nil, rec))
}

func (e *infoEncoder) digPoints(pts []DigPoint) {
	for _, d := range pts {
		rec := tag.DigPointRec{Kind: d.Kind, Ident: d.Ident, R: [3]float32{float32(d.R[0]), float32(d.R[1]), float32(d.R[2])}}
		e.put(tag.DigPoint, tag.DigPointStruct, tag.AppendDigPoint(nil, rec))
	}
}

func int32Of(v int64, what string) (int32, error) {
	if v != int64(int32(v)) {
		return 0, fmt.Errorf("%s: %d does not fit in 32 bits", what, v)
	}
	return int32(v), nil
}

func (e *infoEncoder) info(in *Info, dataType tag.Type, resetRange bool) {
	if in == nil {
		e.fail("no info")
		return
	}
	if len(in.Chs) == 0 {
		e.fail("no channels")
		return
	}
	names := in.ChNames()
	short, mapped, err := shortChannelNames(names)
	if err != nil {
		e.fail("channel names: %v", err)
		return
	}
	mapping := map[string]string{}
	if mapped {
		for i, n := range names {
			mapping[n] = short[i]
		}
	}
	mapNames := func(v []string) []string {
		if !mapped || v == nil {
			return v
		}
		out := make([]string, len(v))
		copy(out, v)
		rename(out, mapping)
		return out
	}

	e.start(tag.BlockMeasInfo)
	e.id(tag.ParentBlockID, in.MeasID)
	for _, ev := range in.Events {
		e.start(tag.BlockEvents)
		if ev.Channels != nil {
			e.ints(tag.EventChannels, ev.Channels...)
		}
		if ev.List != nil {
			e.ints(tag.EventList, ev.List...)
		}
		e.end(tag.BlockEvents)
	}
	for i := range in.HPIResults {
		e.hpiResult(&in.HPIResults[i], i)
	}
	for i := range in.HPIMeas {
		e.hpiMeas(&in.HPIMeas[i], i)
	}
	if in.Dig != nil {
		e.start(tag.BlockIsotrak)
		if len(in.Dig) > 0 && in.Dig[0].CoordFrame != FrameHead {
			e.ints(tag.MNECoordFrame, in.Dig[0].CoordFrame)
		}
		for i, d := range in.Dig {
			if d.CoordFrame != in.Dig[0].CoordFrame {
				e.fail("digitization point %d is in coordinate frame %d, point 0 in frame %d: one block holds one frame", i, d.CoordFrame, in.Dig[0].CoordFrame)
			}
		}
		e.digPoints(in.Dig)
		e.end(tag.BlockIsotrak)
	}
	if in.AcqPars != "" || in.AcqStim != "" {
		e.start(tag.BlockDacqPars)
		e.str(tag.DacqPars, in.AcqPars)
		e.str(tag.DacqStim, in.AcqStim)
		e.end(tag.BlockDacqPars)
	}
	e.transform(in.DevHeadT, "device to head transform")
	e.transform(in.CTFHeadT, "CTF head to head transform")
	e.transform(in.DevCTFT, "device to CTF head transform")

	e.str(tag.Experimenter, in.Experimenter)
	e.str(tag.Comment, in.Description)
	e.intp(tag.ProjID, in.ProjID)
	e.str(tag.ProjName, in.ProjName)
	if in.HasMeasDate {
		secs, err := int32Of(in.MeasDate.Unix(), "measurement date")
		if err != nil {
			e.fail("%v", err)
		}
		e.ints(tag.MeasDate, secs, int32(in.MeasDate.Nanosecond()/1000))
	} else {
		// MNE writes no date tag here, and readers then take the time of
		// the measurement id (or of the block id the caller wrote). MNE's
		// "no date" stamp keeps the date absent whatever the ids hold.
		e.ints(tag.MeasDate, int32(dateNone[0]), int32(dateNone[1]))
	}
	e.str(tag.UTCOffset, in.UTCOffset)
	e.ints(tag.NChan, int32(len(in.Chs)))
	e.floats(tag.SFreq, in.SFreq)
	e.floats(tag.Lowpass, in.Lowpass)
	e.floats(tag.Highpass, in.Highpass)
	if !math.IsNaN(in.LineFreq) {
		e.floats(tag.LineFreq, in.LineFreq)
	}
	if dataType != 0 {
		e.ints(tag.DataPack, int32(dataType))
	}
	if g := in.GantryAngle; !math.IsNaN(g) {
		if g == math.Trunc(g) && g >= math.MinInt32 && g <= math.MaxInt32 {
			e.ints(tag.GantryAngle, int32(g)) // the dictionary's type
		} else {
			e.floats(tag.GantryAngle, g)
		}
	}
	if in.CustomRefApplied != 0 {
		e.ints(tag.MNECustomRef, in.CustomRefApplied)
	}
	e.str(tag.XPlotterLayout, in.XPlotterLayout)

	if si := in.Subject; si != nil {
		e.start(tag.BlockSubject)
		e.intp(tag.SubjID, si.ID)
		e.str(tag.SubjHisID, si.HisID)
		e.str(tag.SubjLastName, si.LastName)
		e.str(tag.SubjFirstName, si.FirstName)
		e.str(tag.SubjMiddleName, si.MiddleName)
		if si.BirthDay != nil {
			jd, err := int32Of(timeToJulian(*si.BirthDay), "subject birthday (julian day)")
			if err != nil {
				e.fail("%v", err)
			}
			e.put(tag.SubjBirthDay, tag.Julian, tag.AppendInt32s(nil, jd))
		}
		e.intp(tag.SubjSex, si.Sex)
		e.intp(tag.SubjHand, si.Hand)
		e.floatp(tag.SubjWeight, si.Weight)
		e.floatp(tag.SubjHeight, si.Height)
		e.end(tag.BlockSubject)
	}

	if len(in.Projs) > 0 {
		e.start(tag.BlockProj)
		for i := range in.Projs {
			e.proj(&in.Projs[i], mapNames(in.Projs[i].ColNames))
		}
		e.end(tag.BlockProj)
	}

	for k, c := range in.Chs {
		rec := channelRec(c, short[k], int32(k+1), resetRange)
		e.put(tag.ChInfo, tag.ChInfoStruct, tag.AppendChInfo(nil, rec))
	}
	if mapped {
		for k, c := range in.Chs {
			rec := channelRec(c, c.Name, int32(k+1), resetRange)
			e.start(tag.BlockChInfo)
			e.ints(tag.ChScanNo, rec.ScanNo)
			e.ints(tag.ChLogicalNo, rec.LogNo)
			e.ints(tag.ChKind, rec.Kind)
			e.put(tag.ChRange, tag.Float, tag.AppendFloat32s(nil, rec.Range))
			e.put(tag.ChCal, tag.Float, tag.AppendFloat32s(nil, rec.Cal))
			e.ints(tag.ChCoilType, rec.CoilType)
			e.put(tag.ChLoc, tag.Float, tag.AppendFloat32s(nil, rec.Loc[:]...))
			e.ints(tag.ChUnit, rec.Unit)
			e.ints(tag.ChUnitMul, rec.UnitMul)
			e.str(tag.ChDacqName, c.Name)
			e.ints(tag.ChCoordFrame, chCoordFrame(c.Kind))
			e.end(tag.BlockChInfo)
		}
	}

	e.sssCTC(in.CrossTalk)
	e.sssCal(in.FineCalibration)

	if di := in.Device; di != nil {
		e.start(tag.BlockDevice)
		e.str(tag.DeviceType, di.Type)
		e.str(tag.DeviceModel, di.Model)
		e.str(tag.DeviceSerial, di.Serial)
		e.str(tag.DeviceSite, di.Site)
		e.end(tag.BlockDevice)
	}
	if hi := in.Helium; hi != nil {
		e.start(tag.BlockHelium)
		e.floatp(tag.HeLevelRaw, hi.HeLevelRaw)
		e.intp(tag.GantryAngle, hi.GantryAngle)
		e.floatp(tag.HeliumLevel, hi.HeliumLevel)
		e.str(tag.OrigFileGUID, hi.OrigFileGUID)
		if hi.MeasDate != nil {
			e.ints(tag.MeasDate, hi.MeasDate...)
		}
		e.end(tag.BlockHelium)
	}
	if hs := in.HPISubsystem; hs != nil {
		e.start(tag.BlockHPISubsystem)
		e.intp(tag.HPINCoil, hs.NCoil)
		e.str(tag.EventChannel, hs.EventChannel)
		for _, c := range hs.Coils {
			e.start(tag.BlockHPICoil)
			if c.EventBits != nil {
				e.ints(tag.EventBits, c.EventBits...)
			}
			e.end(tag.BlockHPICoil)
		}
		e.end(tag.BlockHPISubsystem)
	}
	if len(in.Bads) > 0 {
		e.start(tag.BlockMNEBadChannels)
		e.nameList(tag.MNEChNameList, mapNames(in.Bads), "bad channels")
		e.end(tag.BlockMNEBadChannels)
	}
	if len(in.Comps) > 0 {
		e.start(tag.BlockMNECTFComp)
		for i := range in.Comps {
			e.comp(&in.Comps[i], i, mapNames)
		}
		e.end(tag.BlockMNECTFComp)
	}
	e.intp(tag.MNEKitSystemID, in.KitSystemID)
	e.end(tag.BlockMeasInfo)

	if len(in.ProcHistory) > 0 {
		e.start(tag.BlockProcessingHistory)
		for i := range in.ProcHistory {
			e.procRecord(&in.ProcHistory[i])
		}
		e.end(tag.BlockProcessingHistory)
	}
}

// channelRec converts a channel to its record with the given stored name
// and scan number.
func channelRec(c Channel, name string, scanNo int32, resetRange bool) tag.ChInfoRec {
	rec := tag.ChInfoRec{
		ScanNo: scanNo, LogNo: c.LogNo, Kind: c.Kind,
		Range: float32(c.Range), Cal: float32(c.Cal), CoilType: c.CoilType,
		Unit: c.Unit, UnitMul: c.UnitMul, Name: name,
	}
	if resetRange {
		rec.Range = 1
	}
	for i, v := range c.Loc {
		rec.Loc[i] = float32(v)
	}
	return rec
}

func (e *infoEncoder) hpiResult(hr *HPIResult, i int) {
	e.start(tag.BlockHPIResult)
	e.digPoints(hr.DigPoints)
	if hr.Order != nil {
		e.ints(tag.HPIDigOrder, hr.Order...)
	}
	if hr.Used != nil {
		e.ints(tag.HPICoilsUsed, hr.Used...)
	}
	if hr.Moments != nil || hr.MomentsDims != nil {
		e.matrix(tag.HPICoilMoments, tag.Float, hr.MomentsDims, hr.Moments, fmt.Sprintf("HPI result %d coil moments", i))
	}
	if hr.Goodness != nil {
		e.floats(tag.HPIFitGoodness, hr.Goodness...)
	}
	e.floatp(tag.HPIFitGoodLimit, hr.GoodLimit)
	e.floatp(tag.HPIFitDistLimit, hr.DistLimit)
	e.intp(tag.HPIFitAccept, hr.Accept)
	e.transform(hr.CoordTrans, fmt.Sprintf("HPI result %d transform", i))
	e.end(tag.BlockHPIResult)
}

func (e *infoEncoder) hpiMeas(hm *HPIMeas, i int) {
	e.start(tag.BlockHPIMeas)
	e.id(tag.BlockID, hm.BlockID)
	e.id(tag.ParentBlockID, hm.ParentID)
	e.str(tag.Creator, hm.Creator)
	e.floatp(tag.SFreq, hm.SFreq)
	e.intp(tag.NChan, hm.NChan)
	e.intp(tag.Nave, hm.NAve)
	e.intp(tag.HPINCoil, hm.NCoil)
	e.intp(tag.FirstSample, hm.FirstSamp)
	e.intp(tag.LastSample, hm.LastSamp)
	for j := range hm.Coils {
		c := &hm.Coils[j]
		e.start(tag.BlockHPICoil)
		e.intp(tag.HPICoilNo, c.Number)
		if c.Epoch != nil || c.EpochDims != nil {
			e.matrix(tag.Epoch, tag.Float, c.EpochDims, c.Epoch, fmt.Sprintf("HPI measurement %d coil %d epoch", i, j))
		}
		if c.Slopes != nil {
			e.floats(tag.HPISlopes, c.Slopes...)
		}
		if c.CorrCoeff != nil {
			e.floats(tag.HPICorrCoeff, c.CorrCoeff...)
		}
		e.floatp(tag.HPICoilFreq, c.CoilFreq)
		e.end(tag.BlockHPICoil)
	}
	e.end(tag.BlockHPIMeas)
}

func (e *infoEncoder) proj(p *Projector, names []string) {
	what := fmt.Sprintf("projector %q", p.Desc)
	cols := len(p.ColNames)
	if cols == 0 {
		e.fail("%s has no channels", what)
		return
	}
	if len(p.Data)%cols != 0 {
		e.fail("%s: %d values for %d channels", what, len(p.Data), cols)
		return
	}
	e.start(tag.BlockProjItem)
	e.nameList(tag.ProjItemChNameList, names, what)
	e.str(tag.Name, p.Desc)
	e.ints(tag.NChan, int32(cols))
	e.ints(tag.ProjItemKind, p.Kind)
	if p.Kind == projItemField {
		e.floats(tag.ProjItemTime, 0)
	}
	nvec, err := int32Of(int64(p.NVec), what+": vector count")
	if err != nil {
		e.fail("%v", err)
	}
	e.ints(tag.ProjItemNVec, nvec)
	active := int32(0)
	if p.Active {
		active = 1
	}
	e.ints(tag.MNEProjItemActive, active)
	e.matrix(tag.ProjItemVectors, tag.Float, []int{len(p.Data) / cols, cols}, p.Data, what)
	if !math.IsNaN(p.ExplainedVar) {
		e.floats(kindMNEICAPCAExplainedVar, p.ExplainedVar)
	}
	e.end(tag.BlockProjItem)
}

func (e *infoEncoder) comp(c *CTFComp, i int, mapNames func([]string) []string) {
	m := NamedMatrix{NRow: c.NRow, NCol: c.NCol, RowNames: mapNames(c.RowNames), ColNames: mapNames(c.ColNames), Data: c.Data}
	if err := m.check(); err != nil {
		e.fail("compensation %d: %v", i, err)
		return
	}
	e.start(tag.BlockMNECTFCompData)
	e.ints(tag.MNECTFCompKind, c.Kind)
	if c.SaveCalibrated {
		e.ints(tag.MNECTFCompCalibrated, 1)
	}
	e.start(tag.BlockMNENamedMatrix)
	e.ints(tag.MNENRow, int32(m.NRow))
	e.ints(tag.MNENCol, int32(m.NCol))
	if len(m.RowNames) > 0 {
		e.str(tag.MNERowNames, joinPlain(m.RowNames))
	}
	if len(m.ColNames) > 0 {
		e.str(tag.MNEColNames, joinPlain(m.ColNames))
	}
	e.matrix(tag.MNECTFCompData, tag.Float, []int{m.NRow, m.NCol}, m.Data, fmt.Sprintf("compensation %d", i))
	e.end(tag.BlockMNENamedMatrix)
	e.end(tag.BlockMNECTFCompData)
}

func joinPlain(names []string) string {
	n := 0
	for _, s := range names {
		n += len(s) + 1
	}
	b := make([]byte, 0, n)
	for i, s := range names {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, s...)
	}
	return string(b)
}

func (e *infoEncoder) procRecord(rec *ProcRecord) {
	e.start(tag.BlockProcessingRecord)
	e.id(tag.ParentFileID, rec.ParentFileID)
	e.id(tag.BlockID, rec.BlockID)
	e.id(tag.ParentBlockID, rec.ParentBlockID)
	if rec.Date != nil {
		e.ints(tag.MeasDate, rec.Date...)
	}
	e.str(tag.Experimenter, rec.Experimenter)
	e.str(tag.Creator, rec.Creator)
	e.sssInfo(rec.MaxInfo.SSSInfo)
	e.maxST(rec.MaxInfo.MaxST)
	e.sssCTC(rec.MaxInfo.SSSCTC)
	e.sssCal(rec.MaxInfo.SSSCal)
	for range rec.NIAS {
		e.start(tag.BlockIAS)
		e.end(tag.BlockIAS)
	}
	e.end(tag.BlockProcessingRecord)
}

func (e *infoEncoder) sssInfo(s *SSSInfo) {
	if s == nil || (s.Job == nil && s.Frame == nil && s.Origin == nil && s.InOrder == nil && s.OutOrder == nil &&
		s.NChan == nil && s.Components == nil && s.NFree == nil && s.HPIGLimit == nil && s.HPIDistLimit == nil) {
		return
	}
	e.start(tag.BlockSSSInfo)
	e.intp(tag.SSSJob, s.Job)
	e.intp(tag.SSSFrame, s.Frame)
	if s.Origin != nil {
		e.floats(tag.SSSOrigin, s.Origin...)
	}
	e.intp(tag.SSSOrdIn, s.InOrder)
	e.intp(tag.SSSOrdOut, s.OutOrder)
	e.intp(tag.SSSNMag, s.NChan)
	if s.Components != nil {
		e.ints(tag.SSSComponents, s.Components...)
	}
	e.intp(tag.SSSNFree, s.NFree)
	e.floatp(tag.HPIFitGoodLimit, s.HPIGLimit)
	e.floatp(tag.HPIFitDistLimit, s.HPIDistLimit)
	e.end(tag.BlockSSSInfo)
}

func (e *infoEncoder) maxST(s *MaxST) {
	if s == nil || *s == (MaxST{}) {
		return
	}
	e.start(tag.BlockSSSStInfo)
	e.intp(tag.SSSJob, s.Job)
	e.floatp(tag.SSSStCorr, s.SubspCorr)
	e.floatp(tag.SSSStLength, s.BufLen)
	e.end(tag.BlockSSSStInfo)
}

func (e *infoEncoder) sssCTC(s *SSSCTC) {
	if s == nil || (s.BlockID == nil && s.ParentBlockID == nil && s.Date == nil && s.Creator == "" && s.Decoupler == nil && s.ChNames == nil) {
		return
	}
	e.start(tag.BlockChannelDecoupler)
	e.id(tag.BlockID, s.BlockID)
	e.id(tag.ParentBlockID, s.ParentBlockID)
	if s.Date != nil {
		e.ints(tag.MeasDate, s.Date...)
	}
	e.str(tag.Creator, s.Creator)
	if s.Decoupler != nil {
		if err := checkSparse(s.Decoupler); err != nil {
			e.fail("cross-talk matrix: %v", err)
		} else {
			e.put(tag.DecouplerMatrix, s.Decoupler.Coding|tag.Float, tag.AppendSparse(nil, tag.Float, *s.Decoupler))
		}
	}
	if s.ChNames != nil {
		e.nameList(tag.ProjItemChNameList, s.ChNames, "cross-talk channels")
	}
	e.end(tag.BlockChannelDecoupler)
}

func (e *infoEncoder) sssCal(s *SSSCal) {
	if s == nil || (s.CalChans == nil && s.CalChansDims == nil && s.CalCorrs == nil && s.CalCorrsDims == nil) {
		return
	}
	e.start(tag.BlockSSSCal)
	if s.CalChans != nil || s.CalChansDims != nil {
		e.intMatrix(tag.SSSCalChans, s.CalChansDims, s.CalChans, "fine-calibration channels")
	}
	if s.CalCorrs != nil || s.CalCorrsDims != nil {
		e.matrix(tag.SSSCalCorrs, tag.Float, s.CalCorrsDims, s.CalCorrs, "fine-calibration corrections")
	}
	e.end(tag.BlockSSSCal)
}

// checkSparse verifies the structure of a sparse matrix before it is
// encoded.
func checkSparse(s *tag.Sparse) error {
	var nptr, inner int
	switch s.Coding {
	case tag.MatrixCCS:
		nptr, inner = s.NCol+1, s.NRow
	case tag.MatrixRCS:
		nptr, inner = s.NRow+1, s.NCol
	default:
		return fmt.Errorf("unknown sparse coding 0x%x", uint32(s.Coding))
	}
	if s.NRow < 0 || s.NCol < 0 {
		return fmt.Errorf("negative size %d x %d", s.NRow, s.NCol)
	}
	if len(s.Indices) != len(s.Data) || len(s.Ptr) != nptr {
		return fmt.Errorf("%d values, %d indices and %d pointers do not make a %d x %d matrix", len(s.Data), len(s.Indices), len(s.Ptr), s.NRow, s.NCol)
	}
	prev := int32(0)
	for _, p := range s.Ptr {
		if p < prev || int(p) > len(s.Data) {
			return fmt.Errorf("pointers out of order or range")
		}
		prev = p
	}
	if nptr > 0 && int(s.Ptr[nptr-1]) != len(s.Data) {
		return fmt.Errorf("last pointer %d, expected %d", s.Ptr[nptr-1], len(s.Data))
	}
	for _, ix := range s.Indices {
		if ix < 0 || int(ix) >= inner {
			return fmt.Errorf("index %d outside [0, %d)", ix, inner)
		}
	}
	return nil
}
