package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestRealFFTvsFFTPACK compares every engine with gonum's FFTPACK (or,
// for lengths with large prime factors, where FFTPACK itself is off by up
// to 1e-8, with a DFT by exact twiddle table): maximum error relative to
// the largest coefficient (forward) or sample (inverse).
func TestRealFFTvsFFTPACK(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 16, 64, 1024, 1 << 16, 1 << 20,
		2 * 1031, 1031, 2 * 257 * 3, 257 * 9, 209715, 2 * 209715, 13107, 2 * 4099, 1000, 1536, 49, 98}
	for _, n := range sizes {
		p := NewRealFFT(n)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		var ref interface {
			Coefficients([]complex128, []float64) []complex128
			Sequence([]float64, []complex128) []float64
		} = fourier.NewFFT(n)
		if genericFactorCost(n) > 100 {
			ref = newNaiveDFT(n)
		}
		want := ref.Coefficients(nil, x)
		got := p.Forward(nil, x)
		var scale, worst float64
		for k := range want {
			scale = math.Max(scale, cabs(want[k]))
		}
		for k := range want {
			worst = math.Max(worst, cabs(got[k]-want[k]))
		}
		// spectrum with non-zero imaginary parts at DC and Nyquist, to be
		// ignored
		spec := append([]complex128(nil), want...)
		spec[0] += 7i
		if n%2 == 0 {
			spec[n/2] -= 3i
		}
		back := p.InverseUnscaled(nil, spec)
		clean := append([]complex128(nil), want...)
		clean[0] = complex(real(clean[0]), 0)
		if n%2 == 0 {
			clean[n/2] = complex(real(clean[n/2]), 0)
		}
		wantBack := ref.Sequence(nil, clean)
		var bscale, bworst float64
		for i := range wantBack {
			bscale = math.Max(bscale, math.Abs(wantBack[i]))
			bworst = math.Max(bworst, math.Abs(back[i]-wantBack[i]))
		}
		t.Logf("n=%d %s: forward %.2g, inverse %.2g", n, p.Engine(), worst/scale, bworst/bscale)
		if worst > 1e-14*scale || bworst > 1e-14*bscale {
			t.Errorf("n=%d %s: forward error %.3g, inverse error %.3g (relative)", n, p.Engine(), worst/scale, bworst/bscale)
		}
		// numpy's irfft normalization: round trip
		rt := p.Inverse(nil, p.Forward(nil, x))
		for i := range x {
			if d := math.Abs(rt[i] - x[i]); d > 1e-13 {
				t.Fatalf("n=%d round trip sample %d off by %g", n, i, d)
			}
		}
	}
}

// naiveDFT is the real DFT summed directly with the twiddles
// exp(-2πi·(jk mod n)/n) from math.Sincos.
type naiveDFT struct{ w []complex128 }

func newNaiveDFT(n int) *naiveDFT {
	w := make([]complex128, n)
	for k := range w {
		sn, cs := math.Sincos(2 * math.Pi * float64(k) / float64(n))
		w[k] = complex(cs, -sn)
	}
	return &naiveDFT{w}
}

func (d *naiveDFT) Coefficients(_ []complex128, x []float64) []complex128 {
	n := len(d.w)
	out := make([]complex128, n/2+1)
	for k := range out {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * d.w[j*k%n]
		}
		out[k] = s
	}
	return out
}

func (d *naiveDFT) Sequence(_ []float64, c []complex128) []float64 {
	n := len(d.w)
	out := make([]float64, n)
	for j := range out {
		s := real(c[0])
		for k := 1; k < len(c); k++ {
			v := c[k] * conj(d.w[j*k%n])
			if 2*k == n {
				s += real(v)
			} else {
				s += 2 * real(v)
			}
		}
		out[j] = s
	}
	return out
}

func cabs(v complex128) float64 { return math.Hypot(real(v), imag(v)) }

// TestRealFFTPadding checks numpy's truncation and zero-padding of the
// inputs against the explicit padding.
func TestRealFFTPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{8, 1024, 2 * 1031, 1031, 1000} {
		p := RealFFTPlan(n)
		if RealFFTPlan(n) != p {
			t.Fatal("RealFFTPlan does not cache")
		}
		for _, l := range []int{n / 3, n - 1, n + 5} {
			x := make([]float64, l)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			px := make([]float64, n)
			copy(px, x)
			a, b := p.Forward(nil, x), p.Forward(nil, px)
			for k := range a {
				if a[k] != b[k] {
					t.Fatalf("n=%d len %d: bin %d %v != %v", n, l, k, a[k], b[k])
				}
			}
			for _, nc := range []int{n / 5, n/2 + 3} {
				c := make([]complex128, nc)
				for i := range c {
					c[i] = complex(rng.NormFloat64(), rng.NormFloat64())
				}
				pc := make([]complex128, n/2+1)
				copy(pc, c[:min(nc, n/2+1)])
				u, v := p.Inverse(nil, c), p.Inverse(nil, pc)
				for i := range u {
					if math.Abs(u[i]-v[i]) > 1e-15 {
						t.Fatalf("n=%d %d coefs: sample %d %v != %v", n, nc, i, u[i], v[i])
					}
				}
			}
		}
	}
	for n, want := range map[int]int{13107: 274, 1 << 20: 0, 209715: 83, 65537: 65537, 49: 14} {
		if got := genericFactorCost(n); got != want {
			t.Errorf("genericFactorCost(%d) = %d, want %d", n, got, want)
		}
	}
}

// BenchmarkRealFFTEngines times a forward+inverse pair of the plan against
// gonum's FFTPACK at the lengths of resampling 9 minutes at 1100 Hz.
func BenchmarkRealFFTEngines(b *testing.B) {
	for _, n := range []int{1 << 20, 209715, 1 << 18, 13107, 2 * 13107} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(float64(i) / 7)
		}
		c := make([]complex128, n/2+1)
		p := NewRealFFT(n)
		b.Run(fmt.Sprintf("%d/%s", n, p.Engine()), func(b *testing.B) {
			for b.Loop() {
				p.Forward(c, x)
				p.InverseUnscaled(x, c)
			}
		})
		f := fourier.NewFFT(n)
		b.Run(fmt.Sprintf("%d/fftpack", n), func(b *testing.B) {
			for b.Loop() {
				f.Coefficients(c, x)
				f.Sequence(x, c)
			}
		})
	}
}

// TestRealFFTPairs checks Forward2 and InverseUnscaled2 against the
// single transforms, each relative to its own scale (the pair must not
// leak the round-off of a large input into a small or zero one).
func TestRealFFTPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1031, 209715, 1024, 2062, 1000, 3} {
		for _, amp := range [][2]float64{{1, 1}, {1e-13, 1e-5}, {3e7, 1e-12}, {0, 1}, {1, 0}} {
			p := NewRealFFT(n)
			x1, x2 := make([]float64, n), make([]float64, n)
			for i := range x1 {
				x1[i], x2[i] = amp[0]*rng.NormFloat64(), amp[1]*rng.NormFloat64()
			}
			a1, a2 := p.Forward2(nil, nil, x1, x2)
			w1, w2 := p.Forward(nil, x1), p.Forward(nil, x2)
			if e := relErrC(a1, w1); e > 1e-14 {
				t.Errorf("n=%d %s amp %v: pair forward error %.3g (first)", n, p.Engine(), amp, e)
			}
			if e := relErrC(a2, w2); e > 1e-14 {
				t.Errorf("n=%d %s amp %v: pair forward error %.3g (second)", n, p.Engine(), amp, e)
			}
			w1[0] += complex(0, 3*amp[0])
			w2[0] -= complex(0, 2*amp[1])
			b1, b2 := p.InverseUnscaled2(nil, nil, w1, w2)
			v1, v2 := p.InverseUnscaled(nil, w1), p.InverseUnscaled(nil, w2)
			if e := relErr(b1, v1); e > 1e-14 {
				t.Errorf("n=%d %s amp %v: pair inverse error %.3g (first)", n, p.Engine(), amp, e)
			}
			if e := relErr(b2, v2); e > 1e-14 {
				t.Errorf("n=%d %s amp %v: pair inverse error %.3g (second)", n, p.Engine(), amp, e)
			}
		}
	}
}

// relErr is max|a-b| / max|b| (0 when both are zero, +Inf when only b is).
func relErr(a, b []float64) float64 {
	var d, s float64
	for i := range b {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		s = math.Max(s, math.Abs(b[i]))
	}
	if d == 0 {
		return 0
	}
	return d / s
}

func relErrC(a, b []complex128) float64 {
	var d, s float64
	for i := range b {
		d = math.Max(d, cabs(a[i]-b[i]))
		s = math.Max(s, cabs(b[i]))
	}
	if d == 0 {
		return 0
	}
	return d / s
}

// TestRealFFTConcurrent shares plans between goroutines (run with -race).
func TestRealFFTConcurrent(t *testing.T) {
	sizes := []int{1024, 1031, 2062, 1000}
	want := make([][]complex128, len(sizes))
	x := make([]float64, 2062)
	for i := range x {
		x[i] = math.Sin(float64(i) / 3)
	}
	for i, n := range sizes {
		want[i] = RealFFTPlan(n).Forward(nil, x[:n])
	}
	errs := make(chan string, 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range 20 {
				i := (g + it) % len(sizes)
				p := RealFFTPlan(sizes[i])
				got := p.Forward(nil, x[:sizes[i]])
				back := p.Inverse(nil, got)
				for k := range got {
					if got[k] != want[i][k] {
						errs <- fmt.Sprintf("n=%d: bin %d differs between goroutines", sizes[i], k)
						return
					}
				}
				for j, v := range back {
					if math.Abs(v-x[j]) > 1e-12 {
						errs <- fmt.Sprintf("n=%d: round trip off at %d", sizes[i], j)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
