package preprocess

import "github.com/megflow/megflow/internal/dsp"

// Real FFTs of the exact lengths MNE's FFT resampling uses. The lengths are
// not ours to choose: the padded input length is a power of two with
// npad="auto" but anything with an explicit npad, and the output length is
// round(ratio * padded length), often with a large prime factor. gonum's
// FFTPACK handles any length but costs O(n·p) per prime factor p (minutes
// for a prime length of 10^5), so lengths with a large prime factor go
// through Bluestein's chirp-z algorithm on a power-of-two complex FFT
// (dsp.RealFFT chooses).

// realFFT is an unnormalized real transform of one length: the shared,
// concurrency-safe plans of internal/dsp (Stockham for powers of two,
// Bluestein on Stockham for lengths with large prime factors, FFTPACK for
// the other smooth lengths).
type realFFT struct{ p *dsp.RealFFT }

func newRealFFT(n int) realFFT { return realFFT{dsp.RealFFTPlan(n)} }

// forward sets dst (n/2+1 values) to the DFT of src (n values).
func (r realFFT) forward(dst []complex128, src []float64) { r.p.Forward(dst, src) }

// inverse sets dst (n values) to the unnormalized inverse DFT of the
// Hermitian spectrum src (n/2+1 values); the imaginary parts of the DC and
// (n even) Nyquist bins are ignored, as by scipy's irfft.
func (r realFFT) inverse(dst []float64, src []complex128) { r.p.InverseUnscaled(dst, src) }
