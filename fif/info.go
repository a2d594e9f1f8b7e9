package fif

import (
	"time"

	"github.com/megflow/megflow/fif/tag"
)

// Channel describes one channel of a measurement (fiffChInfoRec), with
// float32 fields of the file widened to float64.
type Channel struct {
	Name       string
	ScanNo     int32
	LogNo      int32
	Kind       int32 // KindMEG, KindEEG, KindStim, ...
	Range      float64
	Cal        float64
	CoilType   int32
	Loc        [12]float64 // position, then the three axes of the coil frame
	Unit       int32
	UnitMul    int32
	CoordFrame int32 // derived from Kind as MNE does (device for MEG, head for EEG)
}

// Transform is a coordinate transformation between two frames as a 4x4
// matrix (row-major; last row 0 0 0 1).
type Transform struct {
	From, To int32
	M        [4][4]float64
}

// DigPoint is a digitized point (fiducial, HPI coil, EEG electrode or
// head-shape point).
type DigPoint struct {
	Kind       int32 // PointCardinal, PointHPI, PointEEG, PointExtra
	Ident      int32
	R          [3]float64
	CoordFrame int32
}

// Projector is an SSP projection item (one or more vectors over named
// channels).
type Projector struct {
	Kind         int32
	Desc         string
	Active       bool
	ExplainedVar float64  // NaN when absent
	RowNames     []string // usually empty
	ColNames     []string
	NVec         int
	Data         []float64 // NVec x len(ColNames), row-major
}

// CTFComp is a CTF (or KIT) compensation matrix (one FIFFB_MNE_CTF_COMP_DATA
// block).
type CTFComp struct {
	// Kind is the compensation kind exactly as stored (FIFF_MNE_CTF_COMP_KIND:
	// CTF's 'G1BR'-style codes or a plain grade); see Grade.
	Kind int32
	// SaveCalibrated is FIFF_MNE_CTF_COMP_CALIBRATED: true when Data is
	// stored in calibrated units.
	SaveCalibrated bool
	NRow, NCol     int
	RowNames       []string // NRow names (or none)
	ColNames       []string // NCol names (or none)
	// Data is the named matrix as stored in the file (NRow x NCol,
	// row-major), so that the values written back are the values read.
	// When SaveCalibrated is false MNE calibrates it on reading (rows times
	// their channel's range*cal, columns divided by theirs); CalibratedData
	// gives that matrix.
	Data []float64
}

// Grade returns the compensation grade MNE derives from Kind (CTF codes
// 'G1BR', 'G2BR', 'G3BR' give 1, 2, 3; other values are used as they are).
func (c CTFComp) Grade() int32 {
	switch uint32(c.Kind) {
	case 0x47314252:
		return 1
	case 0x47324252:
		return 2
	case 0x47334252:
		return 3
	}
	return c.Kind
}

// Optional scalar fields of the MaxFilter, HPI, subject and helium records
// below are pointers: nil means the tag was absent, which MNE keeps apart
// from a zero value (the key is missing from its dict). Optional arrays and
// strings are absent when nil or empty (MNE never writes an empty string).

// SSSInfo is MaxFilter's/MNE's record of a Maxwell filtering job
// (FIFFB_SSS_INFO).
type SSSInfo struct {
	Job          *int32
	Frame        *int32
	Origin       []float64 // normally 3 values, metres
	InOrder      *int32
	OutOrder     *int32
	NChan        *int32
	Components   []int32
	NFree        *int32
	HPIGLimit    *float64
	HPIDistLimit *float64
}

// SSSCTC is the cross-talk record of a Maxwell filtering job
// (FIFFB_CHANNEL_DECOUPLER).
type SSSCTC struct {
	BlockID       *tag.ID
	ParentBlockID *tag.ID
	Date          []int32
	Creator       string
	Decoupler     *tag.Sparse // coding (CCS or RCS) kept as stored
	ChNames       []string
}

// SSSCal is the fine-calibration record of a Maxwell filtering job
// (FIFFB_SSS_CAL).
type SSSCal struct {
	CalChans     []int32 // usually n x 2 (channel number, coil type), row-major
	CalChansDims []int
	CalCorrs     []float64 // usually n x 14, row-major
	CalCorrsDims []int
}

// MaxST is the temporal SSS (tSSS) record (FIFFB_SSS_ST_INFO).
type MaxST struct {
	Job       *int32
	SubspCorr *float64
	BufLen    *float64
}

// MaxInfo groups the MaxFilter records of one processing step; a nil
// member is a record MNE reads as an empty dict.
type MaxInfo struct {
	SSSInfo *SSSInfo
	SSSCTC  *SSSCTC
	SSSCal  *SSSCal
	MaxST   *MaxST
}

// ProcRecord is one entry of the processing history
// (FIFFB_PROCESSING_RECORD).
type ProcRecord struct {
	ParentFileID  *tag.ID
	BlockID       *tag.ID
	ParentBlockID *tag.ID
	Date          []int32 // seconds, microseconds
	Experimenter  string
	Creator       string
	MaxInfo       MaxInfo
	// NIAS is the number of (empty, as MNE reads them) FIFFB_IAS blocks.
	NIAS int
}

// HPICoil is one fitted HPI coil of an HPI measurement (FIFFB_HPI_COIL).
type HPICoil struct {
	Number    *int32
	Epoch     []float64 // dense matrix as stored, row-major (may be empty)
	EpochDims []int
	Slopes    []float64
	CorrCoeff []float64
	CoilFreq  *float64
}

// HPIMeas is an HPI measurement block (FIFFB_HPI_MEAS).
type HPIMeas struct {
	BlockID   *tag.ID
	ParentID  *tag.ID
	Creator   string
	SFreq     *float64
	NChan     *int32
	NAve      *int32
	NCoil     *int32
	FirstSamp *int32
	LastSamp  *int32
	Coils     []HPICoil
}

// HPIResult is an HPI fit result (FIFFB_HPI_RESULT), including the
// device-to-head transform fit.
type HPIResult struct {
	DigPoints   []DigPoint // coord frame unknown, as MNE reads them
	Order       []int32
	Used        []int32
	Moments     []float64 // n x 3, row-major
	MomentsDims []int
	Goodness    []float64
	GoodLimit   *float64
	DistLimit   *float64
	Accept      *int32
	CoordTrans  *Transform
}

// HPISubsystem describes the HPI hardware of the recording
// (FIFFB_HPI_SUBSYSTEM).
type HPISubsystem struct {
	NCoil        *int32
	EventChannel string
	Coils        []HPISubsystemCoil
}

// HPISubsystemCoil is one coil of the HPI subsystem.
type HPISubsystemCoil struct {
	EventBits []int32
}

// SubjectInfo holds the optional subject fields (FIFFB_SUBJECT).
type SubjectInfo struct {
	ID         *int32
	HisID      string
	LastName   string
	FirstName  string
	MiddleName string
	BirthDay   *time.Time // midnight UTC of the date; julian day on disk
	Sex        *int32
	Hand       *int32
	Weight     *float64
	Height     *float64
}

// DeviceInfo holds the optional device fields (FIFFB_DEVICE).
type DeviceInfo struct {
	Type, Model, Serial, Site string
}

// HeliumInfo holds the optional helium level fields (FIFFB_HELIUM).
type HeliumInfo struct {
	HeLevelRaw   *float64
	HeliumLevel  *float64
	GantryAngle  *int32
	OrigFileGUID string
	MeasDate     []int32 // seconds, microseconds
}

// EventSpec is an entry of the FIFFB_EVENTS block (trigger channel and
// the event list as acquisition recorded it); nil fields were absent.
type EventSpec struct {
	Channels []int32
	List     []int32
}

// Info is the measurement information of a recording (MNE's Info).
type Info struct {
	Chs      []Channel
	SFreq    float64
	Highpass float64 // 0 when the file has none (MNE's default)
	Lowpass  float64 // SFreq/2 when the file has none (MNE's default)
	LineFreq float64 // NaN when absent
	// MeasDate is the acquisition start (UTC); zero when anonymized away.
	MeasDate    time.Time
	HasMeasDate bool
	// MeasID identifies the measurement: the FIFF_PARENT_BLOCK_ID or
	// FIFF_BLOCK_ID of the measurement info block, else those of the
	// measurement block, else the file id (MNE's order of preference).
	MeasID   *tag.ID
	FileID   *tag.ID
	DevHeadT *Transform
	CTFHeadT *Transform
	DevCTFT  *Transform
	// Dig is nil when the file has no FIFFB_ISOTRAK block (MNE's None) and
	// empty but not nil when the block holds no points.
	Dig          []DigPoint
	Bads         []string
	Projs        []Projector
	Comps        []CTFComp
	ProcHistory  []ProcRecord
	HPIResults   []HPIResult
	HPIMeas      []HPIMeas
	HPISubsystem *HPISubsystem
	Subject      *SubjectInfo
	Device       *DeviceInfo
	Helium       *HeliumInfo
	Events       []EventSpec
	Experimenter string
	Description  string
	ProjID       *int32
	ProjName     string
	// XPlotterLayout, KitSystemID and CustomRefApplied are MNE's
	// xplotter_layout, kit_system_id and custom_ref_applied.
	XPlotterLayout   string
	KitSystemID      *int32
	CustomRefApplied int32
	GantryAngle      float64 // degrees; NaN when absent
	UTCOffset        string
	// AcqPars and AcqStim are the acquisition parameter texts of the
	// FIFFB_DACQ_PARS block (MNE's acq_pars and acq_stim).
	AcqPars string
	AcqStim string
	// CrossTalk and FineCalibration are the first cross-talk
	// (FIFFB_CHANNEL_DECOUPLER) and fine-calibration (FIFFB_SSS_CAL)
	// records anywhere in the file, as recent MNE versions keep them in
	// info["cross_talk"] and info["fine_calibration"]; nil when absent.
	CrossTalk       *SSSCTC
	FineCalibration *SSSCal
	// DataType of the raw buffers (tag.Short, tag.Int, tag.Float,
	// tag.Double, tag.DauPack16, ...): ReadInfo sets it from the
	// FIFF_DATA_PACK tag of the info block when there is one (0 otherwise);
	// raw readers may refine it from the buffers themselves.
	DataType tag.Type
}

// ChNames returns the channel names in order.
func (in *Info) ChNames() []string {
	out := make([]string, len(in.Chs))
	for i, c := range in.Chs {
		out[i] = c.Name
	}
	return out
}

// NChan returns the number of channels.
func (in *Info) NChan() int { return len(in.Chs) }

// ChIndex returns the index of the named channel, or -1.
func (in *Info) ChIndex(name string) int {
	for i, c := range in.Chs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// IsBad reports whether the named channel is marked bad.
func (in *Info) IsBad(name string) bool {
	for _, b := range in.Bads {
		if b == name {
			return true
		}
	}
	return false
}
