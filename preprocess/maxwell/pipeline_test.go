package maxwell

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestFusedMatchesSeparate checks that the panel-by-panel products give
// the bits of the two separate products, on blocks of awkward lengths.
func TestFusedMatchesSeparate(t *testing.T) {
	if !haveFMA {
		t.Skip("no AVX2/FMA: the fused path is off")
	}
	raw, err := fif.OpenRaw(sharedtest.Path(t, simRaw), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := Prepare(raw.Info, benchOptions(0))
	if err != nil {
		t.Fatal(err)
	}
	nch := len(raw.Info.Chs)
	for _, n := range []int{1, 7, 129, 1001, 2200} {
		src, err := raw.Read(nil, 0, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		var got, want []float64
		var encGot, encWant []byte
		cals := make([]float64, nch)
		for i := range cals {
			cals[i] = 1e-13 * float64(1+i%5)
		}
		for _, fused := range []bool{true, false} {
			noFuse = !fused
			data := append([]float64(nil), src...)
			sc := scratch{cals: cals}
			if _, err := p.apply(data, n, false, &sc); err != nil {
				t.Fatal(err)
			}
			if fused {
				got, encGot = data, append([]byte(nil), sc.enc...)
			} else {
				want, encWant = data, sc.enc
			}
		}
		noFuse = false
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("n=%d: value %d (channel %d): fused %g, separate %g", n, i, i/n, got[i], want[i])
			}
		}
		if string(encGot) != string(encWant) {
			t.Fatalf("n=%d: encodings differ", n)
		}
		// The encoding is float32(value / cal), big-endian, sample-major.
		for s := range n {
			for ch := range nch {
				o := 4 * (s*nch + ch)
				u := uint32(encGot[o])<<24 | uint32(encGot[o+1])<<16 | uint32(encGot[o+2])<<8 | uint32(encGot[o+3])
				if w := math.Float32bits(float32(want[ch*n+s] / cals[ch])); u != w {
					t.Fatalf("n=%d: sample %d channel %d encoded %08x, want %08x", n, s, ch, u, w)
				}
			}
		}
	}
}

// plainSource hides the copy-free methods of a Filter from fif.WriteRaw.
type plainSource struct{ f *Filter }

func (s plainSource) RawInfo() *fif.Info  { return s.f.RawInfo() }
func (s plainSource) RawFirstSamp() int64 { return s.f.RawFirstSamp() }
func (s plainSource) RawNTimes() int64    { return s.f.RawNTimes() }
func (s plainSource) ReadAll(dst []float64, start, stop int64) error {
	return s.f.ReadAll(dst, start, stop)
}

// TestWriteEncoded checks that writing through the filter's own encoding
// (and its copy-free blocks) gives the file written from ReadAll.
func TestWriteEncoded(t *testing.T) {
	path := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	for _, c := range []struct {
		st     float64
		bufLen int
		format string
	}{{0, 0, ""}, {0, 777, ""}, {10, 0, ""}, {0, 0, "double"}} {
		var files [2]string
		for k, plain := range []bool{false, true} {
			raw, err := fif.OpenRaw(path, fif.RawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f, err := NewFilter(raw, benchOptions(c.st))
			if err != nil {
				t.Fatal(err)
			}
			var src fif.RawSource = f
			if plain {
				src = plainSource{f}
			}
			files[k] = filepath.Join(dir, []string{"enc", "plain"}[k]+"_raw.fif")
			if _, err := fif.WriteRaw(files[k], src, fif.RawWriteOptions{Format: c.format, BufferSize: c.bufLen}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			raw.Close()
		}
		var data [2][]float64
		for k, name := range files {
			r, err := fif.OpenRaw(name, fif.RawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if data[k], err = r.Read(nil, 0, r.NTimes); err != nil {
				t.Fatal(err)
			}
			r.Close()
		}
		if len(data[0]) != len(data[1]) {
			t.Fatalf("%+v: %d and %d values", c, len(data[0]), len(data[1]))
		}
		for i := range data[0] {
			if math.Float64bits(data[0][i]) != math.Float64bits(data[1][i]) {
				t.Fatalf("%+v: value %d: %g written through the filter's encoding, %g through ReadAll", c, i, data[0][i], data[1][i])
			}
		}
	}
}

// TestEncodeFloat32 compares the vector encoding with float32(v / cal),
// big-endian, on values of every kind (signed zeros, subnormals, values
// that overflow float32, Inf, NaN) and awkward shapes.
func TestEncodeFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -1e-310,
		1e39, -3.5e38, math.MaxFloat32, 1.5 * math.SmallestNonzeroFloat32, 0.5 * math.SmallestNonzeroFloat32}
	for _, shape := range []struct{ nch, n, s0, s1 int }{{310, 2200, 0, 2200}, {310, 2200, 128, 256}, {7, 33, 3, 30}, {5, 9, 0, 9}, {4, 4, 0, 4}, {3, 10, 0, 10}, {6, 3, 0, 3}} {
		data := make([]float64, shape.nch*shape.n)
		for i := range data {
			switch rng.IntN(4) {
			case 0:
				data[i] = specials[rng.IntN(len(specials))]
			case 1:
				data[i] = rng.NormFloat64() * 1e-12
			default:
				data[i] = math.Ldexp(rng.Float64()-0.5, rng.IntN(300)-150)
			}
		}
		cals := make([]float64, shape.nch)
		for i := range cals {
			cals[i] = []float64{1e-13, 3.1e-14, 1, -2.5e-6, 7e-310}[i%5] * (1 + rng.Float64())
		}
		frame := 4 * shape.nch
		got := make([]byte, shape.n*frame)
		want := make([]byte, shape.n*frame)
		encodeFloat32(got, data, shape.n, cals, shape.s0, shape.s1)
		noVecEncode = true
		encodeFloat32(want, data, shape.n, cals, shape.s0, shape.s1)
		noVecEncode = false
		for s := shape.s0; s < shape.s1; s++ {
			for ch := range shape.nch {
				o := s*frame + 4*ch
				w := math.Float32bits(float32(data[ch*shape.n+s] / cals[ch]))
				g := uint32(got[o])<<24 | uint32(got[o+1])<<16 | uint32(got[o+2])<<8 | uint32(got[o+3])
				if g != w || string(got[o:o+4]) != string(want[o:o+4]) {
					t.Fatalf("%+v: sample %d channel %d (%g / %g): got %08x, want %08x", shape, s, ch, data[ch*shape.n+s], cals[ch], g, w)
				}
			}
		}
		if string(got) != string(want) {
			t.Fatalf("%+v: bytes outside [s0, s1) written", shape)
		}
	}
}
