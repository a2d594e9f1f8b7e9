package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PSDCurve is one set of spectra drawn as its mean over channels with the
// channels' range shaded.
type PSDCurve struct {
	Label   string
	Spectra [][]float64 // channels × frequencies, in unit²/Hz
}

// PSDPanel is one panel of a PSD figure, usually one channel type, with
// one curve per processing stage (e.g. "raw" and "Maxwell-filtered").
type PSDPanel struct {
	Title string
	// Unit of the signal after Scale (e.g. "fT" or "fT/cm"); the axis
	// reads "dB re 1 unit²/Hz".
	Unit string
	// Scale multiplies the signal (1e15 for T → fT); the PSD is
	// multiplied by Scale². 0 means 1.
	Scale  float64
	Curves []PSDCurve
}

// PSDOptions tune PSD.
type PSDOptions struct {
	FigureOptions
	// FMin and FMax limit the frequency axis (0: the data's range).
	FMin, FMax float64
	// LogFreq draws the frequency axis on a log scale (the DC bin is
	// then left out).
	LogFreq bool
	// Markers are vertical lines, e.g. at the line frequency.
	Markers []Marker
}

// Marker is a labelled vertical line at X.
type Marker struct {
	X     float64
	Label string
}

// PSD adds a figure of power spectral densities in dB (10·log10 of the
// scaled density), one panel per element of panels side by side; in each
// panel every curve is the mean over channels of the dB values, with the
// range (min to max) over channels shaded. freqs are the frequencies of
// the spectra's columns in Hz.
func (r *Report) PSD(title string, freqs []float64, panels []PSDPanel, opt PSDOptions) {
	freqs = slices.Clone(freqs)
	panels = slices.Clone(panels)
	for i := range panels {
		panels[i].Curves = slices.Clone(panels[i].Curves)
		for j := range panels[i].Curves {
			panels[i].Curves[j].Spectra = clone2D(panels[i].Curves[j].Spectra)
		}
	}
	opt.Markers = slices.Clone(opt.Markers)
	w, h := opt.size(4.6*float64(max(1, min(len(panels), 3))), 3.6)
	r.addFigure(title, opt.FigureOptions, w, h, false, func(c draw.Canvas) error {
		if len(panels) == 0 || len(freqs) == 0 {
			return errNoData
		}
		tiles := draw.Tiles{Cols: len(panels), Rows: 1, PadX: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
		for i, pan := range panels {
			p, err := psdPanel(freqs, pan, opt)
			if err != nil {
				return fmt.Errorf("panel %q: %w", pan.Title, err)
			}
			p.Draw(tiles.At(c, i, 0))
		}
		return nil
	})
}

func psdPanel(freqs []float64, pan PSDPanel, opt PSDOptions) (*plot.Plot, error) {
	unit := pan.Unit
	if unit == "" {
		unit = "unit"
	}
	p := newPlot(pan.Title, "Frequency (Hz)", "dB re 1 "+unit+"²/Hz")
	addGrid(p)
	scale := pan.Scale
	if scale == 0 {
		scale = 1
	}
	fmin, fmax := opt.FMin, opt.FMax
	if fmax <= 0 {
		fmax = math.Inf(1)
	}
	if opt.LogFreq {
		fmin = math.Max(fmin, math.SmallestNonzeroFloat64)
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	var sel []int
	for k, f := range freqs {
		if f >= fmin && f <= fmax {
			sel = append(sel, k)
		}
	}
	if len(sel) < 2 {
		return nil, fmt.Errorf("fewer than 2 frequencies in [%g, %g] Hz", opt.FMin, opt.FMax)
	}
	leg := 0
	for ci, cur := range pan.Curves {
		if len(cur.Spectra) == 0 {
			continue
		}
		mean := make(plotter.XYs, len(sel))
		lo := make([]float64, len(sel))
		hi := make([]float64, len(sel))
		for j, k := range sel {
			var s float64
			n := 0
			lo[j], hi[j] = math.Inf(1), math.Inf(-1)
			for ch, row := range cur.Spectra {
				if len(row) != len(freqs) {
					return nil, fmt.Errorf("curve %q: channel %d has %d values for %d frequencies", cur.Label, ch, len(row), len(freqs))
				}
				db := 10 * math.Log10(row[k]*scale*scale)
				if math.IsNaN(db) || math.IsInf(db, 0) {
					continue
				}
				s += db
				n++
				lo[j] = math.Min(lo[j], db)
				hi[j] = math.Max(hi[j], db)
			}
			mean[j].X = freqs[k]
			if n == 0 {
				mean[j].Y = math.NaN()
				lo[j], hi[j] = math.NaN(), math.NaN()
				continue
			}
			mean[j].Y = s / float64(n)
		}
		mean = dropNaN(mean)
		if len(mean) < 2 {
			continue
		}
		band := make(plotter.XYs, 0, 2*len(sel))
		for j, k := range sel {
			if !math.IsNaN(hi[j]) {
				band = append(band, plotter.XY{X: freqs[k], Y: hi[j]})
			}
		}
		for j := len(sel) - 1; j >= 0; j-- {
			if !math.IsNaN(lo[j]) {
				band = append(band, plotter.XY{X: freqs[sel[j]], Y: lo[j]})
			}
		}
		col := qcolor(ci)
		if len(cur.Spectra) > 1 {
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, err
			}
			poly.Color = withAlpha(col, 0.22)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, err := plotter.NewLine(mean)
		if err != nil {
			return nil, err
		}
		line.Color = col
		line.Width = vg.Points(1.2)
		p.Add(line)
		label := cur.Label
		if label == "" {
			label = "curve " + strconv.Itoa(ci+1)
		}
		p.Legend.Add(plainLabel(fmt.Sprintf("%s (%d ch)", label, len(cur.Spectra)), 40), line)
		leg++
	}
	if leg == 0 {
		return nil, errNoData
	}
	p.Legend.Top = true
	addMarkers(p, opt.Markers)
	return p, nil
}

// dropNaN removes the points with a NaN coordinate.
func dropNaN(xy plotter.XYs) plotter.XYs {
	out := xy[:0]
	for _, v := range xy {
		if !math.IsNaN(v.X) && !math.IsNaN(v.Y) {
			out = append(out, v)
		}
	}
	return out
}

// markerLines draws labelled vertical lines over a plot's data area.
type markerLines []Marker

func (m markerLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := draw.LineStyle{Color: color.Gray{Y: 70}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	ts := draw.TextStyle{Color: color.Gray{Y: 40}, Font: p.X.Tick.Label.Font, Handler: p.TextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
	ts.Font.Size = vg.Points(8)
	for _, mk := range m {
		if mk.X < p.X.Min || mk.X > p.X.Max {
			continue
		}
		x := trX(mk.X)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		if mk.Label != "" {
			c.FillText(ts, vg.Point{X: x + vg.Points(2), Y: c.Max.Y - vg.Points(2)}, plainLabel(mk.Label, 24))
		}
	}
}

func addMarkers(p *plot.Plot, ms []Marker) {
	if len(ms) > 0 {
		p.Add(markerLines(ms))
	}
}

// EventsOptions tune Events.
type EventsOptions struct {
	FigureOptions
	// YLabel labels the count axis (default "Count").
	YLabel string
}

// Events adds a bar chart of counts per label (e.g. events or epochs kept
// per condition), in the given order, each bar labelled with its count.
func (r *Report) Events(title string, labels []string, counts []int, opt EventsOptions) {
	labels, counts = slices.Clone(labels), slices.Clone(counts)
	w, h := opt.size(math.Max(5, math.Min(10, 1.5+0.55*float64(len(labels)))), 3.6)
	r.addFigure(title, opt.FigureOptions, w, h, true, func(c draw.Canvas) error {
		if len(labels) != len(counts) {
			return fmt.Errorf("%d labels for %d counts", len(labels), len(counts))
		}
		if len(labels) == 0 {
			return errNoData
		}
		ylabel := opt.YLabel
		if ylabel == "" {
			ylabel = "Count"
		}
		p := newPlot("", "", ylabel)
		addGrid(p)
		vals := make(plotter.Values, len(counts))
		names := make([]string, len(labels))
		var top float64
		for i, n := range counts {
			vals[i] = float64(n)
			top = math.Max(top, float64(n))
			names[i] = plainLabel(labels[i], 28)
		}
		bw := vg.Length(math.Min(36, 0.6*float64(c.Size().X)/float64(len(vals)+1)))
		bars, err := plotter.NewBarChart(vals, bw)
		if err != nil {
			return err
		}
		bars.Color = qcolor(0)
		bars.LineStyle.Width = 0
		p.Add(bars)
		var xys plotter.XYLabels
		xys.XYs = make(plotter.XYs, len(vals))
		xys.Labels = make([]string, len(vals))
		for i, v := range vals {
			xys.XYs[i] = plotter.XY{X: float64(i), Y: v}
			xys.Labels[i] = strconv.Itoa(counts[i])
		}
		lab, err := plotter.NewLabels(xys)
		if err != nil {
			return err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].XAlign = draw.XCenter
			lab.TextStyle[i].Font.Size = vg.Points(8.5)
			lab.TextStyle[i].Font.Variant = "Sans"
			lab.Offset = vg.Point{Y: vg.Points(2)}
		}
		p.Add(lab)
		p.NominalX(names...)
		if len(names) > 6 {
			p.X.Tick.Label.Rotation = math.Pi / 6
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
		p.Y.Min = 0
		p.Y.Max = math.Max(1, top*1.12)
		p.Draw(c)
		return nil
	})
}

// ButterflyPanel is one channel type of a butterfly plot.
type ButterflyPanel struct {
	Title string
	// Unit of the data after Scale (e.g. "fT", "fT/cm").
	Unit string
	// Scale multiplies the data (1e15 for T → fT, 1e13 for T/m → fT/cm);
	// 0 means 1.
	Scale float64
	// Data holds one row per channel, each as long as the times.
	Data [][]float64
}

// ButterflyOptions tune Butterfly.
type ButterflyOptions struct {
	FigureOptions
	// Markers are labelled vertical lines (e.g. M100, M170), in the
	// times' unit.
	Markers []Marker
	// TimeLabel labels the time axis (default "Time (s)").
	TimeLabel string
}

// Butterfly adds an evoked-response butterfly plot: every channel of a
// panel overlaid against times, one panel per channel type stacked
// vertically, with the global field power (RMS over channels) drawn
// thicker.
func (r *Report) Butterfly(title string, times []float64, panels []ButterflyPanel, opt ButterflyOptions) {
	times = slices.Clone(times)
	panels = slices.Clone(panels)
	for i := range panels {
		panels[i].Data = clone2D(panels[i].Data)
	}
	opt.Markers = slices.Clone(opt.Markers)
	w, h := opt.size(9, 1.0+2.4*float64(max(1, len(panels))))
	r.addFigure(title, opt.FigureOptions, w, h, false, func(c draw.Canvas) error {
		if len(panels) == 0 || len(times) < 2 {
			return errNoData
		}
		tl := opt.TimeLabel
		if tl == "" {
			tl = "Time (s)"
		}
		wpx := int(float64(c.Size().X/vg.Inch) * 96 * 2)
		tiles := draw.Tiles{Cols: 1, Rows: len(panels), PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		for i, pan := range panels {
			xl := ""
			if i == len(panels)-1 {
				xl = tl
			}
			unit := pan.Unit
			if unit == "" {
				unit = "unit"
			}
			title := pan.Title
			if title != "" {
				title = fmt.Sprintf("%s (%d channels)", title, len(pan.Data))
			}
			p := newPlot(title, xl, unit)
			addGrid(p)
			scale := pan.Scale
			if scale == 0 {
				scale = 1
			}
			if len(pan.Data) == 0 {
				return fmt.Errorf("panel %q: no channels", pan.Title)
			}
			rms := make([]float64, len(times))
			rl := &rasterLines{x: times, ys: make([][]float64, len(pan.Data)), cols: butterflyColors}
			for ch, row := range pan.Data {
				if len(row) != len(times) {
					return fmt.Errorf("panel %q: channel %d has %d samples for %d times", pan.Title, ch, len(row), len(times))
				}
				ys := make([]float64, len(times))
				for k, v := range row {
					ys[k] = v * scale
					rms[k] += ys[k] * ys[k]
				}
				rl.ys[ch] = ys
			}
			p.Add(rl)
			for k := range rms {
				rms[k] = math.Sqrt(rms[k] / float64(len(pan.Data)))
			}
			gfp, err := plotter.NewLine(envelope(times, rms, wpx))
			if err != nil {
				return err
			}
			gfp.Color = color.Black
			gfp.Width = vg.Points(1.4)
			p.Add(gfp)
			p.Legend.Add("RMS", gfp)
			p.Legend.Top = true
			addMarkers(p, opt.Markers)
			p.X.Min, p.X.Max = times[0], times[len(times)-1]
			p.Draw(tiles.At(c, 0, i))
		}
		return nil
	})
}

// butterflyColors are the channel colours of butterfly plots: the
// qualitative palette, half transparent.
var butterflyColors = func() []color.NRGBA {
	out := make([]color.NRGBA, len(qualitative))
	for i, c := range qualitative {
		out[i] = withAlpha(c, 0.6).(color.NRGBA)
	}
	return out
}()

// envelope returns the points of y against t, reduced to the minimum and
// maximum of each of about width buckets when there are many more points
// than pixels (the drawn line looks the same, with far fewer segments).
func envelope(t, y []float64, width int) plotter.XYs {
	idx := envelopeIndex(t, y, width, nil)
	xy := make(plotter.XYs, len(idx))
	for k, i := range idx {
		xy[k] = plotter.XY{X: t[i], Y: y[i]}
	}
	return xy
}

// envelopeIndex appends to idx the indices of the points that envelope
// keeps, in order, leaving out those with a NaN coordinate.
func envelopeIndex(t, y []float64, width int, idx []int) []int {
	keep := func(i int) {
		if !math.IsNaN(t[i]) && !math.IsNaN(y[i]) {
			idx = append(idx, i)
		}
	}
	n := len(t)
	if width < 1 || n <= 2*width {
		for i := range t {
			keep(i)
		}
		return idx
	}
	for b := range width {
		i0, i1 := b*n/width, (b+1)*n/width
		lo, hi := i0, i0
		for i := i0; i < i1; i++ {
			if y[i] < y[lo] {
				lo = i
			}
			if y[i] > y[hi] {
				hi = i
			}
		}
		a, z := min(lo, hi), max(lo, hi)
		keep(a)
		if z != a {
			keep(z)
		}
	}
	return idx
}

// Series is one named curve of a TimeCourses figure.
type Series struct {
	Label  string
	Values []float64
}

// Window is a shaded interval [Start, End] of the x axis.
type Window struct {
	Start, End float64
	Label      string
}

// TimeCourseOptions tune TimeCourses.
type TimeCourseOptions struct {
	FigureOptions
	// YLabel labels the value axis, TimeLabel the time axis (default
	// "Time (s)").
	YLabel, TimeLabel string
	// Windows are shaded intervals (e.g. the RSA window), Markers
	// labelled vertical lines.
	Windows []Window
	Markers []Marker
}

// TimeCourses adds a line plot of named series against times (e.g. the
// parcel time courses of the face network), with optional shaded windows
// and markers.
func (r *Report) TimeCourses(title string, times []float64, series []Series, opt TimeCourseOptions) {
	times = slices.Clone(times)
	series = slices.Clone(series)
	for i := range series {
		series[i].Values = slices.Clone(series[i].Values)
	}
	opt.Windows, opt.Markers = slices.Clone(opt.Windows), slices.Clone(opt.Markers)
	w, h := opt.size(9, 4)
	r.addFigure(title, opt.FigureOptions, w, h, false, func(c draw.Canvas) error {
		if len(series) == 0 || len(times) < 2 {
			return errNoData
		}
		tl := opt.TimeLabel
		if tl == "" {
			tl = "Time (s)"
		}
		p := newPlot("", tl, opt.YLabel)
		addGrid(p)
		var all []float64
		for _, s := range series {
			all = append(all, s.Values...)
		}
		ylo, yhi, ok := finiteRange(all)
		if !ok {
			return errNoData
		}
		ylo, yhi = padRange(ylo, yhi)
		pad := 0.05 * (yhi - ylo)
		ylo, yhi = ylo-pad, yhi+pad
		for wi, win := range opt.Windows {
			poly, err := plotter.NewPolygon(plotter.XYs{{X: win.Start, Y: ylo}, {X: win.End, Y: ylo}, {X: win.End, Y: yhi}, {X: win.Start, Y: yhi}})
			if err != nil {
				return err
			}
			poly.Color = withAlpha(qcolor(len(qualitative)-1-wi), 0.15)
			poly.LineStyle.Width = 0
			p.Add(poly)
			if win.Label != "" {
				p.Legend.Add(plainLabel(win.Label, 30), poly)
			}
		}
		wpx := int(float64(c.Size().X/vg.Inch) * 96 * 2)
		for i, s := range series {
			if len(s.Values) != len(times) {
				return fmt.Errorf("series %q has %d values for %d times", s.Label, len(s.Values), len(times))
			}
			line, err := plotter.NewLine(envelope(times, s.Values, wpx))
			if err != nil {
				return err
			}
			line.Color = qcolor(i)
			line.Width = vg.Points(1.2)
			if i >= len(qualitative) {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(line)
			p.Legend.Add(plainLabel(s.Label, 30), line)
		}
		addMarkers(p, opt.Markers)
		p.X.Min, p.X.Max = times[0], times[len(times)-1]
		p.Y.Min, p.Y.Max = ylo, yhi
		// Legend to the right of the data area.
		main := c
		if len(series)+len(opt.Windows) > 1 {
			lw := vg.Length(1.9) * vg.Inch
			main.Max.X -= lw
			legc := c
			legc.Min.X = main.Max.X + vg.Points(4)
			p.Legend.Top = true
			p.Legend.Left = true
			p.Legend.Draw(legc)
			p.Legend = plot.NewLegend()
		}
		p.Draw(main)
		return nil
	})
}

// clone2D copies rows (keeping nil and ragged rows as they are) into one
// allocation, for figures drawn after their method has returned.
func clone2D[T any](rows [][]T) [][]T {
	if rows == nil {
		return nil
	}
	n := 0
	for _, row := range rows {
		n += len(row)
	}
	flat := make([]T, 0, n)
	out := make([][]T, len(rows))
	for i, row := range rows {
		if row == nil {
			continue
		}
		k := len(flat)
		flat = append(flat, row...)
		out[i] = flat[k:len(flat):len(flat)]
	}
	return out
}
