package maxwell

import (
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/megflow/megflow/geom"
)

// Frame is the coordinate frame of the expansion origin.
type Frame int

const (
	// FrameHead expands about an origin in head coordinates; the sensors are
	// moved into the head frame with the device-to-head transform, which the
	// recording must have.
	FrameHead Frame = iota
	// FrameMEG expands about an origin in device coordinates (empty-room
	// recordings, MaxFilter's -frame device).
	FrameMEG
)

// String returns MNE's name of the frame ("head" or "meg").
func (f Frame) String() string {
	if f == FrameMEG {
		return "meg"
	}
	return "head"
}

// fiffFrame is the FIFF coordinate frame written in the SSS record.
func (f Frame) fiffFrame() int32 {
	if f == FrameMEG {
		return 1 // FIFFV_COORD_DEVICE
	}
	return 4 // FIFFV_COORD_HEAD
}

// ParseFrame reads "head" or "meg" ("device" is accepted for "meg").
func ParseFrame(s string) (Frame, error) {
	switch s {
	case "head", "":
		return FrameHead, nil
	case "meg", "device":
		return FrameMEG, nil
	}
	return 0, fmt.Errorf("maxwell: coordinate frame %q: want head or meg", s)
}

// BadCondition says what to do when the pseudo-inverse of the basis is
// badly conditioned (condition number >= 1000).
type BadCondition int

const (
	BadConditionError   BadCondition = iota // fail (MNE's default)
	BadConditionWarning                     // log a warning and go on
	BadConditionIgnore                      // go on silently
)

// ParseBadCondition reads error, warning (or warn), info or ignore.
func ParseBadCondition(s string) (BadCondition, error) {
	switch s {
	case "error", "":
		return BadConditionError, nil
	case "warning", "warn", "info":
		return BadConditionWarning, nil
	case "ignore":
		return BadConditionIgnore, nil
	}
	return 0, fmt.Errorf("maxwell: bad_condition %q: want error, warning or ignore", s)
}

// Options are the parameters of Maxwell filtering, with the meaning and
// defaults of MNE-Python's maxwell_filter (see DefaultOptions).
type Options struct {
	// Origin of the expansion in metres, in Frame coordinates; nil means
	// 'auto': the centre of a sphere fitted to the head digitization in the
	// head frame, (0, 0, 0) in the meg frame.
	Origin *geom.Vec3
	Frame  Frame
	// IntOrder and ExtOrder are the orders of the internal and external
	// expansions (8 and 3).
	IntOrder, ExtOrder int
	// RegularizeIn selects MaxFilter's 'in' regularization (default true);
	// false is regularize=None.
	RegularizeIn bool
	BadCondition BadCondition
	// Calibration is fine calibration (sss_cal.dat), nil for none.
	Calibration *FineCal
	// CrossTalk is cross-talk compensation (ct_sparse.fif), nil for none.
	CrossTalk *CrossTalk
	// STDuration > 0 selects temporal SSS with buffers of this many seconds.
	STDuration float64
	// STCorrelation is the subspace correlation limit of tSSS (0.98).
	STCorrelation float64
	// Destination, when not nil, is the device-to-head transform of the
	// head position the data are reconstructed at (head frame only).
	Destination *geom.Transform
	// MagScale scales magnetometers against gradiometers (100, as MNE).
	MagScale float64
	// ChunkSeconds is the length of the blocks filtered at a time without
	// tSSS (default 2 s; MNE uses 10 s): it changes memory use and speed
	// (cache use), not the result.
	ChunkSeconds float64
	// Creator is written as the creator of the processing record.
	Creator string
	// Logger receives progress and warnings (nil: none).
	Logger *slog.Logger
}

// DefaultOptions returns MNE's defaults: origin 'auto', head frame, orders
// 8 and 3, regularize='in', bad_condition='error', st_correlation 0.98,
// magnetometer scale 100.
func DefaultOptions() Options {
	return Options{
		Frame:         FrameHead,
		IntOrder:      8,
		ExtOrder:      3,
		RegularizeIn:  true,
		BadCondition:  BadConditionError,
		STCorrelation: 0.98,
		MagScale:      100,
		ChunkSeconds:  2,
		Creator:       "megflow",
	}
}

// Errors that callers may want to tell apart (wrapped with details).
var (
	// ErrAlreadyProcessed: the recording's processing history already holds
	// the SSS (or tSSS, fine-calibration, cross-talk) step requested.
	ErrAlreadyProcessed = errors.New("the Maxwell filtering step was already applied")
	// ErrNoDevHeadT: the head frame needs a device-to-head transform.
	ErrNoDevHeadT = errors.New(`coord_frame "head" needs the device-to-head transform (dev_head_t), which the recording does not have; for empty-room data use the meg frame`)
	// ErrTooManyComponents: the expansion has more moments than good MEG
	// channels.
	ErrTooManyComponents = errors.New("number of requested bases exceeds the number of good MEG channels")
	// ErrCalibrationMismatch: the fine-calibration or cross-talk file does
	// not cover the recording's MEG channels.
	ErrCalibrationMismatch = errors.New("calibration does not match the MEG channels")
	// ErrBadCondition: the basis is badly conditioned and BadCondition is
	// BadConditionError.
	ErrBadCondition = errors.New("matrix is badly conditioned")
)

func (o *Options) check() error {
	if o.IntOrder < 1 {
		return fmt.Errorf("maxwell: internal order %d must be at least 1", o.IntOrder)
	}
	if o.ExtOrder < 0 {
		return fmt.Errorf("maxwell: external order %d must not be negative", o.ExtOrder)
	}
	if o.IntOrder > 30 || o.ExtOrder > 30 {
		return fmt.Errorf("maxwell: orders %d/%d: %w", o.IntOrder, o.ExtOrder, ErrTooManyComponents)
	}
	if !(o.STCorrelation > 0 && o.STCorrelation <= 1) {
		return fmt.Errorf("maxwell: st_correlation %g must be in (0, 1]", o.STCorrelation)
	}
	if o.STDuration < 0 || math.IsNaN(o.STDuration) || math.IsInf(o.STDuration, 0) {
		return fmt.Errorf("maxwell: st_duration %g must be positive (0 for no tSSS)", o.STDuration)
	}
	if !(o.MagScale > 0) || math.IsInf(o.MagScale, 0) {
		return fmt.Errorf("maxwell: magnetometer scale %g must be positive", o.MagScale)
	}
	if o.Origin != nil {
		for _, v := range o.Origin {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("maxwell: origin %v is not finite", *o.Origin)
			}
		}
	}
	if o.Destination != nil && o.Frame != FrameHead {
		return fmt.Errorf("maxwell: a destination can only be used in the head coordinate frame")
	}
	if o.ChunkSeconds <= 0 {
		o.ChunkSeconds = 2
	}
	if o.Creator == "" {
		o.Creator = "megflow"
	}
	return nil
}

func (o *Options) log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
