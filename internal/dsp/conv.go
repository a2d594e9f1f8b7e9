package dsp

import (
	"math"
	"math/bits"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// directMaxTaps is the longest kernel convolved directly (a plain dot
// product per output); longer kernels go through FFT blocks.
const directMaxTaps = 48

// Conv convolves long real signals with one real kernel in FFT blocks
// (overlap-save: each block transforms len(h)-1 samples of history plus
// BlockLen new ones and keeps the BlockLen outputs that did not wrap
// around; overlap-add does the same work but has to sum block tails).
//
// A Conv is immutable after NewConv and safe for concurrent use: the
// kernel spectrum is shared, per-call work buffers come from a pool.
//
// The real block of power-of-two length N is transformed as N/2 complex
// samples (even samples real, odd imaginary) and split into the real
// spectrum, which halves the transform. Engines (ConvOptions.Engine):
//
//   - EngineStockham (default): a radix-4 Stockham FFT with tabulated
//     twiddles (stockham.go), with AVX butterflies on amd64. Round-off
//     ~1e-15 of the block's signal.
//   - EngineGonumRadix4: gonum's in-place radix-4/radix-2 FFT
//     (fourier.CoefficientsRadix4). About 1.5 times slower than the Go
//     Stockham loop here (three times slower than with AVX), and
//     gonum builds its twiddles by repeated multiplication, so the
//     round-off grows to ~1e-12 of the block's signal.
//   - EngineFFTPACK: gonum's FFTPACK real FFT (fourier.FFT, the plans of
//     GetFFT) at 2^a·3^b·5^c lengths, round-off ~1e-15; five to ten
//     times slower than the default, which matters because filtering a
//     recording is almost all FFT work.
//
// All subtract a constant (the block's middle sample) before the
// transform and add its exact response back, so that a large DC offset
// does not scale the round-off of the fluctuations around it.
type Conv struct {
	h      []float64
	sumH   float64
	n      int // FFT length (real samples per block)
	engine Engine
	direct bool
	spec   []complex128 // kernel spectrum, scaled for the inverse transform
	pqrs   []complex128 // split engines: the per-pair factors, see NewConv
	radix4 bool
	sh     *stockham
	pool   sync.Pool
}

// Engine selects the FFT behind a Conv (see Conv).
type Engine int

const (
	EngineStockham Engine = iota
	EngineGonumRadix4
	EngineFFTPACK
)

func (e Engine) String() string {
	switch e {
	case EngineStockham:
		return "stockham"
	case EngineGonumRadix4:
		return "gonum-radix4"
	case EngineFFTPACK:
		return "fftpack"
	}
	return "unknown"
}

// ConvOptions tune NewConv. The zero value suits long signals.
type ConvOptions struct {
	// OutLen is the typical number of outputs asked of one Valid call. It
	// bounds the FFT length (no block longer than one call needs). 0 means
	// a long signal (a million samples).
	OutLen int
	// FFTLen forces the FFT length: a power of two (>= 8), or any length
	// for EngineFFTPACK; it must exceed len(h)-1. 0 picks the cheapest
	// length for OutLen.
	FFTLen int
	// Engine selects the FFT (see Conv); the default is EngineStockham.
	Engine Engine
	// MaxFFTLen, when not 0, caps the automatic FFT length (raised to the
	// first power of two above len(h) if lower): longer blocks need more
	// memory per call for little gain.
	MaxFFTLen int
}

// NewConv prepares the convolution of signals with the kernel h (copied).
// It panics if h is empty or opt.FFTLen is unusable.
func NewConv(h []float64, opt ConvOptions) *Conv {
	if len(h) == 0 {
		panic("dsp: empty convolution kernel")
	}
	c := &Conv{h: append([]float64(nil), h...), engine: opt.Engine}
	precise := opt.Engine == EngineFFTPACK
	c.sumH = kahanSum(c.h)
	L := len(h)
	if L <= directMaxTaps && opt.FFTLen == 0 {
		c.direct = true
		return c
	}
	out := opt.OutLen
	if out <= 0 {
		out = 1 << 20
	}
	switch {
	case opt.FFTLen != 0:
		c.n = opt.FFTLen
		if c.n <= L-1 || (!precise && (c.n < 8 || c.n&(c.n-1) != 0)) {
			panic("dsp: unusable FFTLen for this kernel")
		}
	case precise:
		c.n = chooseSmoothLen(L, out)
	default:
		c.n = choosePow2Len(L, out, opt.Engine, opt.MaxFFTLen)
	}
	// Kernel spectrum with gonum's (accurate) FFTPACK plan.
	f := GetFFT(c.n)
	buf := make([]float64, c.n)
	copy(buf, c.h)
	c.spec = f.Coefficients(nil, buf)
	PutFFT(f)
	if precise {
		scaleComplex(c.spec, 1/float64(c.n))
		c.pool.New = func() any {
			return &preciseScratch{buf: make([]float64, c.n), spec: make([]complex128, c.n/2+1)}
		}
		return c
	}
	m := c.n / 2
	// The forward split and the inverse merge each double the spectrum,
	// and the unnormalized inverse multiplies by m.
	scaleComplex(c.spec, 1/float64(4*m))
	// Per pair of frequencies (k, m-k), 1 <= k <= m/2, everything
	// between the two transforms is linear: splitting the packed
	// spectrum (A = z[k], B = z[m-k]) into the real one, multiplying by
	// the kernel and merging back gives z'[m-k] = P·A + Q·conj(B) and
	// z'[k] = R·B + S·conj(A), with W = e^{-2πik/n}:
	//   P = (1+iW̄)(1-iW)H[k] + (1-iW̄)(1+iW)H̄[m-k]
	//   Q = (1+iW̄)(1+iW)H[k] + (1-iW̄)(1-iW)H̄[m-k]
	//   R = (1-iW)(1+iW̄)H[m-k] + (1+iW)(1-iW̄)H̄[k]
	//   S = (1-iW)(1-iW̄)H[m-k] + (1+iW)(1+iW̄)H̄[k]
	// (the new values are stored at the mirrored index so that a forward
	// transform inverts; see blockFast). Precomputing P, Q, R, S halves
	// the arithmetic of this step.
	c.pqrs = make([]complex128, 4*(m/2+1))
	for k := 1; k <= m/2; k++ {
		sn, co := math.Sincos(2 * math.Pi * float64(k) / float64(c.n))
		w := complex(co, -sn)
		iw, iwb := mulI(w), mulI(conj(w))
		hk, hj := c.spec[k], c.spec[m-k]
		hkc, hjc := conj(hk), conj(hj)
		c.pqrs[4*k] = (1+iwb)*(1-iw)*hk + (1-iwb)*(1+iw)*hjc
		c.pqrs[4*k+1] = (1+iwb)*(1+iw)*hk + (1-iwb)*(1-iw)*hjc
		c.pqrs[4*k+2] = (1-iw)*(1+iwb)*hj + (1+iw)*(1-iwb)*hkc
		c.pqrs[4*k+3] = (1-iw)*(1-iwb)*hj + (1+iw)*(1+iwb)*hkc
	}
	c.radix4 = bits.TrailingZeros(uint(m))%2 == 0
	if opt.Engine == EngineStockham {
		c.sh = newStockham(m)
	}
	c.pool.New = func() any { z := make([]complex128, 2*m); return &z }
	return c
}

type preciseScratch struct {
	buf  []float64
	spec []complex128
}

// Len returns the kernel length.
func (c *Conv) Len() int { return len(c.h) }

// FFTLen returns the FFT length of the blocks (0 for direct convolution).
func (c *Conv) FFTLen() int { return c.n }

// BlockLen returns the number of outputs computed per FFT block.
func (c *Conv) BlockLen() int {
	if c.direct {
		return 0
	}
	return c.n - len(c.h) + 1
}

// Valid computes the part of the linear convolution of x with the kernel
// that needs no samples outside x: dst[i] = Σ_k h[k]·x[i+L-1-k] for
// i < len(dst), where L = len(h). len(x) must be len(dst)+L-1.
func (c *Conv) Valid(dst, x []float64) {
	L := len(c.h)
	if len(x) != len(dst)+L-1 {
		panic("dsp: Conv.Valid: len(x) must be len(dst)+len(h)-1")
	}
	if len(dst) == 0 {
		return
	}
	if c.direct {
		c.validDirect(dst, x)
		return
	}
	B := c.n - L + 1
	if c.engine == EngineFFTPACK {
		s := c.pool.Get().(*preciseScratch)
		f := GetFFT(c.n)
		for t0 := 0; t0 < len(dst); t0 += B {
			nb := min(B, len(dst)-t0)
			c.blockPrecise(f, s, dst[t0:t0+nb], x[t0:t0+nb+L-1])
		}
		PutFFT(f)
		c.pool.Put(s)
		return
	}
	zp := c.pool.Get().(*[]complex128)
	for t0 := 0; t0 < len(dst); t0 += B {
		nb := min(B, len(dst)-t0)
		c.blockFast(*zp, dst[t0:t0+nb], x[t0:t0+nb+L-1])
	}
	c.pool.Put(zp)
}

func (c *Conv) validDirect(dst, x []float64) {
	h := c.h
	L := len(h)
	for i := range dst {
		seg := x[i : i+L]
		var s float64
		for k, hk := range h {
			s += hk * seg[L-1-k]
		}
		dst[i] = s
	}
}

// blockPrecise computes one overlap-save block with FFTPACK: seg holds
// len(dst)+L-1 <= n samples.
func (c *Conv) blockPrecise(f *fourier.FFT, s *preciseScratch, dst, seg []float64) {
	L := len(c.h)
	off := seg[len(seg)/2]
	buf := s.buf
	for i, v := range seg {
		buf[i] = v - off
	}
	clear(buf[len(seg):])
	f.Coefficients(s.spec, buf)
	for k, hk := range c.spec {
		s.spec[k] *= hk
	}
	f.Sequence(buf, s.spec)
	add := off * c.sumH
	for i := range dst {
		dst[i] = buf[L-1+i] + add
	}
}

// blockFast computes one overlap-save block: the real block of length n
// is packed as n/2 complex samples (even samples real, odd imaginary),
// transformed, split into the real spectrum, multiplied by the kernel,
// merged back and transformed again. See Conv.
func (c *Conv) blockFast(buf []complex128, dst, seg []float64) {
	L := len(c.h)
	m := len(buf) / 2
	z, work := buf[:m], buf[m:]
	off := seg[len(seg)/2]
	np := len(seg) / 2
	for i := 0; i < np; i++ {
		z[i] = complex(seg[2*i]-off, seg[2*i+1]-off)
	}
	if len(seg)%2 == 1 {
		z[np] = complex(seg[len(seg)-1]-off, 0)
		np++
	}
	clear(z[np:])
	z, work = c.transform(z, work)

	hs := c.spec
	// k = 0 pairs with itself (index m is index 0 again): the DC and
	// Nyquist terms of the real spectrum are its real and imaginary sums.
	a := z[0]
	y0 := complex(2*(real(a)+imag(a)), 0) * hs[0]
	ym := complex(2*(real(a)-imag(a)), 0) * hs[m]
	z[0] = (y0 + conj(ym)) + mulI(y0-conj(ym))
	f := c.pqrs
	for k := 1; k < m/2; k++ {
		j := m - k
		a, b := z[k], z[j]
		q := f[4*k : 4*k+4 : 4*k+4]
		z[j] = q[0]*a + q[1]*conj(b)
		z[k] = q[2]*b + q[3]*conj(a)
	}
	if k := m / 2; k >= 1 { // pairs with itself
		a := z[k]
		q := f[4*k : 4*k+4 : 4*k+4]
		z[k] = q[2]*a + q[3]*conj(a)
	}
	z, _ = c.transform(z, work)

	add := off * c.sumH
	// outputs are samples L-1, L, ... of the block: two per complex value
	i, r := 0, L-1
	if r&1 == 1 && len(dst) > 0 {
		dst[0] = imag(z[r>>1]) + add
		i, r = 1, r+1
	}
	zz := z[r>>1:]
	for k := 0; i+1 < len(dst); k, i = k+1, i+2 {
		v := zz[k]
		dst[i] = real(v) + add
		dst[i+1] = imag(v) + add
	}
	if i < len(dst) {
		dst[i] = real(z[(L-1+i)>>1]) + add
	}
}

// transform runs the forward complex FFT of z; it returns the buffer
// holding the result and the other one.
func (c *Conv) transform(z, work []complex128) ([]complex128, []complex128) {
	switch {
	case c.sh != nil:
		r := c.sh.forward(z, work)
		if &r[0] != &z[0] {
			return r, z
		}
	case c.radix4:
		fourier.CoefficientsRadix4(z)
	default:
		fourier.CoefficientsRadix2(z)
	}
	return z, work
}

func conj(v complex128) complex128 { return complex(real(v), -imag(v)) }

func mulI(v complex128) complex128 { return complex(-imag(v), real(v)) }

func scaleComplex(s []complex128, f float64) {
	for i, v := range s {
		s[i] = complex(real(v)*f, imag(v)*f)
	}
}

// kahanSum is a compensated sum, so that the response to the subtracted
// block offset is exact to the last bit or so.
func kahanSum(x []float64) float64 {
	var s, comp float64
	for _, v := range x {
		y := v - comp
		t := s + y
		comp = (t - s) - y
		s = t
	}
	return s
}

// choosePow2Len returns the power-of-two FFT length that minimizes the
// modelled time of the split engines for out outputs of a kernel of
// length L. The model (ns ≈ blocks·(1.8·m·log2 m·r + 3·n), m = n/2, r = 1
// for radix-4 and 1.35 for gonum's radix-2) was fitted on amd64.
func choosePow2Len(L, out int, e Engine, maxLen int) int {
	lo := 8
	for lo < L+1 {
		lo *= 2
	}
	hi := lo
	for hi < out+L-1 && hi < 1<<24 && (maxLen <= 0 || hi < maxLen) {
		hi *= 2
	}
	best, bestCost := lo, math.Inf(1)
	for n := lo; n <= hi; n *= 2 {
		m := n / 2
		lg := float64(bits.TrailingZeros(uint(m)))
		r := 1.0
		if bits.TrailingZeros(uint(m))%2 == 1 && e == EngineGonumRadix4 {
			r = 1.35
		}
		blocks := math.Ceil(float64(out) / float64(n-L+1))
		cost := blocks * (1.8*float64(m)*lg*r + 3*float64(n))
		if cost < bestCost {
			best, bestCost = n, cost
		}
	}
	return best
}

// chooseSmoothLen returns the 2^a·3^b·5^c FFT length that minimizes
// blocks·n·(log2 n + 1) (MNE's cost model, over fast lengths instead of
// powers of two) for out outputs of a kernel of length L.
func chooseSmoothLen(L, out int) int {
	lo := NextFastLen(2*L - 1)
	hi := NextFastLen(out + L - 1)
	if hi < lo {
		hi = lo
	}
	best, bestCost := lo, math.Inf(1)
	for n := lo; n <= hi; n = NextFastLen(n + 1) {
		blocks := math.Ceil(float64(out) / float64(n-L+1))
		cost := blocks * float64(n) * (math.Log2(float64(n)) + 1)
		if cost < bestCost {
			best, bestCost = n, cost
		}
	}
	return best
}

// Convolve returns the full linear convolution of x and h (length
// len(x)+len(h)-1, numpy.convolve's "full" mode), computed by FFT blocks.
func Convolve(x, h []float64) []float64 {
	if len(x) == 0 || len(h) == 0 {
		return nil
	}
	L := len(h)
	pad := make([]float64, len(x)+2*(L-1))
	copy(pad[L-1:], x)
	out := make([]float64, len(x)+L-1)
	NewConv(h, ConvOptions{OutLen: len(out)}).Valid(out, pad)
	return out
}
