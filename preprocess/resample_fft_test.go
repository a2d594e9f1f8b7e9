package preprocess

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// naiveDFT is the textbook DFT, the reference for the fast transforms.
func naiveDFT(x []complex128) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	for k := range n {
		var s complex128
		for j, v := range x {
			s += v * cmplx.Rect(1, -2*math.Pi*float64(int64(j)*int64(k)%int64(n))/float64(n))
		}
		out[k] = s
	}
	return out
}

func TestRealFFTs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 8, 101, 202, 257, 1031, 2 * 1031} {
		x := make([]float64, n)
		xc := make([]complex128, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			xc[i] = complex(x[i], 0)
		}
		want := naiveDFT(xc)
		for name, tr := range map[string]realFFT{"plan": newRealFFT(n)} {
			got := make([]complex128, n/2+1)
			tr.forward(got, x)
			for k := range got {
				if cmplx.Abs(got[k]-want[k]) > 1e-9*math.Sqrt(float64(n)) {
					t.Fatalf("%s n=%d forward bin %d: %v, want %v", name, n, k, got[k], want[k])
				}
			}
			// The inverse ignores the imaginary parts of DC and Nyquist.
			got[0] += 5i
			if n%2 == 0 {
				got[n/2] -= 3i
			}
			back := make([]float64, n)
			tr.inverse(back, got)
			for i := range back {
				if d := math.Abs(back[i]/float64(n) - x[i]); d > 1e-13*float64(n) {
					t.Fatalf("%s n=%d inverse sample %d: off by %g", name, n, i, d)
				}
			}
		}
	}
}
