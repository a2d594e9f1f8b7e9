package maxwell

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/coils"
)

// sensors describes the MEG channels of a recording as Maxwell filtering
// sees them.
type sensors struct {
	info      *fif.Info // copy of the input info with fixed coil types and fine-cal orientations
	meg       []int     // indices of the MEG channels in info
	names     []string  // their names
	good, bad []int     // positions within meg
	grad, mag []int     // positions within meg
	isMag     []bool    // per MEG channel: magnetometer (unit T)
	coilScale []float64 // per MEG channel: MagScale for magnetometers, 1 otherwise
	magOrFine bool      // some channel is a magnetometer, or fine calibration is used
	pts       *coilPoints
	cal       *calData // nil without fine calibration
}

// calData is fine calibration prepared for the basis: point
// magnetometers at the gradiometers (one set per imbalance direction) and
// the magnetometer calibration coefficients.
type calData struct {
	gradPts []*coilPoints // x, y, z point magnetometers at the gradiometers
	gradImb [][]float64   // [direction][gradiometer]
	magCal  []float64     // per magnetometer
	record  fif.SSSCal
	shift   [3]float64 // mean, std, max angle change (degrees), for the log
	unused  []string   // channels of the file not in the recording
}

func cloneInfo(in *fif.Info) *fif.Info {
	out := *in
	out.Chs = slices.Clone(in.Chs)
	out.Bads = slices.Clone(in.Bads)
	out.Projs = slices.Clone(in.Projs)
	out.ProcHistory = slices.Clone(in.ProcHistory)
	return &out
}

// newSensors picks the MEG channels (reference channels included, as MNE
// with ignore_ref=False), fixes old magnetometer coil types, applies fine
// calibration and builds the coil integration points in the device frame.
func newSensors(in *fif.Info, opt *Options) (*sensors, error) {
	s := &sensors{info: cloneInfo(in)}
	info := s.info
	for i, c := range info.Chs {
		if c.Kind == fif.KindMEG || c.Kind == fif.KindRefMEG {
			s.meg = append(s.meg, i)
		}
	}
	if len(s.meg) == 0 {
		return nil, fmt.Errorf("maxwell: the recording has no MEG channels")
	}
	// Vectorview T1/T2 magnetometer types with a T3 calibration are
	// really T3 (MNE's fix_mag_coil_types(use_cal=True)).
	for _, i := range s.meg {
		c := &info.Chs[i]
		if fif.ChannelType(*c) == "mag" && (c.CoilType == fif.CoilVVMagT1 || c.CoilType == fif.CoilVVMagT2) && c.Cal > 3e-11 {
			c.CoilType = fif.CoilVVMagT3
		}
	}
	bads := make(map[string]bool, len(info.Bads))
	for _, b := range info.Bads {
		bads[b] = true
	}
	s.isMag = make([]bool, len(s.meg))
	s.coilScale = make([]float64, len(s.meg))
	for k, i := range s.meg {
		c := info.Chs[i]
		s.names = append(s.names, c.Name)
		if bads[c.Name] {
			s.bad = append(s.bad, k)
		} else {
			s.good = append(s.good, k)
		}
		s.coilScale[k] = 1
		switch fif.ChannelType(c) {
		case "mag":
			s.mag = append(s.mag, k)
			s.isMag[k] = true
			s.coilScale[k] = opt.MagScale
		case "grad":
			s.grad = append(s.grad, k)
		default:
			if c.Kind == fif.KindRefMEG {
				return nil, fmt.Errorf("maxwell: reference channel %s (coil type %d) is not supported: megflow filters Neuromag/Elekta/MEGIN data", c.Name, c.CoilType)
			}
			return nil, fmt.Errorf("maxwell: MEG channel %s has unit %d, neither T (magnetometer) nor T/m (gradiometer)", c.Name, c.Unit)
		}
	}
	nBases := nMoments(opt.IntOrder) + nMoments(opt.ExtOrder)
	if nBases > len(s.good) {
		return nil, fmt.Errorf("maxwell: %d moments (int_order %d, ext_order %d) but only %d good MEG channels: %w",
			nBases, opt.IntOrder, opt.ExtOrder, len(s.good), ErrTooManyComponents)
	}
	s.magOrFine = len(s.mag) > 0
	if opt.Calibration != nil {
		cal, err := s.applyFineCal(opt.Calibration, opt.MagScale)
		if err != nil {
			return nil, err
		}
		s.cal = cal
		s.magOrFine = true
	}
	pts, err := s.coilPoints(nil, false, 2)
	if err != nil {
		return nil, err
	}
	s.pts = pts
	return s, nil
}

// coilPoints builds the 'accurate' integration points of the MEG channels
// listed in which (positions within meg; nil: all) in the device frame.
// With point set, every coil is a point magnetometer whose normal is axis
// dir (0, 1, 2: x, y, z) of the channel's coil frame.
func (s *sensors) coilPoints(which []int, point bool, dir int) (*coilPoints, error) {
	if which == nil {
		which = make([]int, len(s.meg))
		for k := range which {
			which[k] = k
		}
	}
	out := &coilPoints{start: []int{0}}
	for _, k := range which {
		c := s.info.Chs[s.meg[k]]
		loc := c.Loc
		coilType := c.CoilType
		if point {
			coilType = coils.TypePointMagnetometer
			// The point magnetometer's normal is the z axis of its frame:
			// swap the wanted axis into z.
			if dir != 2 {
				for i := range 3 {
					loc[3+3*dir+i], loc[9+i] = loc[9+i], loc[3+3*dir+i]
				}
			}
		}
		def, err := coils.Lookup(coilType, coils.AccuracyAccurate)
		if err != nil {
			return nil, fmt.Errorf("maxwell: channel %s: %w", c.Name, err)
		}
		r, nrm := def.Place(geom.CoilTransform(loc))
		for i := range r {
			out.r = append(out.r, r[i])
			out.wn = append(out.wn, nrm[i].Scale(def.Points[i].W))
		}
		out.start = append(out.start, len(out.r))
	}
	return out, nil
}

// applyFineCal replaces the coil orientations by the calibrated ones and
// prepares the imbalance and calibration terms (MNE's
// _update_sensor_geometry).
func (s *sensors) applyFineCal(fc *FineCal, magScale float64) (*calData, error) {
	info := s.info
	clean := make([]string, len(info.Chs))
	pos := make(map[string]int, len(info.Chs))
	for i, c := range info.Chs {
		clean[i] = cleanName(c.Name)
		if _, dup := pos[clean[i]]; !dup {
			pos[clean[i]] = i
		}
	}
	// Channel of the info -> line of the file, in file order.
	infoToCal := map[int]int{}
	var order []int
	var notInData []string
	for ci, name := range fc.Names {
		oi, ok := pos[name]
		if !ok {
			notInData = append(notInData, name)
			continue
		}
		if _, seen := infoToCal[oi]; !seen {
			order = append(order, oi)
		}
		infoToCal[oi] = ci
	}
	if len(infoToCal) != len(s.meg) {
		have := make(map[string]bool, len(fc.Names))
		for _, n := range fc.Names {
			have[n] = true
		}
		var missing []string
		for _, i := range s.meg {
			if !have[clean[i]] {
				missing = append(missing, clean[i])
			}
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("maxwell: fine calibration %s: not all MEG channels are in the file, missing %s: %w",
			fc.Name, strings.Join(missing, ", "), ErrCalibrationMismatch)
	}
	cal := &calData{}
	lineOf := func(k int) (int, error) {
		ci, ok := infoToCal[s.meg[k]]
		if !ok {
			return 0, fmt.Errorf("maxwell: fine calibration %s has no line for %s: %w", fc.Name, s.names[k], ErrCalibrationMismatch)
		}
		return ci, nil
	}
	nTypes := -1
	for _, k := range s.grad {
		ci, err := lineOf(k)
		if err != nil {
			return nil, err
		}
		n := len(fc.Imb[ci])
		if nTypes >= 0 && n != nTypes {
			return nil, fmt.Errorf("maxwell: fine calibration %s mixes 1 and 3 imbalance terms among gradiometers: %w", fc.Name, ErrCalibrationMismatch)
		}
		nTypes = n
	}
	if nTypes < 0 {
		nTypes = 0
	}
	if nTypes != 0 && nTypes != 1 && nTypes != 3 {
		return nil, fmt.Errorf("maxwell: fine calibration %s: must have 1 (x) or 3 (x, y, z) point-like magnetometers, have %d", fc.Name, nTypes)
	}
	cal.gradImb = make([][]float64, nTypes)
	for d := range nTypes {
		cal.gradImb[d] = make([]float64, len(s.grad))
		for g, k := range s.grad {
			ci, _ := lineOf(k)
			cal.gradImb[d][g] = fc.Imb[ci][d]
		}
	}
	for _, k := range s.mag {
		ci, err := lineOf(k)
		if err != nil {
			return nil, err
		}
		if len(fc.Imb[ci]) != 1 {
			return nil, fmt.Errorf("maxwell: fine calibration %s: magnetometer %s has %d calibration terms, want 1: %w", fc.Name, s.names[k], len(fc.Imb[ci]), ErrCalibrationMismatch)
		}
		cal.magCal = append(cal.magCal, fc.Imb[ci][0])
	}
	// Point magnetometers at the gradiometers, oriented along x, y, z of
	// each gradiometer's original (uncalibrated) frame.
	for d := range nTypes {
		pts, err := s.coilPoints(s.grad, true, d)
		if err != nil {
			return nil, err
		}
		cal.gradPts = append(cal.gradPts, pts)
	}

	// Replace the orientations, keeping positions; record the corrections.
	isGrad := make(map[int]bool, len(s.grad))
	for _, k := range s.grad {
		isGrad[s.meg[k]] = true
	}
	var angles []float64
	for _, oi := range order {
		ci := infoToCal[oi]
		ch := &info.Chs[oi]
		num, err := channelNumber(fc.Names[ci])
		if err != nil {
			return nil, fmt.Errorf("maxwell: fine calibration %s: %w", fc.Name, err)
		}
		cal.record.CalChans = append(cal.record.CalChans, num, ch.CoilType)
		chRot := geom.CoilTransform(ch.Loc).Rotation()
		calLoc := fc.Locs[ci]
		calRot := geom.CoilTransform(calLoc).Rotation()
		ez := calRot.Col(2)
		if math.Max(math.Abs(calRot.Col(0).Dot(ez)), math.Abs(calRot.Col(1).Dot(ez))) > 1e-6 {
			// Only ez was calibrated: rotate the original frame onto it.
			rot := geom.RotationBetween(chRot.Col(2), ez)
			nr := rot.Mul(chRot)
			for j := range 3 {
				for i := range 3 {
					calLoc[3+3*j+i] = nr[i][j]
				}
			}
		}
		v1 := geom.CoilTransform(calLoc).Rotation()
		for j := range 3 {
			a, b := v1.Col(j).Unit(), chRot.Col(j).Unit()
			angles = append(angles, math.Acos(math.Max(-1, math.Min(1, a.Dot(b))))*180/math.Pi)
		}
		extra := [2]float64{fc.Imb[ci][0], 0}
		if isGrad[oi] {
			extra = [2]float64{1, fc.Imb[ci][0]}
		}
		cal.record.CalCorrs = append(cal.record.CalCorrs, extra[0], extra[1])
		cal.record.CalCorrs = append(cal.record.CalCorrs, calLoc[:]...)
		copy(ch.Loc[3:], calLoc[3:])
	}
	n := len(order)
	cal.record.CalChansDims = []int{n, 2}
	cal.record.CalCorrsDims = []int{n, 14}
	if len(angles) > 0 {
		mean, sq, mx := 0.0, 0.0, 0.0
		for _, a := range angles {
			mean += a
			mx = math.Max(mx, math.Abs(a))
		}
		mean /= float64(len(angles))
		for _, a := range angles {
			sq += (a - mean) * (a - mean)
		}
		cal.shift = [3]float64{mean, math.Sqrt(sq / float64(len(angles))), mx}
	}
	cal.unused = notInData
	return cal, nil
}

// channelNumber turns "MEG0113" into 113 (MNE: int(name.lstrip('MEG').lstrip('0'))).
func channelNumber(name string) (int32, error) {
	s := strings.TrimLeft(strings.TrimLeft(name, "MEG"), "0")
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("cannot take a channel number from %q", name)
	}
	return int32(v), nil
}
