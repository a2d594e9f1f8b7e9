package fif

import (
	"time"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// This file reads the optional records of the measurement info: events,
// HPI, subject, device, helium and the processing history with MaxFilter's
// records.

func (r *infoReader) events(mi *tree.Node) ([]EventSpec, error) {
	var out []EventSpec
	for _, n := range mi.Blocks(tag.BlockEvents) {
		var ev EventSpec
		for _, e := range n.Entries {
			var err error
			switch e.Kind {
			case tag.EventChannels:
				ev.Channels, _, err = r.int32s(e)
			case tag.EventList:
				ev.List, _, err = r.int32s(e)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

func (r *infoReader) hpiResults(mi *tree.Node) ([]HPIResult, error) {
	var out []HPIResult
	for _, n := range mi.Blocks(tag.BlockHPIResult) {
		var hr HPIResult
		for _, e := range n.Entries {
			var err error
			switch e.Kind {
			case tag.DigPoint:
				var recs []tag.DigPointRec
				if recs, err = r.f.DigPoints(e); err == nil {
					for _, d := range recs {
						hr.DigPoints = append(hr.DigPoints, digFromRec(d, FrameUnknown))
					}
				}
			case tag.HPIDigOrder:
				hr.Order, _, err = r.int32s(e)
			case tag.HPICoilsUsed:
				hr.Used, _, err = r.int32s(e)
			case tag.HPICoilMoments:
				hr.Moments, hr.MomentsDims, err = r.floats(e)
			case tag.HPIFitGoodness:
				hr.Goodness, _, err = r.floats(e)
			case tag.HPIFitGoodLimit:
				hr.GoodLimit, err = r.float64p(e)
			case tag.HPIFitDistLimit:
				hr.DistLimit, err = r.float64p(e)
			case tag.HPIFitAccept:
				hr.Accept, err = r.int32p(e)
			case tag.CoordTrans:
				hr.CoordTrans, err = r.transform(e)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, hr)
	}
	return out, nil
}

func (r *infoReader) hpiMeas(mi *tree.Node) ([]HPIMeas, error) {
	var out []HPIMeas
	for _, n := range mi.Blocks(tag.BlockHPIMeas) {
		var hm HPIMeas
		for _, e := range n.Entries {
			var err error
			switch e.Kind {
			case tag.BlockID:
				hm.BlockID, err = r.id(e)
			case tag.ParentBlockID:
				hm.ParentID, err = r.id(e)
			case tag.Creator:
				hm.Creator, err = r.f.String(e)
			case tag.SFreq:
				hm.SFreq, err = r.float64p(e)
			case tag.NChan:
				hm.NChan, err = r.int32p(e)
			case tag.Nave:
				hm.NAve, err = r.int32p(e)
			case tag.HPINCoil:
				hm.NCoil, err = r.int32p(e)
			case tag.FirstSample:
				hm.FirstSamp, err = r.int32p(e)
			case tag.LastSample:
				hm.LastSamp, err = r.int32p(e)
			}
			if err != nil {
				return nil, err
			}
		}
		for _, c := range n.Blocks(tag.BlockHPICoil) {
			var hc HPICoil
			for _, e := range c.Entries {
				var err error
				switch e.Kind {
				case tag.HPICoilNo:
					hc.Number, err = r.int32p(e)
				case tag.Epoch:
					hc.Epoch, hc.EpochDims, err = r.floats(e)
				case tag.HPISlopes:
					hc.Slopes, _, err = r.floats(e)
				case tag.HPICorrCoeff:
					hc.CorrCoeff, _, err = r.floats(e)
				case tag.HPICoilFreq:
					hc.CoilFreq, err = r.float64p(e)
				}
				if err != nil {
					return nil, err
				}
			}
			hm.Coils = append(hm.Coils, hc)
		}
		out = append(out, hm)
	}
	return out, nil
}

// julianEpoch is the julian day number of 1970-01-01.
const julianEpoch = 2440588

func julianToTime(jd int32) time.Time {
	return time.Unix((int64(jd)-julianEpoch)*86400, 0).UTC()
}

func timeToJulian(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d + julianEpoch
}

func (r *infoReader) subject(mi *tree.Node) (*SubjectInfo, error) {
	n := only(mi, tag.BlockSubject)
	if n == nil {
		return nil, nil
	}
	si := &SubjectInfo{}
	for _, e := range n.Entries {
		var err error
		switch e.Kind {
		case tag.SubjID:
			si.ID, err = r.int32p(e)
		case tag.SubjHisID:
			si.HisID, err = r.f.String(e)
		case tag.SubjLastName:
			si.LastName, err = r.f.String(e)
		case tag.SubjFirstName:
			si.FirstName, err = r.f.String(e)
		case tag.SubjMiddleName:
			si.MiddleName, err = r.f.String(e)
		case tag.SubjBirthDay:
			var jd int32
			if jd, err = r.int32v(e); err == nil {
				t := julianToTime(jd)
				si.BirthDay = &t
			}
		case tag.SubjSex:
			si.Sex, err = r.int32p(e)
		case tag.SubjHand:
			si.Hand, err = r.int32p(e)
		case tag.SubjWeight:
			si.Weight, err = r.float64p(e)
		case tag.SubjHeight:
			si.Height, err = r.float64p(e)
		}
		if err != nil {
			return nil, err
		}
	}
	return si, nil
}

func (r *infoReader) device(mi *tree.Node) (*DeviceInfo, error) {
	n := only(mi, tag.BlockDevice)
	if n == nil {
		return nil, nil
	}
	di := &DeviceInfo{}
	for _, e := range n.Entries {
		var err error
		switch e.Kind {
		case tag.DeviceType:
			di.Type, err = r.f.String(e)
		case tag.DeviceModel:
			di.Model, err = r.f.String(e)
		case tag.DeviceSerial:
			di.Serial, err = r.f.String(e)
		case tag.DeviceSite:
			di.Site, err = r.f.String(e)
		}
		if err != nil {
			return nil, err
		}
	}
	return di, nil
}

func (r *infoReader) helium(mi *tree.Node) (*HeliumInfo, error) {
	n := only(mi, tag.BlockHelium)
	if n == nil {
		return nil, nil
	}
	hi := &HeliumInfo{}
	for _, e := range n.Entries {
		var err error
		switch e.Kind {
		case tag.HeLevelRaw:
			hi.HeLevelRaw, err = r.float64p(e)
		case tag.GantryAngle:
			hi.GantryAngle, err = r.int32p(e)
		case tag.HeliumLevel:
			hi.HeliumLevel, err = r.float64p(e)
		case tag.OrigFileGUID:
			hi.OrigFileGUID, err = r.f.String(e)
		case tag.MeasDate:
			hi.MeasDate, err = r.stamp(e)
		}
		if err != nil {
			return nil, err
		}
	}
	return hi, nil
}

func (r *infoReader) hpiSubsystem(mi *tree.Node) (*HPISubsystem, error) {
	n := only(mi, tag.BlockHPISubsystem)
	if n == nil {
		return nil, nil
	}
	hs := &HPISubsystem{}
	for _, e := range n.Entries {
		var err error
		switch e.Kind {
		case tag.HPINCoil:
			hs.NCoil, err = r.int32p(e)
		case tag.EventChannel:
			hs.EventChannel, err = r.f.String(e)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, c := range n.Blocks(tag.BlockHPICoil) {
		var coil HPISubsystemCoil
		for _, e := range c.FindAll(tag.EventBits) {
			var err error
			if coil.EventBits, _, err = r.int32s(e); err != nil {
				return nil, err
			}
		}
		hs.Coils = append(hs.Coils, coil)
	}
	return hs, nil
}

// procHistory reads the records of the first processing history block
// anywhere in the file. Unknown tags of a record are ignored (MNE warns).
func (r *infoReader) procHistory(root *tree.Node) ([]ProcRecord, error) {
	ph := root.Blocks(tag.BlockProcessingHistory)
	if len(ph) == 0 {
		return nil, nil
	}
	var out []ProcRecord
	for _, n := range ph[0].Blocks(tag.BlockProcessingRecord) {
		var rec ProcRecord
		for _, e := range n.Entries {
			var err error
			switch e.Kind {
			case tag.ParentFileID:
				rec.ParentFileID, err = r.id(e)
			case tag.BlockID:
				rec.BlockID, err = r.id(e)
			case tag.ParentBlockID:
				rec.ParentBlockID, err = r.id(e)
			case tag.MeasDate:
				rec.Date, _, err = r.int32s(e)
			case tag.Experimenter:
				rec.Experimenter, err = r.f.String(e)
			case tag.Creator:
				rec.Creator, err = r.f.String(e)
			}
			if err != nil {
				return nil, err
			}
		}
		var err error
		if b := n.Blocks(tag.BlockSSSInfo); len(b) > 0 {
			if rec.MaxInfo.SSSInfo, err = r.sssInfo(b[0]); err != nil {
				return nil, err
			}
		}
		if b := n.Blocks(tag.BlockSSSStInfo); len(b) > 0 {
			if rec.MaxInfo.MaxST, err = r.maxST(b[0]); err != nil {
				return nil, err
			}
		}
		if b := n.Blocks(tag.BlockChannelDecoupler); len(b) > 0 {
			if rec.MaxInfo.SSSCTC, err = r.sssCTC(b[0]); err != nil {
				return nil, err
			}
		}
		if b := n.Blocks(tag.BlockSSSCal); len(b) > 0 {
			if rec.MaxInfo.SSSCal, err = r.sssCal(b[0]); err != nil {
				return nil, err
			}
		}
		rec.NIAS = len(n.Blocks(tag.BlockIAS))
		out = append(out, rec)
	}
	return out, nil
}

// sssInfo reads an FIFFB_SSS_INFO block; nil when it holds none of the
// known tags (MNE's empty dict). Repeated tags: the last wins.
func (r *infoReader) sssInfo(n *tree.Node) (*SSSInfo, error) {
	s := &SSSInfo{}
	found, err := readKnown(n, func(e tree.Entry) (bool, error) {
		var err error
		switch e.Kind {
		case tag.SSSJob:
			s.Job, err = r.int32p(e)
		case tag.SSSFrame:
			s.Frame, err = r.int32p(e)
		case tag.SSSOrigin:
			s.Origin, _, err = r.floats(e)
		case tag.SSSOrdIn:
			s.InOrder, err = r.int32p(e)
		case tag.SSSOrdOut:
			s.OutOrder, err = r.int32p(e)
		case tag.SSSNMag:
			s.NChan, err = r.int32p(e)
		case tag.SSSComponents:
			s.Components, _, err = r.int32s(e)
		case tag.SSSNFree:
			s.NFree, err = r.int32p(e)
		case tag.HPIFitGoodLimit:
			s.HPIGLimit, err = r.float64p(e)
		case tag.HPIFitDistLimit:
			s.HPIDistLimit, err = r.float64p(e)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil || !found {
		return nil, err
	}
	return s, nil
}

func (r *infoReader) maxST(n *tree.Node) (*MaxST, error) {
	s := &MaxST{}
	found, err := readKnown(n, func(e tree.Entry) (bool, error) {
		var err error
		switch e.Kind {
		case tag.SSSJob:
			s.Job, err = r.int32p(e)
		case tag.SSSStCorr:
			s.SubspCorr, err = r.float64p(e)
		case tag.SSSStLength:
			s.BufLen, err = r.float64p(e)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil || !found {
		return nil, err
	}
	return s, nil
}

func (r *infoReader) sssCTC(n *tree.Node) (*SSSCTC, error) {
	s := &SSSCTC{}
	found, err := readKnown(n, func(e tree.Entry) (bool, error) {
		var err error
		switch e.Kind {
		case tag.BlockID:
			s.BlockID, err = r.id(e)
		case tag.ParentBlockID:
			s.ParentBlockID, err = r.id(e)
		case tag.MeasDate:
			s.Date, _, err = r.int32s(e)
		case tag.Creator:
			s.Creator, err = r.f.String(e)
		case tag.DecouplerMatrix:
			var sp tag.Sparse
			if sp, err = r.f.Sparse(e); err == nil {
				s.Decoupler = &sp
			}
		case tag.ProjItemChNameList:
			var names []string
			if names, err = r.nameList(e); err == nil {
				// Cross-talk files can pad the last name with NULs and junk.
				if k := len(names) - 1; k >= 0 {
					for i := 0; i < len(names[k]); i++ {
						if names[k][i] == 0 {
							names[k] = names[k][:i]
							break
						}
					}
				}
				s.ChNames = names
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil || !found {
		return nil, err
	}
	return s, nil
}

func (r *infoReader) sssCal(n *tree.Node) (*SSSCal, error) {
	s := &SSSCal{}
	found, err := readKnown(n, func(e tree.Entry) (bool, error) {
		var err error
		switch e.Kind {
		case tag.SSSCalChans:
			s.CalChans, s.CalChansDims, err = r.int32s(e)
		case tag.SSSCalCorrs:
			s.CalCorrs, s.CalCorrsDims, err = r.floats(e)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil || !found {
		return nil, err
	}
	return s, nil
}

// readKnown calls field for every tag of n; field reports whether it knew
// the tag. The result says whether any tag was known: MNE reads a record
// holding none of its tags as an empty dict, which megflow keeps as nil.
func readKnown(n *tree.Node, field func(e tree.Entry) (known bool, err error)) (bool, error) {
	found := false
	for _, e := range n.Entries {
		known, err := field(e)
		if err != nil {
			return false, err
		}
		found = found || known
	}
	return found, nil
}
