package preprocess

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestResampleRun2 checks that resampling two signals at once (run2, one
// complex transform for both at odd lengths with large prime factors)
// matches resampling them one by one.
func TestResampleRun2(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n     int
		ratio float64
	}{{5940, 0.2}, {5940, 0.5}, {3000, 1.7}, {1001, 0.3}, {20000, 220.0 / 1100}, {15000, 0.2}} {
		l, err := newResampleLayout(c.n, c.ratio, nil)
		if err != nil {
			t.Fatal(err)
		}
		x1, x2 := make([]float64, c.n), make([]float64, c.n)
		for i := range x1 {
			x1[i], x2[i] = rng.NormFloat64(), 1e3*rng.NormFloat64()
		}
		var w resampleWork
		a1, a2 := make([]float64, l.finalLen), make([]float64, l.finalLen)
		l.run2(a1, a2, x1, x2, &w)
		b1, b2 := make([]float64, l.finalLen), make([]float64, l.finalLen)
		l.run(b1, x1, &w)
		l.run(b2, x2, &w)
		for i := range a1 {
			if math.Abs(a1[i]-b1[i]) > 1e-14 || math.Abs(a2[i]-b2[i]) > 1e-11 {
				t.Fatalf("n=%d ratio %g sample %d: pair %g %g, single %g %g", c.n, c.ratio, i, a1[i], a2[i], b1[i], b2[i])
			}
		}
	}
}
