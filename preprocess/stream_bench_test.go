package preprocess

import (
	"os"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// benchRaw opens $MEGFLOW_BENCH_FILE (scripts/bench_filter.sh builds a
// 9-minute recording), else the shared simulated run.
func benchRaw(b *testing.B) *fif.Raw {
	path := os.Getenv("MEGFLOW_BENCH_FILE")
	if path == "" {
		path = sharedtest.Path(b, "data/sim/facerec_sim_raw.fif")
	}
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	return raw
}

// drain reads a source to the end in blocks of one second, as WriteRaw
// does, and returns the sum of the samples (so nothing is optimized away).
func drain(b *testing.B, src fif.RawSource) float64 {
	nch := len(src.RawInfo().Chs)
	n := src.RawNTimes()
	blk := int64(src.RawInfo().SFreq)
	buf := make([]float64, int64(nch)*blk)
	var s float64
	for s0 := int64(0); s0 < n; s0 += blk {
		s1 := min(s0+blk, n)
		part := buf[:int64(nch)*(s1-s0)]
		if err := src.ReadAll(part, s0, s1); err != nil {
			b.Fatal(err)
		}
		s += part[0]
	}
	return s
}

// BenchmarkFilterRaw streams a 1-40 Hz band-pass (FIR and IIR) and a
// 50/100 Hz notch of a recording, reading the source and the result once;
// BenchmarkReadRaw is the reading alone. MB/s counts output float64s.
func BenchmarkFilterRaw(b *testing.B) {
	raw := benchRaw(b)
	bytes := int64(len(raw.Info.Chs)) * raw.NTimes * 8
	designs := []struct {
		name string
		mk   func() (*Filter, error)
	}{
		{"fir_bandpass1_40", func() (*Filter, error) { return CreateFilter(raw.Info.SFreq, 1, 40, FilterOptions{}) }},
		{"iir_bandpass1_40", func() (*Filter, error) {
			return CreateFilter(raw.Info.SFreq, 1, 40, FilterOptions{Method: "iir"})
		}},
		{"notch50_100", func() (*Filter, error) { return NotchFilter(raw.Info.SFreq, []float64{50, 100}, NotchOptions{}) }},
	}
	for _, d := range designs {
		f, err := d.mk()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(bytes)
			for i := 0; i < b.N; i++ {
				src, err := NewFilteredRaw(raw, f, nil, StreamOptions{})
				if err != nil {
					b.Fatal(err)
				}
				drain(b, src)
				src.Close()
			}
		})
	}
}

func BenchmarkReadRaw(b *testing.B) {
	raw := benchRaw(b)
	b.SetBytes(int64(len(raw.Info.Chs)) * raw.NTimes * 8)
	for i := 0; i < b.N; i++ {
		drain(b, raw)
	}
}
