package report

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestBlitMatchesDrawImage draws random images, opaque or not, RGBA and
// NRGBA, scaled up and down at fractional positions, with drawImage and
// with vgimg's DrawImage, and wants the same pixels.
func TestBlitMatchesDrawImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 60 {
		dpi := []int{72, 96, 144}[trial%3]
		w, h := vg.Length(2+3*rng.Float64())*vg.Inch, vg.Length(1+2*rng.Float64())*vg.Inch
		iw, ih := 1+rng.IntN(300), 1+rng.IntN(200)
		var img image.Image
		opaque := trial%4 == 0
		alpha := func() uint8 {
			if opaque {
				return 255
			}
			return []uint8{0, 0, 80, 255}[rng.IntN(4)]
		}
		if trial%2 == 0 {
			m := image.NewNRGBA(image.Rect(0, 0, iw, ih))
			for i := 0; i < len(m.Pix); i += 4 {
				m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), alpha()
			}
			img = m
		} else {
			m := image.NewRGBA(image.Rect(0, 0, iw, ih))
			for i := 0; i < len(m.Pix); i += 4 {
				a := alpha()
				m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(rng.IntN(int(a)+1)), uint8(rng.IntN(int(a)+1)), uint8(rng.IntN(int(a)+1)), a
			}
			img = m
		}
		if trial%3 == 1 && !opaque {
			// Transparent but for a block, as around a plot's drawing.
			bx0, by0 := rng.IntN(iw), rng.IntN(ih)
			bx1, by1 := bx0+rng.IntN(iw-bx0+1), by0+rng.IntN(ih-by0+1)
			var p []uint8
			var stride int
			switch m := img.(type) {
			case *image.NRGBA:
				p, stride = m.Pix, m.Stride
			case *image.RGBA:
				p, stride = m.Pix, m.Stride
			}
			for y := range ih {
				for x := range iw {
					if x < bx0 || x >= bx1 || y < by0 || y >= by1 {
						copy(p[y*stride+4*x:y*stride+4*x+4], []uint8{0, 0, 0, 0})
					}
				}
			}
		}
		// A rectangle partly outside the canvas now and then.
		r := vg.Rectangle{Min: vg.Point{X: w * vg.Length(rng.Float64()*0.6-0.1), Y: h * vg.Length(rng.Float64()*0.6-0.1)}}
		r.Max = vg.Point{X: r.Min.X + w*vg.Length(0.1+0.5*rng.Float64()), Y: r.Min.Y + h*vg.Length(0.1+0.5*rng.Float64())}
		var got, want *vgimg.Canvas
		for k := range 2 {
			cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.NRGBA{200, 220, 240, 255}))
			c := draw.New(cv)
			// Something under the image, as in a plot.
			c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(3)}, 0, 0, w, h)
			if k == 0 {
				dst := cv.Image().(*image.RGBA)
				if !blit(dst, imageMap(cv.DPI(), dst.Rect.Dy(), r, img.Bounds()), img) {
					t.Fatalf("trial %d: blit refused %T", trial, img)
				}
				got = cv
			} else {
				c.DrawImage(r, img)
				want = cv
			}
		}
		g, wt := got.Image().(*image.RGBA), want.Image().(*image.RGBA)
		if !bytes.Equal(g.Pix, wt.Pix) {
			n := 0
			for i := range g.Pix {
				if g.Pix[i] != wt.Pix[i] {
					n++
				}
			}
			t.Errorf("trial %d (%T %d×%d into %v at %d dpi): %d bytes differ", trial, img, iw, ih, r, dpi, n)
		}
	}
}
