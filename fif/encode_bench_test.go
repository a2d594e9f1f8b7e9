package fif

import (
	"testing"

	"github.com/megflow/megflow/fif/tag"
)

// BenchmarkEncodeBuffer encodes one second of 310 channels at 1100 Hz.
func BenchmarkEncodeBuffer(b *testing.B) {
	const nchan, n = 310, 1100
	block := make([]float64, nchan*n)
	cals := make([]float64, nchan)
	for i := range block {
		block[i] = float64(i%1000) * 1e-13
	}
	for i := range cals {
		cals[i] = 1e-13
	}
	buf := make([]byte, 0, 4*nchan*n)
	b.SetBytes(int64(len(block) * 8))
	for b.Loop() {
		var err error
		if buf, err = encodeRows(buf, block, n, nchan, n, cals, tag.Float); err != nil {
			b.Fatal(err)
		}
	}
}
