package report

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// canvasDPI is the resolution at which to rasterize images drawn on c:
// the PNG canvas's own, or 144 for vector canvases.
//
// Plotters are handed a draw.Canvas wrapping another (see pngCanvas), so
// for them this is 144 even on PNG canvases, whose images are therefore
// drawn at 1.5 times the figure's 96 dpi and resampled by DrawImage. It
// is left so: looking through the wrapper would change every figure.
func canvasDPI(c draw.Canvas) float64 {
	if cv, ok := c.Canvas.(*vgimg.Canvas); ok {
		return cv.DPI()
	}
	return 144
}

// rasterLines is a plot.Plotter that draws many thin polylines sharing
// their x values (the channels of a butterfly plot) into one image over
// the data area, with anti-aliased one-pixel lines. Stroking hundreds of
// long paths through gonum/plot's vector back ends costs seconds; this
// costs milliseconds and looks the same at the figure's resolution.
type rasterLines struct {
	x    []float64
	ys   [][]float64
	cols []color.NRGBA // cycled over the rows
}

// DataRange implements plot.DataRanger.
func (rl *rasterLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, _ = finiteRange(rl.x)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, y := range rl.ys {
		if lo, hi, ok := finiteRange(y); ok {
			ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
		}
	}
	if math.IsInf(ymin, 1) {
		ymin, ymax = 0, 1
	}
	ymin, ymax = padRange(ymin, ymax)
	return xmin, xmax, ymin, ymax
}

// Plot implements plot.Plotter.
func (rl *rasterLines) Plot(c draw.Canvas, p *plot.Plot) {
	dpi := canvasDPI(c)
	trX, trY := p.Transforms(&c)
	sz := c.Size()
	w := int(math.Ceil(float64(sz.X/vg.Inch) * dpi))
	h := int(math.Ceil(float64(sz.Y/vg.Inch) * dpi))
	if w < 1 || h < 1 {
		return
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	px := func(x float64) float64 { return float64((trX(x)-c.Min.X)/vg.Inch) * dpi }
	py := func(y float64) float64 { return float64((c.Max.Y-trY(y))/vg.Inch) * dpi }
	// The rows share their x values: transform them once, not per row.
	xs := make([]float64, len(rl.x))
	for i, x := range rl.x {
		xs[i] = px(x)
	}
	var idx []int
	for i, y := range rl.ys {
		col := rl.cols[i%len(rl.cols)]
		idx = envelopeIndex(rl.x, y, w, idx[:0])
		if len(idx) == 0 {
			continue
		}
		x0, y0 := xs[idx[0]], py(y[idx[0]])
		for _, k := range idx[1:] {
			x1, y1 := xs[k], py(y[k])
			wuLine(img, x0, y0, x1, y1, col)
			x0, y0 = x1, y1
		}
	}
	drawImage(c, c.Rectangle, img)
}

// blend paints col with coverage a (0–1) over the pixel (x, y) of img;
// ca is col.A/255.
func blend(img *image.RGBA, x, y int, col color.NRGBA, ca, a float64) {
	if uint(x) >= uint(img.Rect.Max.X) || uint(y) >= uint(img.Rect.Max.Y) || a <= 0 {
		return // (img.Rect.Min is the origin)
	}
	a *= ca
	i := y*img.Stride + 4*x
	p := img.Pix[i : i+4 : i+4]
	k := 1 - a
	p[0] = uint8(float64(col.R)*a + float64(p[0])*k + 0.5)
	p[1] = uint8(float64(col.G)*a + float64(p[1])*k + 0.5)
	p[2] = uint8(float64(col.B)*a + float64(p[2])*k + 0.5)
	p[3] = uint8(255*a + float64(p[3])*k + 0.5)
}

// wuLine draws an anti-aliased line from (x0, y0) to (x1, y1), in pixel
// coordinates with y down, by Xiaolin Wu's algorithm, into img, whose
// bounds must start at the origin.
func wuLine(img *image.RGBA, x0, y0, x1, y1 float64, col color.NRGBA) {
	if math.IsNaN(x0+y0+x1+y1) || math.IsInf(x0+y0+x1+y1, 0) {
		return
	}
	steep := math.Abs(y1-y0) > math.Abs(x1-x0)
	if steep {
		x0, y0 = y0, x0
		x1, y1 = y1, x1
	}
	if x0 > x1 {
		x0, x1 = x1, x0
		y0, y1 = y1, y0
	}
	dx := x1 - x0
	grad := 1.0
	if dx > 0 {
		grad = (y1 - y0) / dx
	}
	// Keep the work bounded for wild inputs.
	lim := float64(max(img.Rect.Dx(), img.Rect.Dy()) + 2)
	a, b := math.Max(x0, -2), math.Min(x1, lim)
	if b < a {
		return
	}
	ca := float64(col.A) / 255
	xs, xe := int(math.Round(a)), int(math.Round(b))
	y := y0 + grad*(float64(xs)-x0)
	for x := xs; x <= xe; x++ {
		fy := math.Floor(y)
		f := y - fy
		if steep {
			blend(img, int(fy), x, col, ca, 1-f)
			blend(img, int(fy)+1, x, col, ca, f)
		} else {
			blend(img, x, int(fy), col, ca, 1-f)
			blend(img, x, int(fy)+1, col, ca, f)
		}
		y += grad
	}
}

// rasterHeat is a plot.Plotter drawing a matrix as an image of square
// cells centred on integer coordinates (column j at x = j, row i at
// y = i), rasterized at the canvas's resolution with sharp cell edges.
// (plotter.HeatMap's rasterized mode does not support inverted axes, and
// its vector mode draws one polygon per cell.)
type rasterHeat struct {
	m   [][]float64
	tab *lut
	nan color.NRGBA
}

// DataRange implements plot.DataRanger.
func (rh *rasterHeat) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(rh.m))
	return -0.5, n - 0.5, -0.5, n - 0.5
}

// Plot implements plot.Plotter.
func (rh *rasterHeat) Plot(c draw.Canvas, p *plot.Plot) {
	n := len(rh.m)
	if n == 0 {
		return
	}
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(-0.5), trX(float64(n)-0.5)
	y0, y1 := trY(-0.5), trY(float64(n)-0.5)
	rect := vg.Rectangle{Min: vg.Point{X: min(x0, x1), Y: min(y0, y1)}, Max: vg.Point{X: max(x0, x1), Y: max(y0, y1)}}
	dpi := canvasDPI(c)
	w := max(1, int(math.Round(float64(rect.Size().X/vg.Inch)*dpi)))
	h := max(1, int(math.Round(float64(rect.Size().Y/vg.Inch)*dpi)))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	flipX, flipY := x0 > x1, y0 < y1 // image rows run downwards
	cols := make([]int, w)           // matrix column of each pixel column
	for px := range cols {
		cols[px] = px * n / w
		if flipX {
			cols[px] = n - 1 - cols[px]
		}
	}
	prev := -1
	for py := range h {
		i := py * n / h
		if flipY {
			i = n - 1 - i
		}
		line := img.Pix[py*img.Stride : py*img.Stride+4*w]
		if i == prev {
			// Taller cells than pixels: the row above is the same.
			copy(line, img.Pix[(py-1)*img.Stride:])
			continue
		}
		prev = i
		row := rh.m[i]
		for px, j := range cols {
			v := row[j]
			col := rh.nan
			if !math.IsNaN(v) {
				col = rh.tab.at(v)
			}
			line[4*px], line[4*px+1], line[4*px+2], line[4*px+3] = col.R, col.G, col.B, col.A
		}
	}
	drawImage(c, rect, img)
}
