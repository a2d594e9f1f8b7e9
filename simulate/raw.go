package simulate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
)

// Noise levels.
const (
	whiteMag      = 50e-15 // T, white sensor noise of magnetometers
	whiteGrad     = 5e-12  // T/m, of gradiometers (50 fT/cm)
	whiteBio      = 3e-6   // V, of EOG and ECG
	noisyFactor   = 10.0   // white noise multiplier of the noisy channel
	brainNoiseFT  = 80.0   // rms of the brain noise on magnetometers (fT)
	brainNoiseN   = 40     // number of brain-noise dipoles
	brainNoiseHz  = 8.0    // corner frequency of their AR(1) time courses
	line50FT      = 1000.0 // peak of the 50 Hz field on magnetometers (fT)
	line100FT     = 300.0  // 100 Hz
	driftFT       = 1500.0 // slow drift
	blinkFT       = 1500.0 // peak blink field on magnetometers
	blinkEOG      = 200e-6 // V on EOG062 (vertical)
	blinkEOGH     = 30e-6  // V on EOG061
	blinkRate     = 0.2    // blinks per second
	blinkDur      = 0.30   // s
	heartFT       = 400.0  // R-peak field on magnetometers
	heartECG      = 1e-3   // V, R peak on ECG063
	heartRR       = 0.9    // s, mean R-R interval
	pulseSeconds  = 0.030  // trigger pulse length
	firstOnset    = 2.0    // s, first trigger after the start of a run
	soaMin        = 1.4    // s
	soaMax        = 1.6    // s
	tailSeconds   = 2.0    // s after the last epoch (0.8 s)
	epochEnd      = 0.8    // s
	firstSampSecs = 12.5   // first_samp of every run, in seconds
	highBitLen    = 0.05   // s, typical length of a high-bit segment
)

// highBit is a segment [Start, Stop) (absolute samples) where Value is
// added to STI101.
type highBit struct {
	Start, Stop int64
	Value       int32
}

// runSource generates one run sample by sample, as a fif.RawSource. The
// random numbers are drawn in sample order, so the data do not depend on
// the block sizes the reader asks for.
type runSource struct {
	info      *fif.Info
	firstSamp int64
	nTimes    int64
	seed      [2]uint64

	nMEG, iEOGH, iEOGV, iECG, iSTI int
	flat, noisy                    int
	whiteSD                        []float64

	trials  []*trial
	comps   []*component
	topo    [][][]float64 // [trial][component][MEG channel] field of the trial's moments
	bnTopo  [][]float64   // [dipole][MEG channel]
	bnPhi   float64
	line    [2][2][]float64 // [50/100 Hz][cos/sin][MEG]
	drift   [][]float64     // [component][MEG]
	driftF  []float64
	driftP  []float64
	blink   []float64 // blink topography
	blinks  []int64   // blink starts (relative samples)
	heart   []float64 // heart topography
	beats   []int64   // R peaks (relative samples)
	highs   []highBit
	onProg  func(n int64)
	ctx     context.Context
	nextT   int64
	rng     *rand.Rand
	bnState []float64
}

func (r *runSource) RawInfo() *fif.Info  { return r.info }
func (r *runSource) RawFirstSamp() int64 { return r.firstSamp }
func (r *runSource) RawNTimes() int64    { return r.nTimes }

func (r *runSource) reset() {
	r.rng = rand.New(rand.NewPCG(r.seed[0], r.seed[1]))
	r.bnState = make([]float64, len(r.bnTopo))
	for i := range r.bnState {
		r.bnState[i] = r.rng.NormFloat64()
	}
	r.nextT = 0
}

// ReadAll fills dst (channel-major) with samples [start, stop) of the run.
func (r *runSource) ReadAll(dst []float64, start, stop int64) error {
	n := int(stop - start)
	nch := len(r.info.Chs)
	if start < 0 || stop > r.nTimes || n < 0 || len(dst) < nch*n {
		return fmt.Errorf("simulate: read samples %d..%d of %d (buffer %d)", start, stop, r.nTimes, len(dst))
	}
	if r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	if r.rng == nil || start < r.nextT {
		r.reset()
	}
	col := make([]float64, nch)
	for r.nextT < start {
		r.sample(r.nextT, col)
		r.nextT++
	}
	for i := range n {
		r.sample(start+int64(i), col)
		for ch := range nch {
			dst[ch*n+i] = col[ch]
		}
	}
	r.nextT = stop
	if r.onProg != nil {
		r.onProg(int64(n))
	}
	return nil
}

// sample computes all channels at relative sample t into col.
func (r *runSource) sample(t int64, col []float64) {
	sf := r.info.SFreq
	ts := float64(t) / sf
	rng := r.rng
	for i := range col {
		col[i] = 0
	}
	meg := col[:r.nMEG]
	// Brain noise: AR(1) dipoles.
	innov := math.Sqrt(1 - r.bnPhi*r.bnPhi)
	for k, tp := range r.bnTopo {
		r.bnState[k] = r.bnPhi*r.bnState[k] + innov*rng.NormFloat64()
		axpy(meg, r.bnState[k], tp)
	}
	// White noise (all channels but STI101).
	for ch := range r.iSTI {
		col[ch] += r.whiteSD[ch] * rng.NormFloat64()
	}
	// Evoked responses.
	for ti, tr := range r.trials {
		rel := float64(t-(tr.sample-r.firstSamp)) / sf
		if rel < -0.1 || rel > 1.0 {
			continue
		}
		for k, c := range r.comps {
			d := (rel - tr.latency[k]) / c.Width
			if d < -6 || d > 6 {
				continue
			}
			axpy(meg, math.Exp(-0.5*d*d), r.topo[ti][k])
		}
	}
	// Line noise and drift (external fields).
	for f, hz := range [2]float64{50, 100} {
		ph := 2 * math.Pi * hz * ts
		axpy(meg, math.Cos(ph), r.line[f][0])
		axpy(meg, math.Sin(ph), r.line[f][1])
	}
	for j, tp := range r.drift {
		axpy(meg, math.Sin(2*math.Pi*r.driftF[j]*ts+r.driftP[j]), tp)
	}
	// Blinks: Hann-shaped, on EOG and frontal sensors.
	nb := int64(blinkDur * sf)
	for _, b := range r.blinks {
		if t >= b && t < b+nb {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(t-b)/float64(nb))
			axpy(meg, w, r.blink)
			col[r.iEOGV] += blinkEOG * w
			col[r.iEOGH] += blinkEOGH * w
		}
	}
	// Heartbeats: QRS complex and T wave.
	for _, b := range r.beats {
		d := float64(t-b) / sf
		if d < -0.1 || d > 0.5 {
			continue
		}
		qrs := math.Exp(-0.5*sq(d/0.010)) - 0.15*math.Exp(-0.5*sq((d+0.025)/0.008)) - 0.25*math.Exp(-0.5*sq((d-0.025)/0.008))
		tw := 0.25 * math.Exp(-0.5*sq((d-0.25)/0.04))
		col[r.iECG] += heartECG * (qrs + tw)
		axpy(meg, qrs+0.5*tw, r.heart)
	}
	// Bad channels.
	col[r.flat] = 0
	// Trigger channel.
	abs := t + r.firstSamp
	np := int64(math.Round(pulseSeconds * sf))
	var sti int32
	for _, tr := range r.trials {
		if abs >= tr.sample && abs < tr.sample+np {
			sti += tr.code
		}
	}
	for _, h := range r.highs {
		if abs >= h.Start && abs < h.Stop {
			sti += h.Value
		}
	}
	col[r.iSTI] = float64(sti)
}

func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// scaleToMag scales a topography so that its largest magnetometer value
// is peak (T) and returns it.
func scaleToMag(topo []float64, mag []bool, peak float64) []float64 {
	m := maxMag(topo, mag)
	if m == 0 {
		return topo
	}
	for i := range topo {
		topo[i] *= peak / m
	}
	return topo
}

func maxMag(topo []float64, mag []bool) float64 {
	m := 0.0
	for i, v := range topo {
		if mag[i] {
			m = max(m, math.Abs(v))
		}
	}
	return m
}

// externalTopo is the field of a uniform field b0 plus a linear gradient
// (a harmonic, divergence- and curl-free field b0 + G·r with G symmetric
// and traceless), as seen by the sensors, scaled to peakFT on
// magnetometers.
func externalTopo(rng *rand.Rand, s *megSensors, peakFT float64) []float64 {
	b0 := randUnit(rng)
	var g [3][3]float64
	for i := range 3 {
		for j := i; j < 3; j++ {
			g[i][j] = rng.NormFloat64()
			g[j][i] = g[i][j]
		}
	}
	tr := (g[0][0] + g[1][1] + g[2][2]) / 3
	for i := range 3 {
		g[i][i] -= tr
	}
	const gscale = 3 // 1/m: the gradient part is ~30% over 0.1 m
	topo := s.fieldTopo(func(r geom.Vec3) geom.Vec3 {
		var out geom.Vec3
		for i := range 3 {
			out[i] = b0[i] + gscale*(g[i][0]*r[0]+g[i][1]*r[1]+g[i][2]*r[2])
		}
		return out
	})
	return scaleToMag(topo, s.mag, peakFT*1e-15)
}

// dipolesTopo is the field of magnetic dipoles (positions in head
// coordinates, m), scaled to peakFT on magnetometers.
func dipolesTopo(s *megSensors, pos []geom.Vec3, m geom.Vec3, peakFT float64) []float64 {
	topo := s.fieldTopo(func(r geom.Vec3) geom.Vec3 {
		var b geom.Vec3
		for _, p := range pos {
			b = b.Add(dipoleField(r, p, m))
		}
		return b
	})
	return scaleToMag(topo, s.mag, peakFT*1e-15)
}
