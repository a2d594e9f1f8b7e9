package preprocess

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strings"
)

// iir is MNE's construct_iir_filter for iir_params=dict(order=N,
// ftype='butter', output='sos'): scipy.signal.iirfilter's Butterworth as
// second-order sections, the -6 dB check at the edges and the padding
// estimate.
func (d *designer) iir(fpass []float64, btype string) (*Filter, error) {
	order := d.opt.IIROrder
	if order == 0 {
		order = 4
	}
	if order < 0 || order > 64 {
		return nil, fmt.Errorf("IIR filter order must be between 1 and 64, got %d", order)
	}
	nyq := d.sfreq / 2
	wn := make([]float64, len(fpass))
	edges := make([]string, len(fpass))
	for i, f := range fpass {
		wn[i] = f / nyq
		edges[i] = fmt.Sprintf("%.2f", f)
	}
	d.logf("")
	d.logf("IIR filter parameters")
	d.logf("---------------------")
	d.logf("Butterworth %s zero-phase (two-pass forward and reverse) non-causal filter:", btype)
	sos, err := butterSOS(order, wn, btype)
	if err != nil {
		return nil, err
	}
	d.logf("- Filter order %d (effective, after forward-backward)", 2*order*len(wn))
	for _, s := range sos {
		for _, p := range quadRoots(s[3], s[4], s[5]) {
			if cmplx.Abs(p) > 1 {
				return nil, errors.New("filter poles outside unit circle, filter will be unstable; consider using different filter coefficients")
			}
		}
	}
	gains := make([]string, len(wn))
	for i, w := range wn {
		gains[i] = fmt.Sprintf("%.2f", 40*math.Log10(cmplx.Abs(sosResponse(sos, math.Pi*w))))
	}
	pl := ""
	if len(fpass) != 1 {
		pl = "s"
	}
	d.logf("- Cutoff%s at %s Hz: %s dB", pl, strings.Join(edges, ", "), strings.Join(gains, ", "))
	padlen, warn := ringingSamples(sos)
	if warn {
		d.warnf("Could not properly estimate ringing for the filter")
	}
	d.logf("")
	d.f.SOS, d.f.Order, d.f.PadLen = sos, order, padlen
	return d.f, nil
}

// quadRoots returns the roots of a0·z² + a1·z + a2 (the poles of a
// section), or of the lower-degree polynomial when leading terms vanish.
func quadRoots(a0, a1, a2 float64) []complex128 {
	switch {
	case a0 == 0 && a1 == 0:
		return nil
	case a0 == 0:
		return []complex128{complex(-a2/a1, 0)}
	}
	disc := cmplx.Sqrt(complex(a1*a1-4*a0*a2, 0))
	return []complex128{(complex(-a1, 0) + disc) / complex(2*a0, 0), (complex(-a1, 0) - disc) / complex(2*a0, 0)}
}

// sosResponse is the frequency response of the sections at w radians per
// sample (scipy.signal.sosfreqz).
func sosResponse(sos [][6]float64, w float64) complex128 {
	z1 := cmplx.Rect(1, -w)
	z2 := z1 * z1
	h := complex(1, 0)
	for _, s := range sos {
		num := complex(s[0], 0) + complex(s[1], 0)*z1 + complex(s[2], 0)*z2
		den := complex(s[3], 0) + complex(s[4], 0)*z1 + complex(s[5], 0)*z2
		h *= num / den
	}
	return h
}

// butterSOS is scipy.signal.iirfilter(N, Wn, btype=btype, ftype='butter',
// output='sos') for a digital filter: the analog Butterworth prototype,
// the band transformation at the prewarped edges, the bilinear transform
// and zpk2sos with "nearest" pairing. wn are the edges as fractions of
// Nyquist.
func butterSOS(order int, wn []float64, btype string) ([][6]float64, error) {
	for _, w := range wn {
		if !(w > 0 && w < 1) {
			return nil, errors.New("digital filter critical frequencies must be 0 < Wn < 1 (the edges must lie between 0 and Nyquist)")
		}
	}
	if len(wn) == 2 && !(wn[0] < wn[1]) {
		return nil, errors.New("Wn[0] must be less than Wn[1]")
	}
	// analog prototype: poles on the left half of the unit circle
	p := make([]complex128, order)
	for i := range p {
		m := float64(-order + 1 + 2*i)
		p[i] = -cmplx.Exp(complex(0, math.Pi*m*(1/float64(2*order))))
	}
	var z []complex128
	k := 1.0
	const fs = 2.0
	warped := make([]float64, len(wn))
	for i, w := range wn {
		warped[i] = 2 * fs * math.Tan(math.Pi*w/fs)
	}
	switch btype {
	case "lowpass", "highpass":
		if len(wn) != 1 {
			return nil, errors.New("a low-pass or high-pass filter takes one edge")
		}
		wo := warped[0]
		if btype == "lowpass" {
			for i := range p {
				p[i] *= complex(wo, 0)
			}
			k *= math.Pow(wo, float64(order))
		} else {
			k *= real(1 / prodNeg(p)) // of the prototype poles
			for i := range p {
				p[i] = complex(wo, 0) / p[i]
			}
			z = make([]complex128, order)
		}
	case "bandpass", "bandstop":
		if len(wn) != 2 {
			return nil, errors.New("a band-pass or band-stop filter takes two edges")
		}
		bw := warped[1] - warped[0]
		wo := math.Sqrt(warped[0] * warped[1])
		wo2 := complex(wo*wo, 0)
		var base []complex128
		if btype == "bandpass" {
			base = make([]complex128, order)
			for i, v := range p {
				base[i] = v * complex(bw, 0) / 2
			}
			k *= math.Pow(bw, float64(order))
		} else {
			base = make([]complex128, order)
			for i, v := range p {
				base[i] = complex(bw/2, 0) / v
			}
			k *= real(1 / prodNeg(p))
		}
		np := make([]complex128, 0, 2*order)
		for _, v := range base {
			np = append(np, v+cmplx.Sqrt(v*v-wo2))
		}
		for _, v := range base {
			np = append(np, v-cmplx.Sqrt(v*v-wo2))
		}
		p = np
		if btype == "bandpass" {
			z = make([]complex128, order)
		} else {
			z = make([]complex128, 0, 2*order)
			for range order {
				z = append(z, complex(0, wo))
			}
			for range order {
				z = append(z, complex(0, -wo))
			}
		}
	default:
		return nil, fmt.Errorf("unknown filter band type %q", btype)
	}
	// bilinear transform
	fs2 := complex(2*fs, 0)
	degree := len(p) - len(z)
	num, den := complex(1, 0), complex(1, 0)
	for i, v := range z {
		num *= fs2 - v
		z[i] = (fs2 + v) / (fs2 - v)
	}
	for i, v := range p {
		den *= fs2 - v
		p[i] = (fs2 + v) / (fs2 - v)
	}
	for range degree {
		z = append(z, -1)
	}
	k *= real(num / den)
	return zpk2sos(z, p, k)
}

// prodNeg returns the product of -v over v.
func prodNeg(v []complex128) complex128 {
	r := complex(1, 0)
	for _, x := range v {
		r *= -x
	}
	return r
}

func isReal(c complex128) bool { return imag(c) == 0 }

// cplxReal is scipy's _cplxreal: complex values of conjugate pairs (one of
// each pair, positive imaginary part, pair-averaged), sorted by real part
// then |imag|, followed by the real values sorted.
func cplxReal(z []complex128) ([]complex128, error) {
	const tol = 100 * 2.220446049250313e-16
	s := slices.Clone(z)
	slices.SortStableFunc(s, func(a, b complex128) int {
		if c := cmp.Compare(real(a), real(b)); c != 0 {
			return c
		}
		return cmp.Compare(math.Abs(imag(a)), math.Abs(imag(b)))
	})
	var zr []complex128
	var zp, zn []complex128
	for _, v := range s {
		switch {
		case math.Abs(imag(v)) <= tol*cmplx.Abs(v):
			zr = append(zr, complex(real(v), 0))
		case imag(v) > 0:
			zp = append(zp, v)
		default:
			zn = append(zn, v)
		}
	}
	if len(zp) != len(zn) {
		return nil, errors.New("array contains complex value with no matching conjugate")
	}
	// Within runs of (nearly) equal real parts, order by |imag|.
	for i := 0; i < len(zp); {
		j := i
		for j+1 < len(zp) && real(zp[j+1])-real(zp[j]) <= tol*cmplx.Abs(zp[j]) {
			j++
		}
		if j > i {
			byImag := func(a, b complex128) int { return cmp.Compare(math.Abs(imag(a)), math.Abs(imag(b))) }
			slices.SortStableFunc(zp[i:j+1], byImag)
			slices.SortStableFunc(zn[i:j+1], byImag)
		}
		i = j + 1
	}
	out := make([]complex128, 0, len(zp)+len(zr))
	for i := range zp {
		if cmplx.Abs(zp[i]-cmplx.Conj(zn[i])) > tol*cmplx.Abs(zn[i]) {
			return nil, errors.New("array contains complex value with no matching conjugate")
		}
		out = append(out, (zp[i]+cmplx.Conj(zn[i]))/2)
	}
	return append(out, zr...), nil
}

// zpk2sos is scipy.signal.zpk2sos(z, p, k, pairing='nearest') for a
// digital filter: poles closest to the unit circle go last, each paired
// with its nearest zeros.
func zpk2sos(z, p []complex128, k float64) ([][6]float64, error) {
	if len(z) == 0 && len(p) == 0 {
		return [][6]float64{{k, 0, 0, 1, 0, 0}}, nil
	}
	for len(p) < len(z) {
		p = append(p, 0)
	}
	for len(z) < len(p) {
		z = append(z, 0)
	}
	nSections := (len(p) + 1) / 2
	if len(p)%2 == 1 {
		p, z = append(p, 0), append(z, 0)
	}
	var err error
	if z, err = cplxReal(z); err != nil {
		return nil, err
	}
	if p, err = cplxReal(p); err != nil {
		return nil, err
	}
	worst := func(v []complex128, idx []int) int {
		best, bi := math.Inf(1), -1
		for _, i := range idx {
			if d := math.Abs(1 - cmplx.Abs(v[i])); d < best {
				best, bi = d, i
			}
		}
		return bi
	}
	all := func(v []complex128) []int {
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	nReal := func(v []complex128) int {
		n := 0
		for _, x := range v {
			if isReal(x) {
				n++
			}
		}
		return n
	}
	// nearest returns the index of the zero closest to target among the
	// real ones, the complex ones or all (scipy's argsort tie order is
	// irrelevant: tied zeros are equal here).
	nearest := func(v []complex128, target complex128, which string) int {
		best, bi := math.Inf(1), -1
		for i, x := range v {
			if (which == "real" && !isReal(x)) || (which == "complex" && isReal(x)) {
				continue
			}
			if d := cmplx.Abs(x - target); d < best {
				best, bi = d, i
			}
		}
		return bi
	}
	take := func(v []complex128, i int) (complex128, []complex128) {
		x := v[i]
		return x, slices.Delete(v, i, i+1)
	}
	sos := make([][6]float64, nSections)
	for si := nSections - 1; si >= 0; si-- {
		var p1, p2, z1, z2 complex128
		p1, p = take(p, worst(p, all(p)))
		switch {
		case isReal(p1) && nReal(p) == 0:
			z1, z = take(z, nearest(z, p1, "real"))
			sos[si] = singleSOS([]complex128{z1, 0}, []complex128{p1, 0})
		case len(p)+1 == len(z) && !isReal(p1) && nReal(p) == 1 && nReal(z) == 1:
			z1, z = take(z, nearest(z, p1, "complex"))
			sos[si] = singleSOS([]complex128{z1, cmplx.Conj(z1)}, []complex128{p1, cmplx.Conj(p1)})
		default:
			if isReal(p1) {
				var realIdx []int
				for i, x := range p {
					if isReal(x) {
						realIdx = append(realIdx, i)
					}
				}
				p2, p = take(p, worst(p, realIdx))
			} else {
				p2 = cmplx.Conj(p1)
			}
			switch {
			case len(z) == 0:
				sos[si] = singleSOS(nil, []complex128{p1, p2})
			default:
				z1, z = take(z, nearest(z, p1, "any"))
				switch {
				case !isReal(z1):
					sos[si] = singleSOS([]complex128{z1, cmplx.Conj(z1)}, []complex128{p1, p2})
				case len(z) > 0:
					z2, z = take(z, nearest(z, p1, "real"))
					sos[si] = singleSOS([]complex128{z1, z2}, []complex128{p1, p2})
				default:
					sos[si] = singleSOS([]complex128{z1}, []complex128{p1, p2})
				}
			}
		}
	}
	if len(p) != 0 || len(z) != 0 {
		return nil, errors.New("zpk2sos: unpaired poles or zeros")
	}
	for i := 0; i < 3; i++ {
		sos[0][i] *= k
	}
	return sos, nil
}

// singleSOS is scipy's _single_zpksos with unit gain: the polynomial
// coefficients of up to two zeros and two poles, right-aligned in each
// half of the section.
func singleSOS(z, p []complex128) [6]float64 {
	var s [6]float64
	b, a := poly(z), poly(p)
	copy(s[3-len(b):3], b)
	copy(s[6-len(a):6], a)
	return s
}

// poly returns the real coefficients of Π(x - r) for up to two roots that
// are real or a conjugate pair (numpy.poly keeps the real part then).
func poly(r []complex128) []float64 {
	switch len(r) {
	case 0:
		return []float64{1}
	case 1:
		return []float64{1, real(-r[0])}
	}
	return []float64{1, real(-r[0] + -r[1]), real(r[0] * r[1])}
}

// ringingSamples is MNE's estimate_ringing_samples for sections: the
// impulse response is run in chunks of 1000 samples until a chunk has no
// value above 0.001 of the running peak; the estimate is the last sample
// above it. warn is set when 100000 samples were not enough.
func ringingSamples(sos [][6]float64) (n int, warn bool) {
	const chunk, maxChunks = 1000, 100
	zi := make([][2]float64, len(sos))
	x := make([]float64, chunk)
	lastGood := chunk
	thresh := 0.0
	for ii := 0; ii < maxChunks; ii++ {
		clear(x)
		if ii == 0 {
			x[0] = 1
		}
		sosForward(sos, zi, x)
		peak := 0.0
		for _, v := range x {
			peak = math.Max(peak, math.Abs(v))
		}
		thresh = math.Max(0.001*peak, thresh)
		last := -1
		for i, v := range x {
			if math.Abs(v) > thresh {
				last = i
			}
		}
		if last < 0 {
			return (ii-1)*chunk + lastGood, false
		}
		lastGood = last
	}
	return chunk * maxChunks, true
}

// sosForward filters x in place through the sections, updating the state
// zi (two values per section), with scipy's sosfilt recurrence (transposed
// direct form II, a0 = 1).
func sosForward(sos [][6]float64, zi [][2]float64, x []float64) {
	for i, v := range x {
		for s := range sos {
			c := &sos[s]
			st := &zi[s]
			y := c[0]*v + st[0]
			st[0] = c[1]*v - c[4]*y + st[1]
			st[1] = c[2]*v - c[5]*y
			v = y
		}
		x[i] = v
	}
}

// sosBackward is sosForward run from the last sample to the first, which
// is what filtering the reversed sequence does.
func sosBackward(sos [][6]float64, zi [][2]float64, x []float64) {
	for i := len(x) - 1; i >= 0; i-- {
		v := x[i]
		for s := range sos {
			c := &sos[s]
			st := &zi[s]
			y := c[0]*v + st[0]
			st[0] = c[1]*v - c[4]*y + st[1]
			st[1] = c[2]*v - c[5]*y
			v = y
		}
		x[i] = v
	}
}

// sosZI is scipy.signal.sosfilt_zi: the initial states that make the
// step response start in steady state, to be scaled by the first sample.
func sosZI(sos [][6]float64) [][2]float64 {
	zi := make([][2]float64, len(sos))
	scale := 1.0
	for s, c := range sos {
		b := []float64{c[0], c[1], c[2]}
		a := []float64{c[3], c[4], c[5]}
		if a[0] != 1 {
			for i := range b {
				b[i] /= a[0]
			}
			a0 := a[0]
			for i := range a {
				a[i] /= a0
			}
		}
		// lfilter_zi: solve (I - Aᵀ)·zi = b[1:] - a[1:]·b[0] with A the
		// companion matrix; LAPACK's partial pivoting on the 2x2 system.
		m := [2][2]float64{{1 + a[1], -1}, {a[2], 1}}
		r := [2]float64{b[1] - a[1]*b[0], b[2] - a[2]*b[0]}
		if math.Abs(m[1][0]) > math.Abs(m[0][0]) {
			m[0], m[1] = m[1], m[0]
			r[0], r[1] = r[1], r[0]
		}
		l := m[1][0] / m[0][0]
		u11 := m[1][1] - l*m[0][1]
		y1 := r[1] - l*r[0]
		x1 := y1 / u11
		x0 := (r[0] - m[0][1]*x1) / m[0][0]
		zi[s] = [2]float64{scale * x0, scale * x1}
		scale *= ((b[0] + b[1]) + b[2]) / ((a[0] + a[1]) + a[2])
	}
	return zi
}

// sosRows runs sosForward (or sosBackward) over several rows of equal
// length, each with its own state, four at a time: the recurrence of one
// row is a chain of dependent multiply-adds, so interleaving independent
// rows lets the processor overlap their latencies. Each row gets exactly
// the arithmetic of sosForward, so results are bit-identical.
func sosRows(sos [][6]float64, states [][][2]float64, rows [][]float64, backward bool) {
	k := 0
	for ; k+4 <= len(rows); k += 4 {
		sos4(sos, states[k:k+4], rows[k:k+4], backward)
	}
	for ; k < len(rows); k++ {
		if backward {
			sosBackward(sos, states[k], rows[k])
		} else {
			sosForward(sos, states[k], rows[k])
		}
	}
}

func sos4(sos [][6]float64, states [][][2]float64, rows [][]float64, backward bool) {
	n := len(rows[0])
	r0, r1, r2, r3 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n]
	q0, q1, q2, q3 := states[0], states[1], states[2], states[3]
	ns := len(sos)
	q0, q1, q2, q3 = q0[:ns], q1[:ns], q2[:ns], q3[:ns]
	i, step := 0, 1
	if backward {
		i, step = n-1, -1
	}
	for ; i >= 0 && i < n; i += step {
		v0, v1, v2, v3 := r0[i], r1[i], r2[i], r3[i]
		for s := range sos {
			c := &sos[s]
			b0, b1, b2, a1, a2 := c[0], c[1], c[2], c[4], c[5]
			y0 := b0*v0 + q0[s][0]
			y1 := b0*v1 + q1[s][0]
			y2 := b0*v2 + q2[s][0]
			y3 := b0*v3 + q3[s][0]
			q0[s][0] = b1*v0 - a1*y0 + q0[s][1]
			q1[s][0] = b1*v1 - a1*y1 + q1[s][1]
			q2[s][0] = b1*v2 - a1*y2 + q2[s][1]
			q3[s][0] = b1*v3 - a1*y3 + q3[s][1]
			q0[s][1] = b2*v0 - a2*y0
			q1[s][1] = b2*v1 - a2*y1
			q2[s][1] = b2*v2 - a2*y2
			q3[s][1] = b2*v3 - a2*y3
			v0, v1, v2, v3 = y0, y1, y2, y3
		}
		r0[i], r1[i], r2[i], r3[i] = v0, v1, v2, v3
	}
}
