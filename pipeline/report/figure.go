package report

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// FigureOptions are common to all figures.
type FigureOptions struct {
	// Caption is printed under the figure, after its title.
	Caption string
	// Width and Height are the figure's size in inches (0: a default per
	// kind of figure, about 9 × 4).
	Width, Height float64
}

func (fo FigureOptions) size(w, h float64) (vg.Length, vg.Length) {
	if fo.Width > 0 {
		w = fo.Width
	}
	if fo.Height > 0 {
		h = fo.Height
	}
	return vg.Length(w) * vg.Inch, vg.Length(h) * vg.Inch
}

// drawFunc draws a figure on the whole canvas.
type drawFunc func(c draw.Canvas) error

// rendered is the outcome of drawing one figure: filled in by the
// goroutine that draws it, read by settle once every drawing is done.
type rendered struct {
	src      string
	wpx, hpx int
	n        int
	err      error
}

// addFigure renders a figure, in a goroutine of its own unless Workers is
// 1, and appends it (or, once drawn, an error block) in the order of the
// calls. preferSVG says whether SVG suits this figure in the "auto"
// format. fn runs after addFigure has returned, so it must only use data
// owned by the report: the figure methods hand it copies of the caller's
// slices, which the caller may change as soon as they return.
func (r *Report) addFigure(title string, fo FigureOptions, w, h vg.Length, preferSVG bool, fn drawFunc) {
	r.figure(title, fo, w, h, preferSVG, true, fn)
}

// figure is addFigure; async false draws the figure before returning
// (for fn that use the caller's data).
func (r *Report) figure(title string, fo FigureOptions, w, h vg.Length, preferSVG, async bool, fn drawFunc) {
	r.nfig++
	format := r.Format
	if format == "" || format == "auto" {
		format = "png"
		if preferSVG {
			format = "svg"
		}
	}
	dpi := r.DPI
	if dpi <= 0 {
		dpi = 96
	}
	out := new(rendered)
	r.items = append(r.items, item{Kind: kindFigure, Num: r.nfig, Title: title, Caption: fo.Caption, fig: out})
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || !async {
		out.src, out.wpx, out.hpx, out.n, out.err = render(format, dpi, w, h, fn)
		return
	}
	if r.sem == nil || cap(r.sem) != workers {
		r.sem = make(chan struct{}, workers)
	}
	// Block while Workers figures are being drawn: it bounds the copies of
	// input data held by pending figures, and the caller's own work
	// overlaps the drawing meanwhile.
	sem := r.sem
	sem <- struct{}{}
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		defer func() { <-sem }()
		out.src, out.wpx, out.hpx, out.n, out.err = render(format, dpi, w, h, fn)
	}()
}

func render(format string, dpi int, w, h vg.Length, fn drawFunc) (src string, wpx, hpx, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("drawing failed: %v", p)
		}
	}()
	var buf bytes.Buffer
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
		if err := fn(draw.New(c)); err != nil {
			return "", 0, 0, 0, err
		}
		img, ok := c.Image().(*image.RGBA)
		if !ok {
			return "", 0, 0, 0, fmt.Errorf("PNG canvas is a %T", c.Image())
		}
		if err := encodePNG(&buf, img); err != nil {
			return "", 0, 0, 0, err
		}
		b := img.Bounds()
		return dataURI("data:image/png;base64,", buf.Bytes()), b.Dx(), b.Dy(), buf.Len(), nil
	case "svg":
		c := vgsvg.New(w, h)
		if err := fn(draw.New(c)); err != nil {
			return "", 0, 0, 0, err
		}
		if _, err := c.WriteTo(&buf); err != nil {
			return "", 0, 0, 0, err
		}
		// Let viewers without the Liberation fonts use a metric-compatible
		// or at least a sans-serif one.
		svg := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
			[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
		wpx = int(math.Round(w.Points() / 72 * 96))
		hpx = int(math.Round(h.Points() / 72 * 96))
		return dataURI("data:image/svg+xml;base64,", svg), wpx, hpx, len(svg), nil
	}
	return "", 0, 0, 0, fmt.Errorf("unknown figure format %q (want png, svg or auto)", format)
}

// dataURI returns prefix followed by data in base64, built in one
// allocation (the images are megabytes).
func dataURI(prefix string, data []byte) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + base64.StdEncoding.EncodedLen(len(data)))
	sb.WriteString(prefix)
	enc := base64.NewEncoder(base64.StdEncoding, &sb)
	enc.Write(data)
	enc.Close()
	return sb.String()
}

// Common styling.
var (
	gridColor = color.Gray{Y: 225}
	// qualitative colours (Tableau 10) for curves and categories
	qualitative = []color.Color{
		color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255},
		color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255},
		color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
		color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255},
		color.RGBA{188, 189, 34, 255}, color.RGBA{23, 190, 207, 255},
	}
)

func qcolor(i int) color.Color { return qualitative[i%len(qualitative)] }

// withAlpha returns c with opacity a (0–1), non-premultiplied.
func withAlpha(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(math.Round(a * 255))}
}

// newPlot returns a plot with the package's styling.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.X.Tick.Label.Font.Size = vg.Points(8.5)
	p.Y.Tick.Label.Font.Size = vg.Points(8.5)
	p.Legend.TextStyle.Font.Size = vg.Points(8.5)
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	return p
}

// addGrid adds light grid lines behind the plotters added afterwards.
func addGrid(p *plot.Plot) {
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Horizontal.Color = gridColor
	p.Add(g)
}

// splitColorbar splits c into the main area and a strip at the right
// for a vertical colour bar.
func splitColorbar(c draw.Canvas) (main, bar draw.Canvas) {
	barW := vg.Length(math.Min(0.9, float64(c.Size().X/vg.Inch)*0.15)) * vg.Inch
	main, bar = c, c
	main.Max.X = c.Max.X - barW
	bar.Min.X = c.Max.X - barW
	return main, bar
}

// drawColorbar draws a vertical colour bar for cm, labelled unit, in c.
func drawColorbar(c draw.Canvas, cm palette.ColorMap, unit string) {
	p := newPlot("", "", unit)
	p.HideX()
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true, Colors: 128})
	// Keep the bar narrow and vertically inset like the panels.
	h := c.Size().Y
	c.Min.Y += h * 0.08
	c.Max.Y -= h * 0.08
	p.Draw(c)
}

// finiteRange returns the range of the finite values of x (ok false if
// there are none).
func finiteRange(x []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
		ok = true
	}
	return lo, hi, ok
}

// padRange widens a degenerate range so that gonum/plot can draw it.
func padRange(lo, hi float64) (float64, float64) {
	if hi > lo {
		return lo, hi
	}
	d := math.Max(math.Abs(lo)*0.05, 1e-12)
	return lo - d, hi + d
}

var errNoData = errors.New("no data")

// Plot adds a figure drawn by a gonum/plot Plot built by the caller, for
// anything the other methods do not cover.
func (r *Report) Plot(title string, p *plot.Plot, opt FigureOptions) {
	w, h := opt.size(8, 4)
	// p is the caller's, who may change it once Plot returns.
	r.figure(title, opt, w, h, false, false, func(c draw.Canvas) error {
		if p == nil {
			return errNoData
		}
		p.Draw(c)
		return nil
	})
}
