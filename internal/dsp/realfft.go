package dsp

import (
	"math"
	"sync"
)

// RealFFT is a plan for real transforms of one length n with numpy's
// conventions (numpy.fft.rfft and irfft): Forward gives the n/2+1
// unnormalized coefficients, Inverse the real sequence normalized by 1/n
// (InverseUnscaled skips the 1/n).
//
// The engine depends on n:
//   - a power of two (n ≥ 8): the half-length complex Stockham FFT
//     (stockham.go, AVX on amd64) of the even/odd samples packed as
//     complex values, with a post-processing pass (twiddles tabulated from
//     math.Sincos, as the Stockham ones);
//   - a length whose prime factors above 5 add up to at least
//     bluesteinMinCost (FFTPACK's generic radix passes are O(n·p)):
//     Bluestein's chirp-z algorithm on a power-of-two Stockham FFT, of
//     length n/2 packed as above for even n, of length n for odd n;
//   - otherwise gonum's FFTPACK (the plans of GetFFT).
//
// All agree with FFTPACK to ~1e-15 relative to the norm of the data.
// A RealFFT is immutable and safe for concurrent use; it keeps its
// scratch buffers in a pool. Plans are cached per length: see
// RealFFTPlan.
type RealFFT struct {
	n    int
	kind int        // realGonum, realHalf, realFull
	c    complexFFT // realHalf: length n/2; realFull: length n
	tw   []complex128
	pool sync.Pool // *[]complex128 scratch of scratchLen values
	sLen int
}

const (
	realGonum = iota
	realHalf
	realFull
)

// complexFFT is an unnormalized forward complex FFT of a fixed length that
// works in caller-provided scratch.
type complexFFT interface {
	size() int
	scratchLen() int
	// forward transforms x (size() values) using scratch and returns the
	// slice holding the result: x or part of scratch.
	forward(x, scratch []complex128) []complex128
}

func (s *stockham) size() int       { return s.n }
func (s *stockham) scratchLen() int { return s.n }

// bluesteinMinCost is the sum of the prime factors above 5 of a length
// (see genericFactorCost) from which Bluestein's algorithm on Stockham
// FFTs is used instead of FFTPACK. FFTPACK's generic passes cost ~0.9·p
// ns per sample; a Bluestein transform costs 2 Stockham FFTs of 2n to 4n
// points (n/2 for even n, packed). Measured on amd64 with AVX, gonum 0.17
// (loaded machine): n = 209715 = 3·5·11·31·41 (cost 83), forward+inverse
// Bluestein 48 ms, FFTPACK 63 ms; n = 13107 (cost 274) 2.3 ms vs 8.8 ms.
// The threshold is conservative for odd n whose Bluestein length is 4n.
const bluesteinMinCost = 60

// genericFactorCost is the sum, with multiplicity, of the prime factors of
// n larger than 5.
func genericFactorCost(n int) int {
	for _, p := range []int{2, 3, 5} {
		for n%p == 0 {
			n /= p
		}
	}
	sum := 0
	for p := 7; p*p <= n; p += 2 {
		for n%p == 0 {
			sum += p
			n /= p
		}
	}
	if n > 1 {
		sum += n
	}
	return sum
}

// NewRealFFT returns a plan for real transforms of length n ≥ 1. Building
// one costs about as much as a few transforms; prefer RealFFTPlan, which
// caches them.
func NewRealFFT(n int) *RealFFT {
	if n < 1 {
		panic("dsp: RealFFT length must be positive")
	}
	r := &RealFFT{n: n}
	switch {
	case n < 8:
		r.kind = realGonum
	case n&(n-1) == 0:
		r.kind = realHalf
		r.c = newStockham(n / 2)
	case genericFactorCost(n) >= bluesteinMinCost:
		if n%2 == 0 {
			r.kind = realHalf
			r.c = newBluesteinC(n / 2)
		} else {
			r.kind = realFull
			r.c = newBluesteinC(n)
		}
	default:
		r.kind = realGonum
	}
	if r.kind == realHalf {
		// w^k = exp(-2πik/n) for k ≤ n/4
		h := n / 2
		r.tw = make([]complex128, h/2+1)
		for k := range r.tw {
			sn, cs := math.Sincos(2 * math.Pi * float64(k) / float64(n))
			r.tw[k] = complex(cs, -sn)
		}
	}
	if r.c != nil {
		r.sLen = r.c.size() + r.c.scratchLen()
	}
	return r
}

var realPlans sync.Map // int → *RealFFT

// RealFFTPlan returns the shared plan for length n, building it on first
// use.
func RealFFTPlan(n int) *RealFFT {
	if p, ok := realPlans.Load(n); ok {
		return p.(*RealFFT)
	}
	p, _ := realPlans.LoadOrStore(n, NewRealFFT(n))
	return p.(*RealFFT)
}

// Len returns the transform length n.
func (r *RealFFT) Len() int { return r.n }

// Engine names the algorithm used for this length: "stockham",
// "bluestein" or "fftpack".
func (r *RealFFT) Engine() string {
	switch r.c.(type) {
	case *stockham:
		return "stockham"
	case *bluesteinC:
		return "bluestein"
	}
	return "fftpack"
}

func (r *RealFFT) getScratch() *[]complex128 {
	if s, ok := r.pool.Get().(*[]complex128); ok {
		return s
	}
	s := make([]complex128, r.sLen)
	return &s
}

// Forward computes numpy.fft.rfft(x, n): the n/2+1 unnormalized
// coefficients Σ_j x_j e^{-2πijk/n} of x truncated or zero-padded to n.
// dst is reused when it has room; the result is returned.
func (r *RealFFT) Forward(dst []complex128, x []float64) []complex128 {
	n := r.n
	dst = resizeComplex(dst, n/2+1)
	if len(x) > n {
		x = x[:n]
	}
	if r.kind == realGonum {
		f := GetFFT(n)
		defer PutFFT(f)
		seq := x
		if len(x) < n {
			seq = make([]float64, n)
			copy(seq, x)
		}
		return f.Coefficients(dst, seq)
	}
	sp := r.getScratch()
	defer r.pool.Put(sp)
	s := *sp
	m := r.c.size()
	z, scratch := s[:m], s[m:]
	if r.kind == realFull {
		for i, v := range x {
			z[i] = complex(v, 0)
		}
		clear(z[len(x):])
		y := r.c.forward(z, scratch)
		copy(dst, y[:n/2+1])
		return dst
	}
	// even/odd samples as the real/imaginary parts of m = n/2 values
	if len(x) == n {
		for k := range z {
			z[k] = complex(x[2*k], x[2*k+1])
		}
	} else {
		for k := range z {
			var re, im float64
			if 2*k < len(x) {
				re = x[2*k]
			}
			if 2*k+1 < len(x) {
				im = x[2*k+1]
			}
			z[k] = complex(re, im)
		}
	}
	y := r.c.forward(z, scratch)
	// With E, O the DFTs of the even and odd samples, Z = E + iO and
	// X[k] = E[k] + w^k O[k]; pairing k with j = m-k:
	// E = (Z[k] + conj Z[j])/2, O = -i(Z[k] - conj Z[j])/2,
	// X[k] = E + w^k O, X[j] = conj(E - w^k O).
	y0 := y[0]
	dst[0] = complex(real(y0)+imag(y0), 0)
	dst[m] = complex(real(y0)-imag(y0), 0)
	tw := r.tw
	for k := 1; k <= m/2; k++ {
		j := m - k
		a, b := y[k], y[j]
		e := complex(0.5*(real(a)+real(b)), 0.5*(imag(a)-imag(b)))
		// o = -i·(a - conj b)/2
		o := complex(0.5*(imag(a)+imag(b)), -0.5*(real(a)-real(b)))
		wo := tw[k] * o
		dst[k] = e + wo
		dst[j] = conj(e - wo)
	}
	return dst
}

// Inverse computes numpy.fft.irfft(c, n): the real sequence of length n
// whose half spectrum is c (truncated or zero-padded to n/2+1 values),
// normalized by 1/n. As numpy, it ignores the imaginary parts of the DC
// coefficient and (n even) of the Nyquist coefficient. dst is reused when
// it has room; the result is returned.
func (r *RealFFT) Inverse(dst []float64, c []complex128) []float64 {
	dst = r.InverseUnscaled(dst, c)
	inv := 1 / float64(r.n)
	for i := range dst {
		dst[i] *= inv
	}
	return dst
}

// InverseUnscaled is Inverse without the 1/n normalization:
// Σ_k X_k e^{+2πijk/n} over the Hermitian extension of c (FFTPACK's and
// gonum's Sequence).
func (r *RealFFT) InverseUnscaled(dst []float64, c []complex128) []float64 {
	n := r.n
	nb := n/2 + 1
	dst = resizeFloat(dst, n)
	at := func(k int) complex128 {
		if k < len(c) {
			return c[k]
		}
		return 0
	}
	if r.kind == realGonum {
		f := GetFFT(n)
		defer PutFFT(f)
		coef := c
		if len(c) != nb {
			coef = make([]complex128, nb)
			copy(coef, c[:min(len(c), nb)])
		}
		return f.Sequence(dst, coef)
	}
	sp := r.getScratch()
	defer r.pool.Put(sp)
	s := *sp
	m := r.c.size()
	z, scratch := s[:m], s[m:]
	if r.kind == realFull {
		// Σ_k X_k e^{+2πijk/n} = conj(DFT(conj X))_j; keep the real part,
		// which the outer conjugation leaves alone.
		z[0] = complex(real(at(0)), 0)
		for k := 1; k < nb; k++ {
			v := at(k)
			z[k] = conj(v)
			z[n-k] = v
		}
		if n%2 == 0 {
			z[n/2] = complex(real(at(n/2)), 0)
		}
		y := r.c.forward(z, scratch)
		for j := range dst {
			dst[j] = real(y[j])
		}
		return dst
	}
	// Z'[k] = S + iP with S = X[k] + conj X[j], P = conj(w^k)(X[k] - conj X[j])
	// (2Z of Forward), Z'[j] = conj S + i conj P; the inverse complex
	// transform of Z' is n/2·2·z = n·z, computed as conj(DFT(conj Z')).
	x0, xm := real(at(0)), real(at(m))
	z[0] = complex(x0+xm, -(x0 - xm))
	tw := r.tw
	if len(c) >= nb {
		c = c[:nb]
		for k := 1; k <= m/2; k++ {
			j := m - k
			a, b := c[k], c[j]
			sv := complex(real(a)+real(b), imag(a)-imag(b))
			d := complex(real(a)-real(b), imag(a)+imag(b))
			p := conj(tw[k]) * d
			// conj(S + iP) and conj(conj S + i conj P) = S - iP
			ip := mulI(p)
			z[k] = conj(sv + ip)
			z[j] = sv - ip
		}
	} else {
		for k := 1; k <= m/2; k++ {
			j := m - k
			a, b := at(k), at(j)
			sv := complex(real(a)+real(b), imag(a)-imag(b))
			d := complex(real(a)-real(b), imag(a)+imag(b))
			p := conj(tw[k]) * d
			ip := mulI(p)
			z[k] = conj(sv + ip)
			z[j] = sv - ip
		}
	}
	y := r.c.forward(z, scratch)
	for k, v := range y[:m] {
		dst[2*k] = real(v)
		dst[2*k+1] = -imag(v)
	}
	return dst
}

// bluesteinC is a complex DFT of any length n as a circular convolution
// of power-of-two length m ≥ 2n-1 with the chirp exp(iπk²/n), by
// Stockham FFTs. It is immutable.
type bluesteinC struct {
	n     int
	chirp []complex128 // exp(-iπk²/n), k < n
	kern  []complex128 // DFT of the conjugate chirp, wrapped, divided by m
	sh    *stockham
}

func newBluesteinC(n int) *bluesteinC {
	m := 1
	for m < 2*n-1 {
		m <<= 1
	}
	b := &bluesteinC{n: n, chirp: make([]complex128, n), sh: newStockham(m)}
	// k² mod 2n keeps the angle exact for large k.
	n2 := int64(2 * n)
	for k := range n {
		kk := int64(k) * int64(k) % n2
		sn, cs := math.Sincos(math.Pi * float64(kk) / float64(n))
		b.chirp[k] = complex(cs, -sn)
	}
	kern := make([]complex128, m)
	scale := complex(1/float64(m), 0)
	kern[0] = conj(b.chirp[0]) * scale
	for k := 1; k < n; k++ {
		v := conj(b.chirp[k]) * scale
		kern[k] = v
		kern[m-k] = v
	}
	b.kern = append([]complex128(nil), b.sh.forward(kern, make([]complex128, m))...)
	return b
}

func (b *bluesteinC) size() int       { return b.n }
func (b *bluesteinC) scratchLen() int { return 2 * b.sh.n }

func (b *bluesteinC) forward(x, scratch []complex128) []complex128 {
	m := b.sh.n
	buf, work := scratch[:m], scratch[m:2*m]
	chirp := b.chirp[:len(x)]
	for k, v := range x {
		buf[k] = v * chirp[k]
	}
	clear(buf[b.n:])
	y := b.sh.forward(buf, work)
	other := work
	if &y[0] == &work[0] {
		other = buf
	}
	// inverse DFT as conj(DFT(conj ·))
	kern := b.kern[:len(y)]
	for k, v := range y {
		y[k] = conj(v * kern[k])
	}
	y = b.sh.forward(y, other)
	for k := range x {
		x[k] = conj(y[k]) * chirp[k]
	}
	return x
}

// pow2Scale returns 2^-e and 2^e for the binary exponent e of m > 0
// (so that m·2^-e is in [0.5, 1)); ok is false for m zero, infinite or
// NaN. Scaling by them is exact.
func pow2Scale(m float64) (s, inv float64, ok bool) {
	if !(m > 0) || math.IsInf(m, 0) {
		return 0, 0, false
	}
	_, e := math.Frexp(m)
	return math.Ldexp(1, -e), math.Ldexp(1, e), true
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func maxAbsC(c []complex128) float64 {
	var m float64
	for _, v := range c {
		m = max(m, math.Abs(real(v)), math.Abs(imag(v)))
	}
	return m
}

// Forward2 is Forward of two sequences at once: dst1, dst2 get the
// transforms of x1, x2 (both of length n). For odd lengths with a large
// prime factor (one full-length complex Bluestein transform per call)
// the pair costs one transform of x1 + i·x2 instead of two; for the other
// lengths it is two calls of Forward. The round-off of each result is
// relative to its own input: the two are scaled by powers of two to the
// same magnitude before packing (and an all-zero input is transformed on
// its own), but the results are not bit-identical to Forward's.
func (r *RealFFT) Forward2(dst1, dst2 []complex128, x1, x2 []float64) ([]complex128, []complex128) {
	n := r.n
	if r.kind != realFull || len(x1) != n || len(x2) != n {
		return r.Forward(dst1, x1), r.Forward(dst2, x2)
	}
	s1, u1, ok1 := pow2Scale(maxAbs(x1))
	s2, u2, ok2 := pow2Scale(maxAbs(x2))
	if !ok1 || !ok2 {
		return r.Forward(dst1, x1), r.Forward(dst2, x2)
	}
	nb := n/2 + 1
	dst1, dst2 = resizeComplex(dst1, nb), resizeComplex(dst2, nb)
	sp := r.getScratch()
	defer r.pool.Put(sp)
	s := *sp
	z, scratch := s[:n], s[n:]
	for i := range z {
		z[i] = complex(x1[i]*s1, x2[i]*s2)
	}
	y := r.c.forward(z, scratch)
	// X1 = (Z[k] + conj Z[n-k])/2, X2 = (Z[k] - conj Z[n-k])/(2i)
	dst1[0] = complex(real(y[0])*u1, 0)
	dst2[0] = complex(imag(y[0])*u2, 0)
	h1, h2 := 0.5*u1, 0.5*u2
	for k := 1; k < nb; k++ {
		a, b := y[k], y[n-k]
		dst1[k] = complex(h1*(real(a)+real(b)), h1*(imag(a)-imag(b)))
		dst2[k] = complex(h2*(imag(a)+imag(b)), -h2*(real(a)-real(b)))
	}
	return dst1, dst2
}

// InverseUnscaled2 is InverseUnscaled of two spectra at once (c1, c2 of
// n/2+1 values each): for odd lengths with a large prime factor it costs
// one complex transform, of the Hermitian extensions of c1 + i·c2, instead
// of two (with the same scaling as Forward2). The results are returned.
func (r *RealFFT) InverseUnscaled2(dst1, dst2 []float64, c1, c2 []complex128) ([]float64, []float64) {
	n := r.n
	nb := n/2 + 1
	if r.kind != realFull || len(c1) < nb || len(c2) < nb {
		return r.InverseUnscaled(dst1, c1), r.InverseUnscaled(dst2, c2)
	}
	c1, c2 = c1[:nb], c2[:nb]
	s1, u1, ok1 := pow2Scale(maxAbsC(c1))
	s2, u2, ok2 := pow2Scale(maxAbsC(c2))
	if !ok1 || !ok2 {
		return r.InverseUnscaled(dst1, c1), r.InverseUnscaled(dst2, c2)
	}
	dst1, dst2 = resizeFloat(dst1, n), resizeFloat(dst2, n)
	sp := r.getScratch()
	defer r.pool.Put(sp)
	s := *sp
	z, scratch := s[:n], s[n:]
	// The inverse of X1 + i·X2 (each extended as Hermitian) is x1 + i·x2;
	// computed as conj(DFT(conj ·)): conj(X1[k] + i·X2[k]) at k and
	// conj(conj X1[k] + i·conj X2[k]) = X1[k] - i·X2[k] at n-k.
	a0, b0 := real(c1[0])*s1, real(c2[0])*s2
	z[0] = complex(a0, -b0)
	for k := 1; k < nb; k++ {
		a := complex(real(c1[k])*s1, imag(c1[k])*s1)
		b := complex(real(c2[k])*s2, imag(c2[k])*s2)
		// v = a + i·b
		vr, vi := real(a)-imag(b), imag(a)+real(b)
		z[k] = complex(vr, -vi)
		// a - i·b
		z[n-k] = complex(real(a)+imag(b), imag(a)-real(b))
	}
	y := r.c.forward(z, scratch)
	for j := range dst1 {
		dst1[j] = real(y[j]) * u1
		dst2[j] = -imag(y[j]) * u2
	}
	return dst1, dst2
}
