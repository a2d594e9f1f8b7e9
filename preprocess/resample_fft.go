package preprocess

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/megflow/megflow/internal/dsp"
)

// Real FFTs of the exact lengths MNE's FFT resampling uses. The lengths are
// not ours to choose: the padded input length is a power of two with
// npad="auto" but anything with an explicit npad, and the output length is
// round(ratio * padded length), often with a large prime factor. gonum's
// FFTPACK handles any length but costs O(n·p) per prime factor p (minutes
// for a prime length of 10^5), so lengths with a large prime factor go
// through Bluestein's chirp-z algorithm on a power-of-two complex FFT.
//
// Smooth lengths use internal/dsp's shared plan cache; Bluestein plans hold
// buffers and are kept per worker. (Bluestein would belong in internal/dsp
// if another stage needed arbitrary lengths.)

// realFFT is an unnormalized real transform of one length. Values are not
// safe for concurrent use: each worker keeps its own.
type realFFT interface {
	// forward sets dst (n/2+1 values) to the DFT of src (n values).
	forward(dst []complex128, src []float64)
	// inverse sets dst (n values) to the unnormalized inverse DFT of the
	// Hermitian spectrum src (n/2+1 values); the imaginary parts of the DC
	// and (n even) Nyquist bins are ignored, as by scipy's irfft.
	inverse(dst []float64, src []complex128)
}

// bluesteinMinCost is the sum of the prime factors above 5 of a length
// (FFTPACK's generic radix passes cost about n·p each; 2, 3, 4 and 5 have
// fast passes) from which Bluestein's algorithm is cheaper. Measured with
// gonum 0.17 here: a Bluestein forward+inverse pair costs about 500 ns per
// sample, a generic pass about 0.9·p ns per sample (crossover near p = 500).
const bluesteinMinCost = 450

// newRealFFT returns a transform of length n ≥ 1.
func newRealFFT(n int) realFFT {
	if genericFactorCost(n) >= bluesteinMinCost {
		return newBluestein(n)
	}
	return pooledReal(n)
}

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

// pooledReal borrows a gonum plan of its length from internal/dsp for
// each call.
type pooledReal int

func (n pooledReal) forward(dst []complex128, src []float64) {
	f := dsp.GetFFT(int(n))
	f.Coefficients(dst, src)
	dsp.PutFFT(f)
}

func (n pooledReal) inverse(dst []float64, src []complex128) {
	f := dsp.GetFFT(int(n))
	f.Sequence(dst, src)
	dsp.PutFFT(f)
}

// bluestein computes a length-n DFT as a circular convolution of length m
// (a power of two ≥ 2n-1) with the chirp exp(iπk²/n).
type bluestein struct {
	n     int
	chirp []complex128 // exp(-iπk²/n), k < n
	kern  []complex128 // FFT of the conjugate chirp, wrapped, divided by m
	fft   *fourier.CmplxFFT
	buf   []complex128 // m values
	full  []complex128 // n values (inverse: the whole spectrum)
}

func newBluestein(n int) *bluestein {
	m := 1
	for m < 2*n-1 {
		m <<= 1
	}
	b := &bluestein{
		n:     n,
		chirp: make([]complex128, n),
		kern:  make([]complex128, m),
		fft:   fourier.NewCmplxFFT(m),
		buf:   make([]complex128, m),
		full:  make([]complex128, n),
	}
	// k² mod 2n keeps the angle exact for large k (k² itself would lose
	// the low bits in a float64 angle).
	n2 := int64(2 * n)
	for k := range n {
		kk := int64(k) * int64(k) % n2
		b.chirp[k] = cmplx.Rect(1, -math.Pi*float64(kk)/float64(n))
	}
	scale := 1 / float64(m)
	b.kern[0] = cmplx.Conj(b.chirp[0]) * complex(scale, 0)
	for k := 1; k < n; k++ {
		v := cmplx.Conj(b.chirp[k]) * complex(scale, 0)
		b.kern[k] = v
		b.kern[m-k] = v
	}
	b.fft.Coefficients(b.kern, b.kern)
	return b
}

// dft replaces x (n values) by its forward DFT.
func (b *bluestein) dft(x []complex128) {
	for k, v := range x {
		b.buf[k] = v * b.chirp[k]
	}
	clear(b.buf[b.n:])
	b.fft.Coefficients(b.buf, b.buf)
	for k := range b.buf {
		b.buf[k] *= b.kern[k]
	}
	b.fft.Sequence(b.buf, b.buf)
	for k := range x {
		x[k] = b.buf[k] * b.chirp[k]
	}
}

func (b *bluestein) forward(dst []complex128, src []float64) {
	for k, v := range src {
		b.full[k] = complex(v, 0)
	}
	b.dft(b.full)
	copy(dst, b.full[:b.n/2+1])
}

// inverse uses Σ_k Y[k] e^{+2πikj/n} = conj(DFT(conj(Y)))[j] and keeps the
// real part, which the outer conjugation does not change.
func (b *bluestein) inverse(dst []float64, src []complex128) {
	n := b.n
	h := n/2 + 1
	for k := range h {
		b.full[k] = cmplx.Conj(src[k])
	}
	b.full[0] = complex(real(src[0]), 0)
	if n%2 == 0 {
		b.full[n/2] = complex(real(src[n/2]), 0)
	}
	for k := h; k < n; k++ {
		b.full[k] = cmplx.Conj(b.full[n-k])
	}
	b.dft(b.full)
	for j := range dst {
		dst[j] = real(b.full[j])
	}
}
