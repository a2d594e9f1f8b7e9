// Package dsp holds the numerical kernels shared by megflow's signal
// processing: FFT sizes, a cache of real-FFT plans that goroutines can
// share, real transforms with numpy's conventions, and FFT-based
// convolution of long real signals with real kernels.
//
// RFFT, IRFFT and GetFFT are gonum's (gonum.org/v1/gonum/dsp/fourier).
// Its general real FFT (fourier.FFT, a port of FFTPACK) handles any length
// but is O(n²) on large prime factors, hence NextFastLen; its plans hold
// work buffers, so they must not be shared between goroutines: GetFFT and
// PutFFT lend one plan per goroutine. RealFFT (realfft.go) is faster for
// powers of two (radix-4 Stockham, AVX on amd64) and for lengths with
// large prime factors (Bluestein), and falls back to FFTPACK otherwise.
package dsp

import (
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// NextFastLen returns the smallest 2^a·3^b·5^c that is >= n (1 for
// n <= 1): the FFT length to pad to, as scipy.fft.next_fast_len and MNE's
// next_fast_len for real transforms.
func NextFastLen(n int) int {
	if n <= 1 {
		return 1
	}
	best := -1
	// Walk all 5^c·3^b below n and complete each with the least power of
	// two; the search is O(log² n).
	for p5 := 1; ; p5 *= 5 {
		for p35 := p5; ; p35 *= 3 {
			p := p35
			for p < n {
				p *= 2
			}
			if best < 0 || p < best {
				best = p
			}
			if p35 >= n {
				break
			}
		}
		if p5 >= n {
			break
		}
	}
	return best
}

// plans maps an FFT length to a *sync.Pool of *fourier.FFT of that length.
var plans sync.Map

func planPool(n int) *sync.Pool {
	if p, ok := plans.Load(n); ok {
		return p.(*sync.Pool)
	}
	p, _ := plans.LoadOrStore(n, &sync.Pool{New: func() any { return fourier.NewFFT(n) }})
	return p.(*sync.Pool)
}

// GetFFT returns a real-FFT plan of length n for the calling goroutine's
// exclusive use; hand it back with PutFFT. Plans are built once per length
// and reused (building one costs about as much as a transform).
func GetFFT(n int) *fourier.FFT {
	if n < 1 {
		panic("dsp: FFT length must be positive")
	}
	return planPool(n).Get().(*fourier.FFT)
}

// PutFFT returns a plan obtained from GetFFT to the cache. The caller must
// not use it afterwards.
func PutFFT(f *fourier.FFT) {
	if f != nil && f.Len() > 0 {
		planPool(f.Len()).Put(f)
	}
}

// RFFT computes numpy.fft.rfft(x, n): the n/2+1 coefficients of the
// real sequence x truncated or zero-padded to length n (unnormalized). dst
// is reused when it has room. It is safe for concurrent use.
func RFFT(dst []complex128, x []float64, n int) []complex128 {
	if n < 1 {
		panic("dsp: RFFT length must be positive")
	}
	f := GetFFT(n)
	defer PutFFT(f)
	var seq []float64
	if len(x) == n {
		seq = x
	} else {
		seq = make([]float64, n)
		copy(seq, x)
	}
	dst = resizeComplex(dst, n/2+1)
	return f.Coefficients(dst, seq)
}

// IRFFT computes numpy.fft.irfft(c, n): the real sequence of length n
// whose half spectrum is c, truncated or zero-padded to n/2+1
// coefficients, normalized by 1/n. As numpy, it ignores the imaginary
// parts of the DC coefficient and (for even n) of the Nyquist coefficient.
// dst is reused when it has room. It is safe for concurrent use.
func IRFFT(dst []float64, c []complex128, n int) []float64 {
	if n < 1 {
		panic("dsp: IRFFT length must be positive")
	}
	f := GetFFT(n)
	defer PutFFT(f)
	m := n/2 + 1
	coef := make([]complex128, m)
	copy(coef, c[:min(len(c), m)])
	dst = resizeFloat(dst, n)
	f.Sequence(dst, coef)
	inv := 1 / float64(n)
	for i := range dst {
		dst[i] *= inv
	}
	return dst
}

func resizeComplex(s []complex128, n int) []complex128 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]complex128, n)
}

func resizeFloat(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
