package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/geom"
)

// Sensor array constants (device coordinates, metres).
var (
	helmetAxes  = geom.Vec3{0.105, 0.12, 0.095} // half axes of the helmet surface
	devHeadMove = geom.Vec3{0.002, -0.006, 0.055}
	devHeadRotX = 4.0 // degrees, rotation of the device about the head's x axis
)

const (
	nSites     = 102
	calMag     = 1e-15 // T per stored unit ("short" format)
	calGrad    = 2e-13 // T/m per stored unit
	calBio     = 1e-7  // V per stored unit (EOG, ECG)
	gradBase   = 0.0168
	coilNoneEO = 5   // coil type of EOG/ECG channels in Neuromag files
	scalpMM    = 9.0 // thickness of skull and scalp over the inner skull (mm)
	flatBad    = "MEG1512"
	noisyBad   = "MEG0731"
)

// siteCodes returns the 102 three-digit Neuromag site codes: sections 01–26
// with four sites each, except section 08 which has two.
func siteCodes() []int {
	var out []int
	for s := 1; s <= 26; s++ {
		n := 4
		if s == 8 {
			n = 2
		}
		for k := 1; k <= n; k++ {
			out = append(out, 10*s+k)
		}
	}
	return out
}

// helmetSites places nSites sensor sites on the helmet: a Fibonacci lattice
// over the part of the ellipsoid above the equator (down to 20° below it at
// the back and sides, 10° above it in front of the face). It returns the
// positions and outward normals in device coordinates.
func helmetSites() ([]geom.Vec3, []geom.Vec3) {
	keep := func(u geom.Vec3) bool {
		polar := math.Acos(u[2]) * 180 / math.Pi
		lim := 110.0
		if u[1] > 0.3 { // front: spare the face
			lim = 80
		}
		return polar <= lim
	}
	var dirs []geom.Vec3
	for n := nSites; n < 10*nSites; n++ {
		dirs = dirs[:0]
		ga := math.Pi * (3 - math.Sqrt(5))
		for i := range n {
			z := 1 - (float64(i)+0.5)/float64(n)*2
			r := math.Sqrt(1 - z*z)
			u := geom.Vec3{r * math.Cos(ga*float64(i)), r * math.Sin(ga*float64(i)), z}
			if keep(u) {
				dirs = append(dirs, u)
			}
		}
		if len(dirs) >= nSites {
			dirs = dirs[:nSites]
			break
		}
	}
	pos := make([]geom.Vec3, len(dirs))
	nrm := make([]geom.Vec3, len(dirs))
	a := helmetAxes
	for i, u := range dirs {
		p := geom.Vec3{a[0] * u[0], a[1] * u[1], a[2] * u[2]}
		pos[i] = p
		nrm[i] = geom.Vec3{p[0] / (a[0] * a[0]), p[1] / (a[1] * a[1]), p[2] / (a[2] * a[2])}.Unit()
	}
	return pos, nrm
}

// coilFrame returns tangential axes ex, ey for the outward normal ez.
func coilFrame(ez geom.Vec3) (geom.Vec3, geom.Vec3) {
	ex := geom.Vec3{0, 0, 1}.Cross(ez)
	if ex.Norm() < 1e-6 {
		ex = geom.Vec3{1, 0, 0}
	}
	ex = ex.Unit()
	return ex, ez.Cross(ex).Unit()
}

func makeLoc(p, ex, ey, ez geom.Vec3) [12]float64 {
	var l [12]float64
	copy(l[0:3], p[:])
	copy(l[3:6], ex[:])
	copy(l[6:9], ey[:])
	copy(l[9:12], ez[:])
	return l
}

// devHeadTransform is the device -> head transformation.
func devHeadTransform() *fif.Transform {
	th := devHeadRotX * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	return &fif.Transform{From: fif.FrameDevice, To: fif.FrameHead, M: [4][4]float64{
		{1, 0, 0, devHeadMove[0]},
		{0, c, -s, devHeadMove[1]},
		{0, s, c, devHeadMove[2]},
		{0, 0, 0, 1},
	}}
}

// makeInfo builds the measurement info of a run: 306 MEG channels in
// Neuromag order (per site: gradiometers xxx3 and xxx2, magnetometer xxx1),
// EOG061, EOG062, ECG063 and STI101; device -> head transformation, head
// digitization, bads and measurement date.
func makeInfo(sfreq float64, run int, seed uint64, a *anatomy) *fif.Info {
	pos, nrm := helmetSites()
	codes := siteCodes()
	var chs []fif.Channel
	add := func(c fif.Channel) {
		c.ScanNo = int32(len(chs) + 1)
		c.Range = 1
		chs = append(chs, c)
	}
	for i, code := range codes {
		ex, ey := coilFrame(nrm[i])
		ez := nrm[i]
		add(fif.Channel{Name: fmt.Sprintf("MEG%03d3", code), LogNo: int32(code*10 + 3), Kind: fif.KindMEG,
			Cal: calGrad, CoilType: fif.CoilVVPlanarT1, Loc: makeLoc(pos[i], ex, ey, ez), Unit: fif.UnitTM, CoordFrame: fif.FrameDevice})
		add(fif.Channel{Name: fmt.Sprintf("MEG%03d2", code), LogNo: int32(code*10 + 2), Kind: fif.KindMEG,
			Cal: calGrad, CoilType: fif.CoilVVPlanarT1, Loc: makeLoc(pos[i], ey, ex.Scale(-1), ez), Unit: fif.UnitTM, CoordFrame: fif.FrameDevice})
		add(fif.Channel{Name: fmt.Sprintf("MEG%03d1", code), LogNo: int32(code*10 + 1), Kind: fif.KindMEG,
			Cal: calMag, CoilType: fif.CoilVVMagT3, Loc: makeLoc(pos[i], ex, ey, ez), Unit: fif.UnitT, CoordFrame: fif.FrameDevice})
	}
	ident := [12]float64{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}
	add(fif.Channel{Name: "EOG061", LogNo: 61, Kind: fif.KindEOG, Cal: calBio, CoilType: coilNoneEO, Loc: ident, Unit: fif.UnitV})
	add(fif.Channel{Name: "EOG062", LogNo: 62, Kind: fif.KindEOG, Cal: calBio, CoilType: coilNoneEO, Loc: ident, Unit: fif.UnitV})
	add(fif.Channel{Name: "ECG063", LogNo: 63, Kind: fif.KindECG, Cal: calBio, CoilType: coilNoneEO, Loc: ident, Unit: fif.UnitV})
	add(fif.Channel{Name: "STI101", LogNo: 101, Kind: fif.KindStim, Cal: 1, CoilType: fif.CoilNone, Loc: ident, Unit: fif.UnitV})

	date := time.Date(2015, 4, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(run) * 10 * time.Minute)
	mid := &tag.ID{Version: 0x00010003, MachID: [2]int32{int32(seed & 0x7fffffff), int32(run + 1)}, Secs: int32(date.Unix())}
	rng := rand.New(rand.NewPCG(seed, 0x6469670000000000)) // same digitization for every run
	return &fif.Info{
		Chs:         chs,
		SFreq:       sfreq,
		Highpass:    0,
		Lowpass:     sfreq / 2,
		LineFreq:    50,
		MeasDate:    date,
		HasMeasDate: true,
		MeasID:      mid,
		DevHeadT:    devHeadTransform(),
		Dig:         makeDig(rng, a),
		Bads:        []string{flatBad, noisyBad},
		Description: "megflow simulate: synthetic face-recognition study",
		Device:      &fif.DeviceInfo{Type: "simulated Neuromag-306", Model: "megflow simulate"},
		DataType:    tag.Short,
	}
}

// scalpPoint maps a unit direction to the scalp: the inner-skull
// superellipsoid grown by scalpMM, in head coordinates (m).
func scalpPoint(a *anatomy, u geom.Vec3) geom.Vec3 {
	ax := a.skullAxes.Add(geom.Vec3{scalpMM, scalpMM, scalpMM})
	rho, _ := skullRho(geom.Vec3{1, 1, 1}, u)
	return brainCentre.Add(geom.Vec3{ax[0] * u[0], ax[1] * u[1], ax[2] * u[2]}.Scale(1 / rho)).Scale(1e-3)
}

// makeDig returns the head digitization (head coordinates): LPA, nasion,
// RPA, four HPI coils and 100 head-shape points on the upper scalp.
func makeDig(rng *rand.Rand, a *anatomy) []fif.DigPoint {
	pt := func(kind, id int32, r geom.Vec3) fif.DigPoint {
		return fif.DigPoint{Kind: kind, Ident: id, R: r, CoordFrame: fif.FrameHead}
	}
	dig := []fif.DigPoint{
		pt(fif.PointCardinal, fif.PointLPA, geom.Vec3{-0.078, 0, 0}),
		pt(fif.PointCardinal, fif.PointNasion, geom.Vec3{0, 0.102, 0}),
		pt(fif.PointCardinal, fif.PointRPA, geom.Vec3{0.078, 0, 0}),
	}
	hpi := []geom.Vec3{{-0.5, 0.6, 0.5}, {0.5, 0.6, 0.5}, {-0.6, -0.3, 0.75}, {0.6, -0.3, 0.75}}
	for i, u := range hpi {
		dig = append(dig, pt(fif.PointHPI, int32(i+1), scalpPoint(a, u.Unit())))
	}
	for i := 0; i < 100; {
		u := randUnit(rng)
		if u[2] < -0.1 || (u[1] > 0.5 && u[2] < 0.1) {
			continue
		}
		p := scalpPoint(a, u).Add(geom.Vec3{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}.Scale(0.0015))
		dig = append(dig, pt(fif.PointExtra, int32(i+1), p))
		i++
	}
	return dig
}

// megSensors are the MEG channels' positions and axes in head coordinates,
// used for the analytic external fields (line noise, drift, eye and heart
// dipoles).
type megSensors struct {
	pos, ex, ez []geom.Vec3
	mag         []bool
}

func headSensors(info *fif.Info) *megSensors {
	t := geom.Transform(info.DevHeadT.M)
	s := &megSensors{}
	for _, c := range info.Chs {
		if c.Kind != fif.KindMEG {
			continue
		}
		l := c.Loc
		s.pos = append(s.pos, t.Apply(geom.Vec3{l[0], l[1], l[2]}))
		s.ex = append(s.ex, t.ApplyDir(geom.Vec3{l[3], l[4], l[5]}))
		s.ez = append(s.ez, t.ApplyDir(geom.Vec3{l[9], l[10], l[11]}))
		s.mag = append(s.mag, c.CoilType == fif.CoilVVMagT3)
	}
	return s
}

// dipoleField returns the free-space field (T) at r of a magnetic dipole m
// (A·m²) at r0.
func dipoleField(r, r0, m geom.Vec3) geom.Vec3 {
	d := r.Sub(r0)
	n := d.Norm()
	u := d.Scale(1 / n)
	return u.Scale(3 * m.Dot(u)).Sub(m).Scale(1e-7 / (n * n * n))
}

// fieldTopo returns what the MEG sensors read of the field B(r): the
// normal component for magnetometers, its difference along ex over the
// gradiometer baseline for planar gradiometers.
func (s *megSensors) fieldTopo(b func(geom.Vec3) geom.Vec3) []float64 {
	out := make([]float64, len(s.pos))
	for i, p := range s.pos {
		if s.mag[i] {
			out[i] = b(p).Dot(s.ez[i])
			continue
		}
		h := s.ex[i].Scale(gradBase / 2)
		out[i] = (b(p.Add(h)).Dot(s.ez[i]) - b(p.Sub(h)).Dot(s.ez[i])) / gradBase
	}
	return out
}
