package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestEncodePNG round-trips opaque and translucent images, of odd sizes
// and with a non-zero origin, through encodePNG and image/png.
func TestEncodePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 8 {
		r := image.Rect(3, 5, 3+1+rng.IntN(90), 5+1+rng.IntN(70))
		m := image.NewRGBA(r)
		opaque := trial%2 == 0
		for i := 0; i < len(m.Pix); i += 4 {
			a := uint8(255)
			if !opaque {
				a = uint8(rng.IntN(256))
			}
			// Flat runs and noise, premultiplied.
			v := uint8(rng.IntN(3) * 100)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = min(v, a), uint8(rng.IntN(int(a)+1)), min(v/2, a), a
		}
		var buf bytes.Buffer
		if err := encodePNG(&buf, m); err != nil {
			t.Fatal(err)
		}
		d, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if d.Bounds().Size() != r.Size() {
			t.Fatalf("trial %d: decoded %v, want size %v", trial, d.Bounds(), r.Size())
		}
		for y := range r.Dy() {
			for x := range r.Dx() {
				// As image/png would store it, through NRGBA.
				want := color.NRGBAModel.Convert(m.RGBAAt(r.Min.X+x, r.Min.Y+y))
				if got := d.At(x, y); color.NRGBAModel.Convert(got) != want {
					t.Fatalf("trial %d: pixel (%d, %d) = %v, want %v", trial, x, y, got, want)
				}
			}
		}
	}
}

// TestPaethRow checks paethRow against the PNG specification's predictor.
func TestPaethRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, bpp := range []int{3, 4} {
		cur, prev, out := make([]byte, 300), make([]byte, 300), make([]byte, 300)
		for i := range cur {
			cur[i], prev[i] = byte(rng.IntN(256)), byte(rng.IntN(256))
		}
		paethRow(out, cur, prev, bpp)
		for i := range cur {
			var a, c int
			if i >= bpp {
				a, c = int(cur[i-bpp]), int(prev[i-bpp])
			}
			b := int(prev[i])
			p := a + b - c
			pa, pb, pc := max(p-a, a-p), max(p-b, b-p), max(p-c, c-p)
			pred := c
			if pa <= pb && pa <= pc {
				pred = a
			} else if pb <= pc {
				pred = b
			}
			if want := cur[i] - byte(pred); out[i] != want {
				t.Fatalf("bpp %d, byte %d: %d, want %d", bpp, i, out[i], want)
			}
		}
	}
}
