package maxwell

import (
	"os"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
)

// benchFile is the recording of the benchmarks: $MEGFLOW_BENCH_FILE, or
// the simulated run.
func benchFile(b *testing.B) string {
	if p := os.Getenv("MEGFLOW_BENCH_FILE"); p != "" {
		return p
	}
	return sharedtest.Path(b, simRaw)
}

func benchOptions(st float64) Options {
	opt := DefaultOptions()
	opt.Origin = &geom.Vec3{0, 0, 0.04}
	opt.STDuration = st
	return opt
}

// BenchmarkPrepare times the set-up: basis, 'in' regularization,
// pseudo-inverse and reconstruction basis.
func BenchmarkPrepare(b *testing.B) {
	raw, err := fif.OpenRaw(benchFile(b), fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	opt := benchOptions(0)
	for b.Loop() {
		if _, err := Prepare(raw.Info, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFilter(b *testing.B, st float64) {
	raw, err := fif.OpenRaw(benchFile(b), fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	p, err := Prepare(raw.Info, benchOptions(st))
	if err != nil {
		b.Fatal(err)
	}
	nch := len(raw.Info.Chs)
	block := raw.BufferSize()
	dst := make([]float64, nch*block)
	b.SetBytes(int64(nch) * raw.NTimes * 8)
	for b.Loop() {
		f, err := p.NewFilter(raw)
		if err != nil {
			b.Fatal(err)
		}
		for s := int64(0); s < raw.NTimes; s += int64(block) {
			e := min(s+int64(block), raw.NTimes)
			if err := f.ReadAll(dst[:nch*int(e-s)], s, e); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

// BenchmarkSSS reads and filters the whole recording (no writing).
func BenchmarkSSS(b *testing.B) { benchFilter(b, 0) }

// BenchmarkTSSS10 is the same with tSSS, 10 s buffers.
func BenchmarkTSSS10(b *testing.B) { benchFilter(b, 10) }

func benchWrite(b *testing.B, st float64) {
	path := benchFile(b)
	out := b.TempDir() + "/out_raw.fif"
	for b.Loop() {
		raw, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewFilter(raw, benchOptions(st))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fif.WriteRaw(out, f, fif.RawWriteOptions{BufferSize: raw.BufferSize()}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		raw.Close()
	}
}

// BenchmarkSSSWrite is what "megflow maxwell" does: open, prepare, filter
// and write the whole recording (float32).
func BenchmarkSSSWrite(b *testing.B) { benchWrite(b, 0) }

// BenchmarkTSSS10Write is the same with tSSS, 10 s buffers.
func BenchmarkTSSS10Write(b *testing.B) { benchWrite(b, 10) }

// BenchmarkApply filters one 2-s block in memory (no reading), with the
// fused products and with two separate ones.
func BenchmarkApply(b *testing.B) {
	raw, err := fif.OpenRaw(benchFile(b), fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	p, err := Prepare(raw.Info, benchOptions(0))
	if err != nil {
		b.Fatal(err)
	}
	n := int(min(raw.NTimes, 2200))
	src, err := raw.Read(nil, 0, int64(n))
	if err != nil {
		b.Fatal(err)
	}
	data := make([]float64, len(src))
	for _, fused := range []bool{true, false} {
		name := "fused"
		if !fused {
			name = "separate"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { noFuse = v }(noFuse)
			noFuse = !fused
			var sc scratch
			b.SetBytes(int64(len(src)) * 8)
			for b.Loop() {
				copy(data, src)
				if _, err := p.apply(data, n, false, &sc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
