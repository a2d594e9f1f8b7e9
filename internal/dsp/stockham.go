package dsp

import "math"

// stockham is a complex FFT of a power-of-two length for the convolution
// hot path: radix-4 Stockham stages (self-sorting, so no bit-reversal
// pass) with a final radix-2 stage for odd powers of two, and twiddle
// factors tabulated from math.Sincos (so the round-off stays at ~1e-16
// per stage instead of growing with the length as with twiddles
// computed by recurrence). On amd64 with AVX, the butterflies of all
// stages but the first run two at a time in assembly
// (stockham_amd64.s), bit-identical to the Go loop and about twice as
// fast; build with -tags purego for Go only. It is immutable and shared;
// callers bring the work buffer.
type stockham struct {
	n  int
	tw [][]complex128 // per radix-4 stage: w^p, w^2p, w^3p interleaved
}

func newStockham(n int) *stockham {
	if n < 1 || n&(n-1) != 0 {
		panic("dsp: stockham length must be a power of two")
	}
	s := &stockham{n: n}
	for l := n; l >= 4; l /= 4 {
		q := l / 4
		t := make([]complex128, 3*q)
		for p := 0; p < q; p++ {
			for k := 1; k <= 3; k++ {
				sn, cs := math.Sincos(2 * math.Pi * float64(k*p) / float64(l))
				t[3*p+k-1] = complex(cs, -sn)
			}
		}
		s.tw = append(s.tw, t)
	}
	return s
}

// forward computes the unnormalized DFT of x (Σ x_j e^{-2πijk/n}) using
// work (of the length of x) as the other buffer, and returns the one
// that holds the result (x or work: the stages alternate between them,
// and copying back would cost a pass).
func (s *stockham) forward(x, work []complex128) []complex128 {
	n := s.n
	src, dst := x, work
	stride := 1
	l := n
	for stage := 0; l >= 4; stage++ {
		q := l / 4
		tw := s.tw[stage]
		if stride == 1 {
			// first stage: one butterfly per p, contiguous quarters
			a0, a1, a2, a3 := src[0:q], src[q:2*q], src[2*q:3*q], src[3*q:4*q]
			a1, a2, a3 = a1[:len(a0)], a2[:len(a0)], a3[:len(a0)]
			dst := dst[:4*len(a0)]
			tw := tw[:3*len(a0)]
			for p := range a0 {
				a, b, c, d := a0[p], a1[p], a2[p], a3[p]
				apc, amc := a+c, a-c
				bpd, bmd := b+d, b-d
				jbmd := complex(-imag(bmd), real(bmd))
				o := dst[4*p : 4*p+4 : 4*p+4]
				w := tw[3*p : 3*p+3 : 3*p+3]
				o[0] = apc + bpd
				o[1] = w[0] * (amc - jbmd)
				o[2] = w[1] * (apc - bpd)
				o[3] = w[2] * (amc + jbmd)
			}
		} else if useAVX {
			sq := stride * q
			for p := 0; p < q; p++ {
				radix4AVX(&dst[stride*4*p], &src[stride*p], stride, sq, &tw[3*p])
			}
		} else {
			sq := stride * q
			for p := 0; p < q; p++ {
				w1, w2, w3 := tw[3*p], tw[3*p+1], tw[3*p+2]
				in0 := src[stride*p : stride*p+stride]
				in1 := src[stride*p+sq : stride*p+sq+stride]
				in2 := src[stride*p+2*sq : stride*p+2*sq+stride]
				in3 := src[stride*p+3*sq : stride*p+3*sq+stride]
				base := stride * 4 * p
				out0 := dst[base : base+stride]
				out1 := dst[base+stride : base+2*stride]
				out2 := dst[base+2*stride : base+3*stride]
				out3 := dst[base+3*stride : base+4*stride]
				// equal lengths let the compiler drop the bounds checks
				k := len(in0)
				in1, in2, in3 = in1[:k], in2[:k], in3[:k]
				out0, out1, out2, out3 = out0[:k], out1[:k], out2[:k], out3[:k]
				if p == 0 {
					for i := range in0 {
						a, b, c, d := in0[i], in1[i], in2[i], in3[i]
						apc, amc := a+c, a-c
						bpd, bmd := b+d, b-d
						jbmd := complex(-imag(bmd), real(bmd))
						out0[i] = apc + bpd
						out1[i] = amc - jbmd
						out2[i] = apc - bpd
						out3[i] = amc + jbmd
					}
					continue
				}
				for i := range in0 {
					a, b, c, d := in0[i], in1[i], in2[i], in3[i]
					apc, amc := a+c, a-c
					bpd, bmd := b+d, b-d
					jbmd := complex(-imag(bmd), real(bmd))
					out0[i] = apc + bpd
					out1[i] = w1 * (amc - jbmd)
					out2[i] = w2 * (apc - bpd)
					out3[i] = w3 * (amc + jbmd)
				}
			}
		}
		src, dst = dst, src
		stride *= 4
		l = q
	}
	if l == 2 {
		h := n / 2
		a0, a1 := src[:h], src[h:2*h]
		o0, o1 := dst[:h], dst[h:2*h]
		for i := range a0 {
			a, b := a0[i], a1[i]
			o0[i] = a + b
			o1[i] = a - b
		}
		src = dst
	}
	return src
}
