package report

import (
	"image"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// drawImage draws img over rect of c like c.DrawImage, with the same
// pixels, but several times faster on PNG canvases.
//
// vgimg draws images through gg, which resamples them with
// golang.org/x/image/draw's bilinear Kernel.Transform for any affine
// map, recomputing the kernel weights of every destination pixel. Our
// images are only scaled and translated, so the weights of a pixel depend
// on its column alone and on its row alone: blit computes them once per
// column and once per row, and then does the very arithmetic of
// Kernel.Transform, in the same order, so that every pixel comes out
// bit for bit the same (TestBlitMatchesDrawImage checks it). Other
// canvases, image types or maps go through c.DrawImage.
func drawImage(c draw.Canvas, rect vg.Rectangle, img image.Image) {
	cv, ok := pngCanvas(c)
	if !ok {
		c.DrawImage(rect, img)
		return
	}
	dst, ok := cv.Image().(*image.RGBA)
	if !ok || !blit(dst, imageMap(cv.DPI(), dst.Rect.Dy(), rect, img.Bounds()), img) {
		c.DrawImage(rect, img)
	}
}

// pngCanvas returns the vgimg canvas under c: plot.Draw hands plotters a
// draw.Canvas wrapping another, which passes DrawImage on unchanged.
func pngCanvas(c draw.Canvas) (*vgimg.Canvas, bool) {
	cv := c.Canvas
	for {
		switch v := cv.(type) {
		case *vgimg.Canvas:
			return v, true
		case draw.Canvas:
			cv = v.Canvas
		case *draw.Canvas:
			cv = v.Canvas
		default:
			return nil, false
		}
	}
}

// affine is gg's Matrix.
type affine struct{ xx, yx, xy, yy, x0, y0 float64 }

// mul is gg's a.Multiply(b), with the same operations (gg's
// m.Translate(x, y) is translation(x, y).mul(m)).
func (a affine) mul(b affine) affine {
	return affine{
		a.xx*b.xx + a.yx*b.xy,
		a.xx*b.yx + a.yx*b.yy,
		a.xy*b.xx + a.yy*b.xy,
		a.xy*b.yx + a.yy*b.yy,
		a.x0*b.xx + a.y0*b.xy + b.x0,
		a.x0*b.yx + a.y0*b.yy + b.y0,
	}
}

func (a affine) translate(x, y float64) affine { return affine{1, 0, 0, 1, x, y}.mul(a) }
func (a affine) scale(x, y float64) affine     { return affine{x, 0, 0, y, 0, 0}.mul(a) }

// imageMap returns the source-to-destination map with which
// vgimg.Canvas.DrawImage and gg.Context.DrawImage draw an image of bounds
// sb into rect, on a canvas of height h pixels: the same operations on the
// same values, for the same rounding.
func imageMap(dpi float64, h int, rect vg.Rectangle, sb image.Rectangle) [6]float64 {
	m := affine{1, 0, 0, 1, 0, 0}
	m = m.translate(0, float64(h)).scale(1, -1) // vgimg.NewWith: InvertY
	xmin, ymin := rect.Min.X.Dots(dpi), rect.Min.Y.Dots(dpi)
	sz := rect.Size()
	width, height := sz.X.Dots(dpi), sz.Y.Dots(dpi)
	m = m.scale(1, -1)
	m = m.translate(xmin, -ymin-height)
	m = m.scale(width/float64(sb.Dx()), height/float64(sb.Dy()))
	m = m.translate(0, 0) // DrawImageAnchored at (0, 0)
	return [6]float64{m.xx, m.xy, m.x0, m.yx, m.yy, m.y0}
}

// blit draws src onto dst by the map s2d as Kernel.Transform of
// draw.BiLinear with draw.Over does, and reports whether it could (only
// for axis-aligned maps and *image.RGBA or *image.NRGBA sources).
func blit(dst *image.RGBA, s2d [6]float64, src image.Image) bool {
	var spix []uint8
	var sstride int
	var nrgba, opaque bool
	switch s := src.(type) {
	case *image.RGBA:
		spix, sstride, opaque = s.Pix, s.Stride, s.Opaque()
	case *image.NRGBA:
		spix, sstride, opaque, nrgba = s.Pix, s.Stride, s.Opaque(), true
	default:
		return false
	}
	if s2d[1] != 0 || s2d[3] != 0 {
		return false
	}
	sr := src.Bounds()
	dr := transformRect(&s2d, &sr)
	adr := dst.Bounds().Intersect(dr)
	if adr.Empty() || sr.Empty() {
		return true
	}
	d2s := invertAffine(&s2d)
	if d2s[1] != 0 || d2s[3] != 0 {
		return false
	}
	bias := transformRect(&d2s, &adr).Min
	bias.X--
	bias.Y--
	d2s[2] -= float64(bias.X)
	d2s[5] -= float64(bias.Y)
	adr = adr.Sub(dr.Min)
	// With d2s[1] = d2s[3] = 0 the transform's terms in y for x (and in x
	// for y) are ±0, which leave the sums unchanged.
	xs := axisWeights(d2s[0], d2s[2], dr.Min.X, adr.Min.X, adr.Max.X, bias.X, sr.Min.X, sr.Max.X)
	ys := axisWeights(d2s[4], d2s[5], dr.Min.Y, adr.Min.Y, adr.Max.Y, bias.Y, sr.Min.Y, sr.Max.Y)
	// Over a transparent source (all of a pixel's taps with alpha 0) the
	// destination is left as it is: skip such pixels, found with a
	// summed-area table of the source's non-transparent pixels.
	var sat []int32
	sw := sr.Dx() + 1
	if !opaque {
		sat = make([]int32, sw*(sr.Dy()+1))
		for y := range sr.Dy() {
			var run int32
			for x := range sr.Dx() {
				if spix[y*sstride+4*x+3] != 0 {
					run++
				}
				sat[(y+1)*sw+x+1] = sat[y*sw+x+1] + run
			}
		}
	}
	for yi, dy := 0, adr.Min.Y; dy < adr.Max.Y; yi, dy = yi+1, dy+1 {
		if !ys.in[yi] {
			continue
		}
		iy, jy := ys.lo[yi], ys.hi[yi]
		yw := ys.w[ys.off[yi]:]
		d := (dr.Min.Y+dy-dst.Rect.Min.Y)*dst.Stride + (dr.Min.X+adr.Min.X-dst.Rect.Min.X)*4
		for xi := range xs.in {
			if !xs.in[xi] {
				d += 4
				continue
			}
			ix, jx := xs.lo[xi], xs.hi[xi]
			xw := xs.w[xs.off[xi]:]
			if sat != nil {
				y0, y1, x0, x1 := (iy-sr.Min.Y)*sw, (jy-sr.Min.Y)*sw, ix-sr.Min.X, jx-sr.Min.X
				if sat[y1+x1]-sat[y0+x1]-sat[y1+x0]+sat[y0+x0] == 0 {
					d += 4
					continue
				}
			}
			var pr, pg, pb, pa float64
			for ky := iy; ky < jy; ky++ {
				if yWeight := yw[ky-iy]; yWeight != 0 {
					row := (ky - sr.Min.Y) * sstride
					for kx := ix; kx < jx; kx++ {
						if w := xw[kx-ix] * yWeight; w != 0 {
							pi := row + (kx-sr.Min.X)*4
							var pru, pgu, pbu, pau uint32
							if nrgba {
								pau = uint32(spix[pi+3]) * 0x101
								pru = uint32(spix[pi+0]) * pau / 0xff
								pgu = uint32(spix[pi+1]) * pau / 0xff
								pbu = uint32(spix[pi+2]) * pau / 0xff
							} else {
								pru = uint32(spix[pi+0]) * 0x101
								pgu = uint32(spix[pi+1]) * 0x101
								pbu = uint32(spix[pi+2]) * 0x101
								pau = uint32(spix[pi+3]) * 0x101
							}
							pr += float64(float64(pru) * w)
							pg += float64(float64(pgu) * w)
							pb += float64(float64(pbu) * w)
							pa += float64(float64(pau) * w)
						}
					}
				}
			}
			if pr > pa {
				pr = pa
			}
			if pg > pa {
				pg = pa
			}
			if pb > pa {
				pb = pa
			}
			p := dst.Pix[d : d+4 : d+4]
			if opaque { // Transform turns Over into Src
				p[0] = uint8(fffftou(pr) >> 8)
				p[1] = uint8(fffftou(pg) >> 8)
				p[2] = uint8(fffftou(pb) >> 8)
				p[3] = uint8(fffftou(pa) >> 8)
			} else {
				pa0 := uint32(fffftou(pa))
				pa1 := (0xffff - pa0) * 0x101
				p[0] = uint8((uint32(p[0])*pa1/0xffff + uint32(fffftou(pr))) >> 8)
				p[1] = uint8((uint32(p[1])*pa1/0xffff + uint32(fffftou(pg))) >> 8)
				p[2] = uint8((uint32(p[2])*pa1/0xffff + uint32(fffftou(pb))) >> 8)
				p[3] = uint8((uint32(p[3])*pa1/0xffff + pa0) >> 8)
			}
			d += 4
		}
	}
	return true
}

// weights are the bilinear kernel's normalized weights along one axis
// for each destination column (or row) i: source pixels lo[i] to hi[i]
// with weights w[off[i]:], and whether the pixel is drawn at all.
type weights struct {
	in     []bool
	lo, hi []int
	off    []int
	w      []float64
	stride int
}

// axisWeights computes the weights of destination pixels d0 ≤ d < d1
// (relative to dmin) along an axis where the source coordinate is
// scale·(dmin+d+½) + off, as Kernel.Transform computes them per pixel.
// The source pixels of zero weight at either end, which Transform skips,
// are left out.
func axisWeights(scale, off float64, dmin, d0, d1, bias, smin, smax int) weights {
	const support = 1.0 // draw.BiLinear
	halfWidth, argScale := support, 1.0
	if s := math.Abs(scale); s > 1 {
		halfWidth *= s
		argScale = 1 / s
	}
	n := d1 - d0
	ws := weights{in: make([]bool, n), lo: make([]int, n), hi: make([]int, n), off: make([]int, n), stride: 1 + 2*int(math.Ceil(halfWidth))}
	ws.w = make([]float64, n*ws.stride)
	for i := range n {
		df := float64(dmin+d0+i) + 0.5
		s := float64(scale*df) + off
		if p := int(s) + bias; p < smin || p >= smax {
			continue
		}
		ws.in[i] = true
		s += float64(bias)
		s -= 0.5
		lo := max(int(math.Floor(s-halfWidth)), smin)
		hi := max(min(int(math.Ceil(s+halfWidth)), smax), lo)
		w := ws.w[i*ws.stride : i*ws.stride+hi-lo]
		total := 0.0
		for k := lo; k < hi; k++ {
			wk := 0.0
			if t := math.Abs((s - float64(k)) * argScale); t < support {
				wk = 1 - t
			}
			w[k-lo] = wk
			total += wk
		}
		for k := range w {
			w[k] /= total
		}
		o := i * ws.stride
		for lo < hi && w[0] == 0 {
			lo, o, w = lo+1, o+1, w[1:]
		}
		for lo < hi && w[len(w)-1] == 0 {
			hi, w = hi-1, w[:len(w)-1]
		}
		ws.lo[i], ws.hi[i], ws.off[i] = lo, hi, o
	}
	return ws
}

// fffftou, invertAffine and transformRect are those of
// golang.org/x/image/draw.

func fffftou(f float64) uint16 {
	i := int32(f + 0.5)
	if i > 0xffff {
		return 0xffff
	}
	if i > 0 {
		return uint16(i)
	}
	return 0
}

func invertAffine(m *[6]float64) [6]float64 {
	m00 := +m[3*1+1]
	m01 := -m[3*0+1]
	m02 := +float64(m[3*1+2]*m[3*0+1]) - float64(m[3*1+1]*m[3*0+2])
	m10 := -m[3*1+0]
	m11 := +m[3*0+0]
	m12 := +float64(m[3*1+0]*m[3*0+2]) - float64(m[3*1+2]*m[3*0+0])
	det := float64(m00*m11) - float64(m10*m01)
	return [6]float64{m00 / det, m01 / det, m02 / det, m10 / det, m11 / det, m12 / det}
}

func transformRect(s2d *[6]float64, sr *image.Rectangle) (dr image.Rectangle) {
	ps := [...]image.Point{{sr.Min.X, sr.Min.Y}, {sr.Max.X, sr.Min.Y}, {sr.Min.X, sr.Max.Y}, {sr.Max.X, sr.Max.Y}}
	for i, p := range ps {
		sxf, syf := float64(p.X), float64(p.Y)
		dx := int(math.Floor(float64(s2d[0]*sxf) + float64(s2d[1]*syf) + s2d[2]))
		dy := int(math.Floor(float64(s2d[3]*sxf) + float64(s2d[4]*syf) + s2d[5]))
		// image.Rectangle is inclusive on the low end but exclusive on
		// the high end, hence the +1.
		if i == 0 {
			dr = image.Rectangle{Min: image.Point{dx, dy}, Max: image.Point{dx + 1, dy + 1}}
			continue
		}
		dr.Min.X = min(dr.Min.X, dx)
		dr.Max.X = max(dr.Max.X, dx+1)
		dr.Min.Y = min(dr.Min.Y, dy)
		dr.Max.Y = max(dr.Max.Y, dy+1)
	}
	return dr
}
