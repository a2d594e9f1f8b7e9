//go:build amd64 && !purego

package dsp

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestStockhamAVXBitIdentical checks that the AVX butterflies give the
// same bits as the Go loop.
func TestStockhamAVXBitIdentical(t *testing.T) {
	if !cpu.X86.HasAVX {
		t.Skip("no AVX")
	}
	defer func(v bool) { useAVX = v }(useAVX)
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{4, 8, 16, 64, 512, 4096, 32768} {
		s := newStockham(n)
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(r.NormFloat64(), r.NormFloat64())
		}
		a, b := append([]complex128(nil), x...), append([]complex128(nil), x...)
		work := make([]complex128, n)
		useAVX = true
		a = append([]complex128(nil), s.forward(a, work)...)
		useAVX = false
		b = s.forward(b, work)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("n=%d: element %d: AVX %v, Go %v", n, i, a[i], b[i])
			}
		}
	}
}

func BenchmarkStockham(b *testing.B) {
	for _, avx := range []bool{false, true} {
		if avx && !cpu.X86.HasAVX {
			continue
		}
		name := "go"
		if avx {
			name = "avx"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { useAVX = v }(useAVX)
			useAVX = avx
			s := newStockham(16384)
			x := make([]complex128, 16384)
			w := make([]complex128, 16384)
			for i := range x {
				x[i] = complex(float64(i%7), float64(i%3))
			}
			for i := 0; i < b.N; i++ {
				s.forward(x, w)
			}
		})
	}
}
