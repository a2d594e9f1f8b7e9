package report

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Hemisphere is the source space of one hemisphere with a value per
// source, for SourceMap.
type Hemisphere struct {
	// Name is "lh" or "rh" (it sets which side is lateral).
	Name string
	// Pos are the source positions (any Cartesian frame with x to the
	// right, y anterior, z superior: MRI surface RAS or head coordinates).
	Pos [][3]float64
	// Values, one per position; NaN values are drawn grey.
	Values []float64
}

// SourceMapOptions tune SourceMap.
type SourceMapOptions struct {
	FigureOptions
	// Unit labels the colour bar (e.g. "dSPM", "nAm").
	Unit string
	// Views are "lateral", "medial", "ventral", "dorsal", "anterior" or
	// "posterior", one row of panels each (default lateral and ventral).
	Views []string
	// Min and Max set the colour range; when both are 0 it is [0, max]
	// for non-negative values and symmetric about 0 otherwise.
	Min, Max float64
	// Threshold greys out the sources whose absolute value is below it.
	Threshold float64
}

// view is a projection: screen x = pos·h, screen y = pos·v, depth (larger
// is nearer the viewer) = pos·d.
type view struct{ h, v, d [3]float64 }

func viewFor(name, hemi string) (view, error) {
	right := hemi == "rh"
	switch name {
	case "lateral", "medial":
		lat := (name == "lateral") == right // looking from +x?
		if lat {
			return view{h: [3]float64{0, 1, 0}, v: [3]float64{0, 0, 1}, d: [3]float64{1, 0, 0}}, nil
		}
		return view{h: [3]float64{0, -1, 0}, v: [3]float64{0, 0, 1}, d: [3]float64{-1, 0, 0}}, nil
	case "ventral":
		return view{h: [3]float64{-1, 0, 0}, v: [3]float64{0, 1, 0}, d: [3]float64{0, 0, -1}}, nil
	case "dorsal":
		return view{h: [3]float64{1, 0, 0}, v: [3]float64{0, 1, 0}, d: [3]float64{0, 0, 1}}, nil
	case "anterior":
		return view{h: [3]float64{-1, 0, 0}, v: [3]float64{0, 0, 1}, d: [3]float64{0, 1, 0}}, nil
	case "posterior":
		return view{h: [3]float64{1, 0, 0}, v: [3]float64{0, 0, 1}, d: [3]float64{0, -1, 0}}, nil
	}
	return view{}, fmt.Errorf("unknown view %q", name)
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// heatColorMap is a sequential map of increasing luminance (dark red →
// red → orange → light yellow) for non-negative source values.
func heatColorMap() palette.ColorMap {
	cm, err := moreland.NewLuminance([]color.Color{
		color.NRGBA{90, 0, 10, 255}, color.NRGBA{190, 20, 20, 255},
		color.NRGBA{240, 120, 20, 255}, color.NRGBA{255, 235, 140, 255},
	})
	if err != nil {
		panic(err) // the controls above are valid
	}
	return cm
}

// viridisColorMap is a perceptually uniform sequential map through
// viridis's main colours (dark purple → blue → teal → green → yellow),
// interpolated by moreland.NewLuminance.
func viridisColorMap() palette.ColorMap {
	cm, err := moreland.NewLuminance([]color.Color{
		color.NRGBA{68, 1, 84, 255}, color.NRGBA{59, 82, 139, 255},
		color.NRGBA{33, 145, 140, 255}, color.NRGBA{94, 201, 98, 255},
		color.NRGBA{253, 231, 37, 255},
	})
	if err != nil {
		panic(err) // the controls above are valid
	}
	return cm
}

// lut tabulates n colours of cm over [lo, hi].
type lut struct {
	lo, hi float64
	cols   []color.NRGBA
}

func newLUT(cm palette.ColorMap, n int) *lut {
	t := &lut{lo: cm.Min(), hi: cm.Max(), cols: make([]color.NRGBA, n)}
	for i := range n {
		v := t.lo + (t.hi-t.lo)*float64(i)/float64(n-1)
		c, err := cm.At(math.Min(math.Max(v, t.lo), t.hi))
		if err != nil {
			c = color.Black
		}
		t.cols[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	return t
}

func (t *lut) at(v float64) color.NRGBA {
	f := (v - t.lo) / (t.hi - t.lo)
	i := int(math.Round(f * float64(len(t.cols)-1)))
	return t.cols[min(max(i, 0), len(t.cols)-1)]
}

// SourceMap adds a figure of source values on the source space, seen
// from the given views (rows) for each hemisphere (columns): the sources
// are projected orthographically and drawn as small discs, nearer ones
// over farther ones, coloured by value, with sources below the threshold
// in grey shaded by depth, and a colour bar.
func (r *Report) SourceMap(title string, hemis []Hemisphere, opt SourceMapOptions) {
	hemis = slices.Clone(hemis)
	for i := range hemis {
		hemis[i].Pos = slices.Clone(hemis[i].Pos)
		hemis[i].Values = slices.Clone(hemis[i].Values)
	}
	opt.Views = slices.Clone(opt.Views)
	views := opt.Views
	if len(views) == 0 {
		views = []string{"lateral", "ventral"}
	}
	w, h := opt.size(3.4*float64(max(1, len(hemis)))+1.1, 0.35+2.5*float64(len(views)))
	r.addFigure(title, opt.FigureOptions, w, h, false, func(c draw.Canvas) error {
		if len(hemis) == 0 {
			return errNoData
		}
		var all []float64
		for _, hm := range hemis {
			if len(hm.Pos) != len(hm.Values) {
				return fmt.Errorf("hemisphere %q: %d positions for %d values", hm.Name, len(hm.Pos), len(hm.Values))
			}
			all = append(all, hm.Values...)
		}
		lo, hi, ok := finiteRange(all)
		if !ok {
			lo, hi = 0, 1
		}
		var cm palette.ColorMap
		if opt.Min != 0 || opt.Max != 0 {
			lo, hi = opt.Min, opt.Max
		} else if lo >= 0 {
			lo = 0
		} else {
			m := math.Max(-lo, hi)
			lo, hi = -m, m
		}
		lo, hi = padRange(lo, hi)
		if lo < 0 {
			cm = moreland.SmoothBlueRed()
		} else {
			cm = heatColorMap()
		}
		cm.SetMin(lo)
		cm.SetMax(hi)
		tab := newLUT(cm, 256)

		main, bar := splitColorbar(c)
		drawColorbar(bar, cm, opt.Unit)
		dpi := canvasDPI(c)
		tiles := draw.Tiles{Cols: len(hemis), Rows: len(views), PadX: vg.Points(4), PadY: vg.Points(4), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4)}
		ts := draw.TextStyle{Color: color.Gray{Y: 60}, Font: plot.DefaultFont, Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
		ts.Font.Size = vg.Points(9)
		ts.Font.Variant = "Sans"
		for vi, vname := range views {
			// One scale per view so that hemispheres are comparable.
			var spanH, spanV float64
			projs := make([]view, len(hemis))
			for hi, hm := range hemis {
				vw, err := viewFor(vname, hm.Name)
				if err != nil {
					return err
				}
				projs[hi] = vw
				h0, h1, v0, v1 := projectedBounds(hm.Pos, vw)
				spanH = math.Max(spanH, h1-h0)
				spanV = math.Max(spanV, v1-v0)
			}
			for hi, hm := range hemis {
				tile := tiles.At(main, hi, vi)
				label := vname
				if hm.Name != "" {
					label = hm.Name + " " + vname
				}
				tile.FillText(ts, vg.Point{X: tile.Min.X, Y: tile.Max.Y}, label)
				tile.Max.Y -= ts.FontExtents().Height + vg.Points(2)
				if len(hm.Pos) == 0 || spanH <= 0 || spanV <= 0 {
					continue
				}
				// Fit the view's span into the tile, keeping the aspect.
				tw, th := tile.Size().X, tile.Size().Y
				s := math.Min(float64(tw)/spanH, float64(th)/spanV)
				rw, rh := vg.Length(spanH*s), vg.Length(spanV*s)
				rect := vg.Rectangle{Min: vg.Point{X: tile.Min.X + (tw-rw)/2, Y: tile.Min.Y + (th-rh)/2}}
				rect.Max = vg.Point{X: rect.Min.X + rw, Y: rect.Min.Y + rh}
				wpx := max(1, int(math.Round(float64(rw/vg.Inch)*dpi)))
				hpx := max(1, int(math.Round(float64(rh/vg.Inch)*dpi)))
				img := rasterize(hm, projs[hi], wpx, hpx, spanH, spanV, tab, opt.Threshold)
				drawImage(tile, rect, img)
			}
		}
		return nil
	})
}

func projectedBounds(pos [][3]float64, vw view) (h0, h1, v0, v1 float64) {
	h0, v0 = math.Inf(1), math.Inf(1)
	h1, v1 = math.Inf(-1), math.Inf(-1)
	for _, p := range pos {
		x, y := dot(p, vw.h), dot(p, vw.v)
		h0, h1 = math.Min(h0, x), math.Max(h1, x)
		v0, v1 = math.Min(v0, y), math.Max(v1, y)
	}
	return
}

// rasterize draws the hemisphere's sources into a w×h image (transparent
// background) as discs, painter's order by depth, centred in a frame of
// spanH × spanV data units.
func rasterize(hm Hemisphere, vw view, w, h int, spanH, spanV float64, tab *lut, thr float64) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	h0, h1, v0, v1 := projectedBounds(hm.Pos, vw)
	s := math.Min(float64(w)/spanH, float64(h)/spanV)
	offX := (float64(w) - (h1-h0)*s) / 2
	offY := (float64(h) - (v1-v0)*s) / 2
	// Disc radius from the density of the projected sources: about half
	// of them face the viewer and they fill about 60 % of their box.
	n := len(hm.Pos)
	area := (h1 - h0) * (v1 - v0) * s * s
	rad := 0.7 * math.Sqrt(area/float64(n))
	rad = math.Min(math.Max(rad, 1.2), 6)
	order := make([]int, n)
	depth := make([]float64, n)
	d0, d1 := math.Inf(1), math.Inf(-1)
	for i, p := range hm.Pos {
		order[i] = i
		depth[i] = dot(p, vw.d)
		d0, d1 = math.Min(d0, depth[i]), math.Max(d1, depth[i])
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(depth[a], depth[b]) })
	ri := int(math.Ceil(rad))
	r2 := rad * rad
	for _, i := range order {
		p := hm.Pos[i]
		x := offX + (dot(p, vw.h)-h0)*s
		y := float64(h) - (offY + (dot(p, vw.v)-v0)*s)
		// Nearer sources are lighter (a cue for the surface's shape).
		shade := 0.55 + 0.45*(depth[i]-d0)/math.Max(d1-d0, 1e-12)
		v := hm.Values[i]
		var col color.NRGBA
		if math.IsNaN(v) || math.Abs(v) < thr {
			g := uint8(120 + 110*shade)
			col = color.NRGBA{g, g, g, 255}
		} else {
			col = tab.at(v)
			col.R = uint8(float64(col.R) * (0.7 + 0.3*shade))
			col.G = uint8(float64(col.G) * (0.7 + 0.3*shade))
			col.B = uint8(float64(col.B) * (0.7 + 0.3*shade))
		}
		cx, cy := int(math.Floor(x)), int(math.Floor(y))
		for py := max(cy-ri, 0); py <= min(cy+ri, h-1); py++ {
			ddy := float64(py) + 0.5 - y
			line := img.Pix[py*img.Stride : py*img.Stride+4*w]
			for px := max(cx-ri, 0); px <= min(cx+ri, w-1); px++ {
				ddx := float64(px) + 0.5 - x
				if ddx*ddx+ddy*ddy <= r2 {
					line[4*px], line[4*px+1], line[4*px+2], line[4*px+3] = col.R, col.G, col.B, col.A
				}
			}
		}
	}
	return img
}

// RDMOptions tune RDM.
type RDMOptions struct {
	FigureOptions
	// Measure labels the colour bar (e.g. "1 − Pearson r").
	Measure string
	// Categories, when not nil, give each pattern's category; patterns
	// of a category should be contiguous. The axes then show one tick
	// per category run, with lines between runs, instead of the labels.
	Categories []string
	// Min and Max set the colour range (both 0: the off-diagonal range).
	Min, Max float64
}

// RDM adds a heat map of a representational dissimilarity matrix given
// condensed: the n(n−1)/2 upper-triangle values in scipy's pdist order
// (row-major, i < j), for n = len(labels) patterns.
func (r *Report) RDM(title string, labels []string, condensed []float64, opt RDMOptions) {
	n := len(labels)
	if n*(n-1)/2 != len(condensed) {
		r.nfig++
		r.fail(title, fmt.Errorf("%d condensed values do not fit %d labels (want %d)", len(condensed), n, n*(n-1)/2))
		return
	}
	m := make([][]float64, n)
	flat := make([]float64, n*n)
	for i := range m {
		m[i] = flat[i*n : (i+1)*n]
	}
	k := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			m[i][j], m[j][i] = condensed[k], condensed[k]
			k++
		}
	}
	// m is already the report's own.
	r.rdmMatrix(title, slices.Clone(labels), m, opt)
}

// RDM32 is RDM for float32 values (as rsa stores them).
func (r *Report) RDM32(title string, labels []string, condensed []float32, opt RDMOptions) {
	c := make([]float64, len(condensed))
	for i, v := range condensed {
		c[i] = float64(v)
	}
	r.RDM(title, labels, c, opt)
}

// offDiagRange is finiteRange of the off-diagonal values of m, without
// gathering them (a 450-pattern RDM has 200,000).
func offDiagRange(m [][]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i, row := range m {
		for j, v := range row {
			if i == j || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
			ok = true
		}
	}
	return lo, hi, ok
}

// RDMMatrix is RDM for a full n × n matrix.
func (r *Report) RDMMatrix(title string, labels []string, m [][]float64, opt RDMOptions) {
	r.rdmMatrix(title, slices.Clone(labels), clone2D(m), opt)
}

// rdmMatrix is RDMMatrix for labels and m owned by the report.
func (r *Report) rdmMatrix(title string, labels []string, m [][]float64, opt RDMOptions) {
	opt.Categories = slices.Clone(opt.Categories)
	n := len(m)
	w, h := opt.size(6.4, 5.4)
	r.addFigure(title, opt.FigureOptions, w, h, false, func(c draw.Canvas) error {
		if n < 2 {
			return errNoData
		}
		for i, row := range m {
			if len(row) != n {
				return fmt.Errorf("row %d has %d values, want %d", i, len(row), n)
			}
		}
		if labels != nil && len(labels) != n {
			return fmt.Errorf("%d labels for %d patterns", len(labels), n)
		}
		if opt.Categories != nil && len(opt.Categories) != n {
			return fmt.Errorf("%d categories for %d patterns", len(opt.Categories), n)
		}
		lo, hi := opt.Min, opt.Max
		if lo == 0 && hi == 0 {
			var ok bool
			if lo, hi, ok = offDiagRange(m); !ok {
				return errNoData
			}
		}
		lo, hi = padRange(lo, hi)
		cm := viridisColorMap()
		cm.SetMin(lo)
		cm.SetMax(hi)
		hm := &rasterHeat{m: m, tab: newLUT(cm, 256), nan: color.NRGBA{200, 200, 200, 255}}

		p := newPlot("", "", "")
		p.Add(hm)
		p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
		ticks := rdmTicks(labels, opt.Categories)
		p.X.Tick.Marker = ticks
		p.Y.Tick.Marker = ticks
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		if opt.Categories != nil {
			p.Add(categoryLines(opt.Categories))
		}
		main, bar := splitColorbar(c)
		// Keep the matrix square.
		sz := main.Size()
		if d := sz.X - sz.Y; d > 0 {
			main.Max.X -= d
		}
		p.Draw(main)
		drawColorbar(bar, cm, opt.Measure)
		return nil
	})
}

// rdmTicks labels the pattern axes: category runs when given, else the
// labels when few enough, else pattern numbers.
func rdmTicks(labels, cats []string) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		switch {
		case cats != nil:
			for start := 0; start < len(cats); {
				end := start
				for end < len(cats) && cats[end] == cats[start] {
					end++
				}
				ts = append(ts, plot.Tick{Value: float64(start+end-1) / 2, Label: plainLabel(cats[start], 22)})
				start = end
			}
		case labels != nil && len(labels) <= 40:
			for i, l := range labels {
				ts = append(ts, plot.Tick{Value: float64(i), Label: plainLabel(l, 22)})
			}
		default:
			n := int(hi - lo + 1)
			step := max(1, n/8)
			for i := 0; float64(i) <= hi; i += step {
				ts = append(ts, plot.Tick{Value: float64(i), Label: strconv.Itoa(i)})
			}
		}
		return ts
	})
}

// categoryLines draws white lines between category runs of an RDM.
type categoryLines []string

func (cl categoryLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: color.White, Width: vg.Points(1)}
	n := float64(len(cl))
	for i := 1; i < len(cl); i++ {
		if cl[i] == cl[i-1] {
			continue
		}
		b := float64(i) - 0.5
		c.StrokeLine2(sty, trX(b), trY(-0.5), trX(b), trY(n-0.5))
		c.StrokeLine2(sty, trX(-0.5), trY(b), trX(n-0.5), trY(b))
	}
}
