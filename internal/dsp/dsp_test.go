package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestNextFastLen(t *testing.T) {
	smooth := func(n int) bool {
		for _, p := range []int{2, 3, 5} {
			for n%p == 0 {
				n /= p
			}
		}
		return n == 1
	}
	for n := -3; n <= 5000; n++ {
		got := NextFastLen(n)
		want := max(n, 1)
		for !smooth(want) {
			want++
		}
		if got != want {
			t.Fatalf("NextFastLen(%d) = %d, want %d", n, got, want)
		}
	}
	// values from scipy.fft.next_fast_len(n, real=True)
	for n, want := range map[int]int{7261: 7290, 100003: 101250, 1 << 20: 1 << 20, 1048577: 1049760} {
		if got := NextFastLen(n); got != want {
			t.Errorf("NextFastLen(%d) = %d, want %d", n, got, want)
		}
	}
}

// dft is the O(n²) definition, for checking transforms.
func dft(x []float64, n int) []complex128 {
	out := make([]complex128, n/2+1)
	for k := range out {
		var s complex128
		for j := 0; j < n && j < len(x); j++ {
			s += complex(x[j], 0) * cmplx.Rect(1, -2*math.Pi*float64(k*j%n)/float64(n))
		}
		out[k] = s
	}
	return out
}

func TestRFFTIRFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ len, n int }{{16, 16}, {15, 15}, {10, 16}, {20, 12}, {97, 97}, {1, 1}, {7, 8}} {
		x := make([]float64, tc.len)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		c := RFFT(nil, x, tc.n)
		want := dft(x, tc.n)
		for k := range want {
			if cmplx.Abs(c[k]-want[k]) > 1e-12 {
				t.Fatalf("RFFT len %d n %d: coef %d = %v, want %v", tc.len, tc.n, k, c[k], want[k])
			}
		}
		y := IRFFT(nil, c, tc.n)
		for i := range y {
			w := 0.0
			if i < len(x) {
				w = x[i]
			}
			if math.Abs(y[i]-w) > 1e-12 {
				t.Fatalf("IRFFT(RFFT) len %d n %d: y[%d] = %g, want %g", tc.len, tc.n, i, y[i], w)
			}
		}
	}
	// numpy drops the imaginary parts of DC and Nyquist in irfft.
	y := IRFFT(nil, []complex128{1 + 5i, 0, 2 - 7i}, 4)
	for i, want := range []float64{0.75, -0.25, 0.75, -0.25} {
		if math.Abs(y[i]-want) > 1e-15 {
			t.Fatalf("IRFFT ignoring DC/Nyquist imaginary parts: %v", y)
		}
	}
}

// directValid is the reference: the valid convolution with compensated
// (Neumaier) sums, accurate to ~1 ulp of the result.
func directValid(x, h []float64) []float64 {
	L := len(h)
	out := make([]float64, len(x)-L+1)
	for i := range out {
		var s, comp float64
		for k, hk := range h {
			v := hk * x[i+L-1-k]
			t := s + v
			if math.Abs(s) >= math.Abs(v) {
				comp += (s - t) + v
			} else {
				comp += (v - t) + s
			}
			s = t
		}
		out[i] = s + comp
	}
	return out
}

func randSignal(r *rand.Rand, n int, dc float64) []float64 {
	x := make([]float64, n)
	v := 0.0
	for i := range x {
		v = 0.95*v + r.NormFloat64()
		x[i] = v + dc
	}
	return x
}

func lowpassKernel(L int, fc float64) []float64 {
	h := make([]float64, L)
	m := float64(L-1) / 2
	for i := range h {
		t := float64(i) - m
		s := 2 * fc
		if t != 0 {
			s = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
		}
		h[i] = s * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(L-1)))
	}
	return h
}

func maxRelErr(got, want []float64) float64 {
	var e, ss float64
	for i := range want {
		e = math.Max(e, math.Abs(got[i]-want[i]))
		ss += want[i] * want[i]
	}
	return e / math.Sqrt(ss/float64(len(want)))
}

func TestConvValid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, L := range []int{1, 2, 5, 48, 49, 363, 1001} {
		h := lowpassKernel(L, 0.05)
		for _, n := range []int{1, 2, 7, 100, 5000} {
			x := randSignal(r, n+L-1, 1e3)
			want := directValid(x, h)
			for _, opt := range []ConvOptions{{}, {Engine: EngineFFTPACK}, {Engine: EngineGonumRadix4}, {OutLen: 64}, {OutLen: 64, Engine: EngineFFTPACK}} {
				c := NewConv(h, opt)
				got := make([]float64, n)
				c.Valid(got, x)
				tol := 2e-14
				if opt.Engine == EngineGonumRadix4 && !c.direct {
					tol = 5e-12
				}
				if e := maxRelErr(got, want); e > tol {
					t.Errorf("L=%d n=%d opt=%+v fft=%d: max error %.2e of the output rms, want < %.0e", L, n, opt, c.FFTLen(), e, tol)
				}
			}
		}
	}
}

func TestConvForcedLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	h := lowpassKernel(301, 0.1)
	x := randSignal(r, 20000+300, 0)
	want := directValid(x, h)
	for _, tc := range []struct {
		n int
		e Engine
	}{{512, EngineStockham}, {1024, EngineStockham}, {2048, EngineStockham}, {1 << 15, EngineStockham}, {1 << 16, EngineStockham},
		{1024, EngineGonumRadix4}, {1 << 15, EngineGonumRadix4}, {320, EngineFFTPACK}, {600, EngineFFTPACK}, {1000, EngineFFTPACK}} {
		c := NewConv(h, ConvOptions{FFTLen: tc.n, Engine: tc.e})
		got := make([]float64, len(want))
		c.Valid(got, x)
		tol := 2e-14
		if tc.e == EngineGonumRadix4 {
			tol = 5e-12 // gonum's radix-4 twiddles (see Conv)
		}
		if e := maxRelErr(got, want); e > tol {
			t.Errorf("FFT length %d engine %v: error %.2e", tc.n, tc.e, e)
		}
	}
}

func TestConvolveFull(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	h := make([]float64, 60) // long enough for the FFT path
	h[0], h[1], h[59] = 1, -1, 0.5
	got := Convolve(x, h)
	want := make([]float64, len(x)+len(h)-1)
	for i, xv := range x {
		for k, hv := range h {
			want[i+k] += xv * hv
		}
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Convolve: y[%d] = %g, want %g", i, got[i], want[i])
		}
	}
}

// TestConvConcurrent runs one Conv from many goroutines (go test -race).
func TestConvConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	h := lowpassKernel(501, 0.02)
	x := randSignal(r, 30000, 0)
	want := directValid(x, h)
	for _, eng := range []Engine{EngineStockham, EngineGonumRadix4, EngineFFTPACK} {
		c := NewConv(h, ConvOptions{Engine: eng})
		var wg sync.WaitGroup
		errs := make([]float64, 8)
		for g := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := make([]float64, len(want))
				c.Valid(got, x)
				errs[g] = maxRelErr(got, want)
			}()
		}
		wg.Wait()
		for g, e := range errs {
			if e > 5e-12 {
				t.Errorf("engine %v goroutine %d: error %.2e", eng, g, e)
			}
		}
	}
}

func TestGetPutFFT(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				n := []int{8, 30, 1000}[i%3]
				f := GetFFT(n)
				if f.Len() != n {
					t.Errorf("GetFFT(%d) has length %d", n, f.Len())
				}
				x := make([]float64, n)
				x[1] = 1
				c := f.Coefficients(nil, x)
				if math.Abs(real(c[1])-math.Cos(2*math.Pi/float64(n))) > 1e-12 {
					t.Errorf("wrong transform")
				}
				PutFFT(f)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkConvValid filters 10 minutes at 1 kHz with the kernel lengths
// of MNE's 40 Hz low-pass (331), 1 Hz high-pass (3301) and 50/100 Hz notch
// (6601) at 1 kHz; MB/s counts input samples as float64.
func BenchmarkConvValid(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	n := 600000
	for _, L := range []int{331, 3301, 6601} {
		h := lowpassKernel(L, 0.02)
		x := randSignal(r, n+L-1, 0)
		dst := make([]float64, n)
		for _, eng := range []Engine{EngineStockham, EngineGonumRadix4, EngineFFTPACK} {
			c := NewConv(h, ConvOptions{Engine: eng, OutLen: n})
			name := fmt.Sprintf("L=%d/%v/fft=%d", L, eng, c.FFTLen())
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(n) * 8)
				for i := 0; i < b.N; i++ {
					c.Valid(dst, x)
				}
			})
		}
	}
}

// BenchmarkConvFFTLen compares the forced FFT lengths of the fast engine
// for a 3301-tap kernel (to check choosePow2Len's model).
func BenchmarkConvFFTLen(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	n, L := 600000, 3301
	h := lowpassKernel(L, 0.02)
	x := randSignal(r, n+L-1, 0)
	dst := make([]float64, n)
	for _, fl := range []int{8192, 16384, 32768, 65536, 131072} {
		c := NewConv(h, ConvOptions{FFTLen: fl})
		b.Run(fmt.Sprintf("stockham/%d", fl), func(b *testing.B) {
			b.SetBytes(int64(n) * 8)
			for i := 0; i < b.N; i++ {
				c.Valid(dst, x)
			}
		})
	}
}

func BenchmarkRFFT(b *testing.B) {
	for _, n := range []int{1024, 7290, 16384, 100000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i % 7)
		}
		dst := make([]complex128, n/2+1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				RFFT(dst, x, n)
			}
		})
	}
}
