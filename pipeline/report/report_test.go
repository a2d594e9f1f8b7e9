package report

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// synthetic data, deterministic

func synthPSD(nch int, freqs []float64, line float64, rng *rand.Rand) [][]float64 {
	out := make([][]float64, nch)
	for c := range out {
		row := make([]float64, len(freqs))
		g := 1 + 0.5*rng.Float64()
		for k, f := range freqs {
			v := g * 1e-26 / (1 + f)
			v += line * 1e-24 * math.Exp(-0.5*math.Pow((f-50)/0.7, 2))
			row[k] = v * (1 + 0.2*rng.Float64())
		}
		out[c] = row
	}
	return out
}

func synthTimes(n int, t0, sfreq float64) []float64 {
	t := make([]float64, n)
	for i := range t {
		t[i] = t0 + float64(i)/sfreq
	}
	return t
}

func synthEvoked(nch int, times []float64, amp float64, rng *rand.Rand) [][]float64 {
	out := make([][]float64, nch)
	for c := range out {
		a1, a2 := rng.NormFloat64(), rng.NormFloat64()
		row := make([]float64, len(times))
		for i, t := range times {
			row[i] = amp * (a1*math.Exp(-0.5*math.Pow((t-0.1)/0.015, 2)) + a2*math.Exp(-0.5*math.Pow((t-0.17)/0.025, 2)) + 0.05*rng.NormFloat64())
		}
		out[c] = row
	}
	return out
}

// synthHemi puts n sources on an ellipsoid shell centred at x = ±40 mm
// with a blob of activity around a ventral-posterior point.
func synthHemi(name string, n int, peak float64, rng *rand.Rand) Hemisphere {
	cx := -0.04
	if name == "rh" {
		cx = 0.04
	}
	h := Hemisphere{Name: name, Pos: make([][3]float64, n), Values: make([]float64, n)}
	focus := [3]float64{cx, -0.06, -0.03}
	for i := range n {
		// Fibonacci sphere
		z := 1 - 2*(float64(i)+0.5)/float64(n)
		r := math.Sqrt(1 - z*z)
		phi := float64(i) * math.Pi * (3 - math.Sqrt(5))
		p := [3]float64{cx + 0.03*r*math.Cos(phi), 0.075 * r * math.Sin(phi), 0.01 + 0.05*z}
		h.Pos[i] = p
		d2 := (p[0]-focus[0])*(p[0]-focus[0]) + (p[1]-focus[1])*(p[1]-focus[1]) + (p[2]-focus[2])*(p[2]-focus[2])
		h.Values[i] = peak*math.Exp(-d2/(2*0.02*0.02)) + math.Abs(rng.NormFloat64())
	}
	return h
}

// buildReport makes a report with every kind of figure, about 15 in all.
func buildReport(tb testing.TB) *Report { return buildReportWorkers(tb, 0) }

// buildReportWorkers is buildReport with r.Workers set to workers.
func buildReportWorkers(tb testing.TB, workers int) *Report {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	r := New("sub-01 — megflow report")
	r.Time = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r.Workers = workers

	r.Section("Provenance")
	r.KeyValues("Run", []KV{{"megflow version", "v0.1.0"}, {"Config hash", "sha256:abc123"}, {"Inputs", "sub-01/meg/run-01_raw.fif"}})
	r.Table("Stage timings", []string{"Stage", "Wall time", "Peak memory"},
		[][]string{{"maxwell", "41.2 s", "1.2 GiB"}, {"filter", "3.1 s", "410 MiB"}, {"epochs", "0.8 s"}})
	r.Pre("Configuration", "l_freq: 1\nh_freq: 40\n")

	r.Section("Raw data")
	freqs := make([]float64, 601)
	for i := range freqs {
		freqs[i] = 0.5 * float64(i)
	}
	panels := []PSDPanel{
		{Title: "Magnetometers", Unit: "fT", Scale: 1e15, Curves: []PSDCurve{
			{Label: "raw", Spectra: synthPSD(102, freqs, 5, rng)},
			{Label: "Maxwell-filtered", Spectra: synthPSD(102, freqs, 0.2, rng)}}},
		{Title: "Gradiometers", Unit: "fT/cm", Scale: 1e13, Curves: []PSDCurve{
			{Label: "raw", Spectra: synthPSD(204, freqs, 5, rng)},
			{Label: "Maxwell-filtered", Spectra: synthPSD(204, freqs, 0.2, rng)}}},
	}
	r.PSD("PSD before and after Maxwell filtering", freqs, panels, PSDOptions{Markers: []Marker{{X: 50, Label: "50 Hz"}}})
	r.PSD("PSD, log frequency", freqs, panels[:1], PSDOptions{LogFreq: true, FMin: 1})
	r.Table("Bad channels", []string{"Channel", "Reason"}, [][]string{{"MEG 0113", "flat"}, {"MEG 2443", "noisy"}})
	r.Events("Events per condition", []string{"famous", "unfamiliar", "scrambled"}, []int{150, 148, 150},
		EventsOptions{FigureOptions: FigureOptions{Caption: "after rejection"}})

	r.Section("Evoked responses")
	times := synthTimes(1101, -0.2, 1100)
	markers := []Marker{{X: 0.1, Label: "M100"}, {X: 0.17, Label: "M170"}}
	for _, cond := range []string{"famous", "unfamiliar", "scrambled"} {
		r.Butterfly("Evoked: "+cond, times, []ButterflyPanel{
			{Title: "Magnetometers", Unit: "fT", Scale: 1e15, Data: synthEvoked(102, times, 1e-13, rng)},
			{Title: "Gradiometers", Unit: "fT/cm", Scale: 1e13, Data: synthEvoked(204, times, 3e-12, rng)},
		}, ButterflyOptions{Markers: markers})
	}

	r.Section("Source estimates")
	for _, peak := range []string{"M100", "M170"} {
		hemis := []Hemisphere{synthHemi("lh", 4098, 8, rng), synthHemi("rh", 4098, 12, rng)}
		r.SourceMap("dSPM at the "+peak+" peak", hemis, SourceMapOptions{Unit: "dSPM", Threshold: 3})
	}
	signed := []Hemisphere{synthHemi("lh", 2000, 5, rng), synthHemi("rh", 2000, -5, rng)}
	for i := range signed[1].Values {
		signed[1].Values[i] = -signed[1].Values[i]
	}
	r.SourceMap("Signed currents", signed, SourceMapOptions{Unit: "nAm", Views: []string{"lateral", "medial", "ventral"}})

	tcTimes := synthTimes(221, -0.2, 220)
	var series []Series
	for i, name := range []string{"fusiform-lh", "fusiform-rh", "lateraloccipital-lh", "lateraloccipital-rh", "inferiortemporal-lh", "inferiortemporal-rh"} {
		v := make([]float64, len(tcTimes))
		for k, t := range tcTimes {
			v[k] = float64(i+1) * math.Exp(-0.5*math.Pow((t-0.17)/0.03, 2))
		}
		series = append(series, Series{Label: name, Values: v})
	}
	r.TimeCourses("Face network parcel time courses", tcTimes, series,
		TimeCourseOptions{YLabel: "dSPM", Windows: []Window{{Start: 0.15, End: 0.2, Label: "RSA window"}}, Markers: markers})

	r.Section("RSA")
	const n = 36
	labels := make([]string, n)
	cats := make([]string, n)
	for i := range n {
		cats[i] = []string{"famous", "unfamiliar", "scrambled"}[i/12]
		labels[i] = cats[i] + "/" + strconv.Itoa(i%12)
	}
	for _, roi := range []string{"fusiform-rh", "lateraloccipital-rh"} {
		cond := make([]float64, n*(n-1)/2)
		k := 0
		for i := range n {
			for j := i + 1; j < n; j++ {
				d := 0.8 + 0.2*rng.Float64()
				if cats[i] == cats[j] {
					d -= 0.4
				}
				cond[k] = d
				k++
			}
		}
		r.RDM("RDM, "+roi, labels, cond, RDMOptions{Measure: "1 − Pearson r", Categories: cats})
	}
	c32 := make([]float32, 6)
	for i := range c32 {
		c32[i] = float32(i)
	}
	r.RDM32("Small RDM", []string{"a", "b", "c", "d"}, c32, RDMOptions{})
	return r
}

var imgRE = regexp.MustCompile(`<img src="data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)"`)

// checkWellFormed parses the page as lenient XML (HTML void elements
// closed automatically), which fails on mis-nested or unclosed tags.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page is not well formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != e.Name.Local {
				t.Fatalf("unexpected </%s>, open: %v", e.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements: %v", stack)
	}
}

func TestReportAllFigures(t *testing.T) {
	start := time.Now()
	r := buildReport(t)
	t.Logf("%d figures built in %v", r.NumFigures(), time.Since(start))
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sub-01_report.html")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %d bytes", len(page))
	checkWellFormed(t, page)
	ms := imgRE.FindAllSubmatch(page, -1)
	if len(ms) != r.NumFigures() {
		t.Fatalf("%d images in the page, %d figures", len(ms), r.NumFigures())
	}
	for i, m := range ms {
		raw, err := base64.StdEncoding.DecodeString(string(m[2]))
		if err != nil {
			t.Fatalf("figure %d: %v", i+1, err)
		}
		w, _ := strconv.Atoi(string(m[3]))
		h, _ := strconv.Atoi(string(m[4]))
		switch string(m[1]) {
		case "png":
			cfg, err := png.DecodeConfig(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("figure %d: %v", i+1, err)
			}
			if cfg.Width != w || cfg.Height != h {
				t.Errorf("figure %d: PNG is %d×%d, page says %d×%d", i+1, cfg.Width, cfg.Height, w, h)
			}
		default:
			var doc struct {
				XMLName xml.Name
			}
			if err := xml.Unmarshal(raw, &doc); err != nil || doc.XMLName.Local != "svg" {
				t.Fatalf("figure %d: not an SVG document (%v, root %q)", i+1, err, doc.XMLName.Local)
			}
		}
		t.Logf("figure %d: %s %d×%d, %d bytes", i+1, m[1], w, h, len(raw))
	}
	for _, want := range []string{"<nav>", `href="#sec-1"`, "Figure 1.", "Generated 2026-11-22 12:00:00 UTC", "<caption>Stage timings</caption>", "after rejection"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after WriteFile, want only the report", len(entries))
	}
	if os.Getenv("REPORT_KEEP") != "" {
		os.WriteFile(os.Getenv("REPORT_KEEP"), page, 0o644)
	}
}

func TestReportDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := buildReport(t).Render(&a); err != nil {
		t.Fatal(err)
	}
	if err := buildReport(t).Render(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of the same input differ")
	}
}

// TestReportWorkers wants the same page whether figures are drawn one by
// one by the calls that add them or concurrently, more at once than
// there are CPUs.
func TestReportWorkers(t *testing.T) {
	var seq, par bytes.Buffer
	if err := buildReportWorkers(t, 1).Render(&seq); err != nil {
		t.Fatal(err)
	}
	if err := buildReportWorkers(t, 5).Render(&par); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seq.Bytes(), par.Bytes()) {
		t.Fatal("concurrent rendering differs from sequential rendering")
	}
}

// TestReportKeepsInputs changes every input slice as soon as its figure
// method returns, while the figure may still be waiting to be drawn, and
// wants the page of untouched inputs.
func TestReportKeepsInputs(t *testing.T) {
	build := func(spoil bool) []byte {
		rng := rand.New(rand.NewPCG(11, 12))
		r := New("inputs")
		r.Time = time.Time{}
		r.Workers = 3
		ruin := func(xs ...[]float64) {
			if spoil {
				for _, x := range xs {
					for i := range x {
						x[i] = math.NaN()
					}
				}
			}
		}
		freqs := synthTimes(120, 0, 1)
		psd := synthPSD(20, freqs, 1, rng)
		r.PSD("psd", freqs, []PSDPanel{{Title: "mag", Curves: []PSDCurve{{Label: "raw", Spectra: psd}}}}, PSDOptions{})
		ruin(append(psd, freqs)...)
		times := synthTimes(300, -0.1, 1000)
		ev := synthEvoked(30, times, 1, rng)
		r.Butterfly("butterfly", times, []ButterflyPanel{{Title: "mag", Data: ev}}, ButterflyOptions{})
		ruin(ev...)
		hm := synthHemi("lh", 500, 5, rng)
		r.SourceMap("map", []Hemisphere{hm}, SourceMapOptions{})
		ruin(hm.Values)
		for i := range hm.Pos {
			if spoil {
				hm.Pos[i] = [3]float64{}
			}
		}
		v := slices.Clone(times)
		r.TimeCourses("tc", times, []Series{{Label: "x", Values: v}}, TimeCourseOptions{})
		ruin(v)
		m := [][]float64{{0, 1, 2}, {1, 0, 3}, {2, 3, 0}}
		labels := []string{"a", "b", "c"}
		r.RDMMatrix("rdm", labels, m, RDMOptions{Categories: labels})
		ruin(m...)
		ruin(times)
		if spoil {
			labels[0] = "spoilt"
		}
		var buf bytes.Buffer
		if err := r.Render(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if !bytes.Equal(build(false), build(true)) {
		t.Fatal("changing the inputs after adding the figures changed the page")
	}
}

func TestReportEscaping(t *testing.T) {
	evil := `<script>alert("x")</script> & "quotes"`
	r := New(evil)
	r.Time = time.Time{}
	r.Section(evil)
	r.Text(evil)
	r.Pre(evil, evil)
	r.Table(evil, []string{evil}, [][]string{{evil, evil}})
	r.KeyValues(evil, []KV{{evil, evil}})
	r.Events(evil, []string{evil}, []int{3}, EventsOptions{FigureOptions: FigureOptions{Caption: evil}})
	var buf bytes.Buffer
	if err := r.Render(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script>") {
		t.Fatal("unescaped <script> in the page")
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Fatal("escaped text missing")
	}
	if strings.Contains(page, "Generated") {
		t.Error("zero Time still printed a timestamp")
	}
	checkWellFormed(t, buf.Bytes())
}

func TestReportFigureErrors(t *testing.T) {
	r := New("errors")
	r.TimeCourses("bad lengths", []float64{0, 1, 2}, []Series{{Label: "x", Values: []float64{1, 2}}}, TimeCourseOptions{})
	r.RDM("bad condensed", []string{"a", "b", "c"}, []float64{1, 2}, RDMOptions{})
	r.SourceMap("bad view", []Hemisphere{{Name: "lh", Pos: [][3]float64{{0, 0, 0}}, Values: []float64{1}}}, SourceMapOptions{Views: []string{"sideways"}})
	r.Events("ok", []string{"a"}, []int{1}, EventsOptions{})
	err := r.Err()
	if err == nil {
		t.Fatal("no error reported")
	}
	for _, want := range []string{"figure 1 (bad lengths)", "figure 2 (bad condensed)", "figure 3 (bad view)", "sideways"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var buf bytes.Buffer
	if err := r.Render(&buf); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `class="error"`); n != 3 {
		t.Errorf("%d error notices, want 3", n)
	}
	if !strings.Contains(buf.String(), "Figure 4.") {
		t.Error("figure after the failures missing or misnumbered")
	}
}

func TestReportFormats(t *testing.T) {
	for _, f := range []string{"png", "svg"} {
		r := New("formats")
		r.Format = f
		r.TimeCourses("tc", []float64{0, 1, 2}, []Series{{Label: "x", Values: []float64{1, 2, 0}}}, TimeCourseOptions{})
		var buf bytes.Buffer
		if err := r.Render(&buf); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"png": "data:image/png;base64,", "svg": "data:image/svg+xml;base64,"}[f]
		if !strings.Contains(buf.String(), want) {
			t.Errorf("format %s: no %s image", f, want)
		}
	}
	r := New("bad format")
	r.Format = "gif"
	r.Events("e", []string{"a"}, []int{1}, EventsOptions{})
	if r.Err() == nil {
		t.Error("unknown format accepted")
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing", "sub-01_report.html")
	err := New("x").WriteFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
	// Replacing an existing report leaves no temporary file behind.
	path = filepath.Join(dir, "r.html")
	for i := range 2 {
		r := New(fmt.Sprint("run ", i))
		if err := r.WriteFile(path); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "r.html" {
		t.Fatalf("directory holds %v, want [r.html]", names)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("run 1")) {
		t.Error("second write did not replace the first")
	}
	// A path that is a directory cannot be replaced.
	if err := New("x").WriteFile(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("writing over a directory: err = %v", err)
	}
}

func BenchmarkReport(b *testing.B) {
	for b.Loop() {
		r := buildReport(b)
		if err := r.Render(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func TestViews(t *testing.T) {
	front := [3]float64{0, 0.05, 0} // anterior
	back := [3]float64{0, -0.05, 0}
	out := [3]float64{-0.05, 0, 0} // left of the midline
	in := [3]float64{0.05, 0, 0}
	lhLat, _ := viewFor("lateral", "lh")
	rhLat, _ := viewFor("lateral", "rh")
	lhMed, _ := viewFor("medial", "lh")
	ventral, _ := viewFor("ventral", "lh")
	if !(dot(front, lhLat.h) < dot(back, lhLat.h)) {
		t.Error("lh lateral: anterior should be on the left")
	}
	if !(dot(front, rhLat.h) > dot(back, rhLat.h)) {
		t.Error("rh lateral: anterior should be on the right")
	}
	if !(dot(out, lhLat.d) > dot(in, lhLat.d)) || !(dot(in, lhMed.d) > dot(out, lhMed.d)) {
		t.Error("lh lateral/medial: wrong depth direction")
	}
	if !(dot([3]float64{0, 0, -1}, ventral.d) > 0) || !(dot(front, ventral.v) > dot(back, ventral.v)) {
		t.Error("ventral: viewer should be below, anterior up")
	}
}

func TestEnvelope(t *testing.T) {
	n := 10000
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
		y[i] = math.Sin(float64(i) / 7)
	}
	y[4321] = 5
	y[777] = -5
	xy := envelope(x, y, 100)
	if len(xy) > 202 {
		t.Fatalf("%d points for 100 buckets", len(xy))
	}
	var lo, hi float64
	for i, p := range xy {
		if i > 0 && p.X <= xy[i-1].X {
			t.Fatal("x not increasing")
		}
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
	}
	if lo != -5 || hi != 5 {
		t.Errorf("envelope lost the extremes: [%g, %g]", lo, hi)
	}
	if got := envelope(x[:50], y[:50], 100); len(got) != 50 {
		t.Errorf("short series reduced to %d points", len(got))
	}
}

func TestCustomPlot(t *testing.T) {
	r := New("custom")
	r.Plot("my plot", newPlot("t", "x", "y"), FigureOptions{Width: 3, Height: 2})
	r.Plot("nil plot", nil, FigureOptions{})
	if r.NumFigures() != 2 || r.Err() == nil {
		t.Fatalf("figures %d, err %v", r.NumFigures(), r.Err())
	}
	var buf bytes.Buffer
	if err := r.Render(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `width="288" height="192"`) {
		t.Error("3×2 in figure at 96 dpi should be 288×192 px")
	}
}

// TestConcurrentReports builds reports in parallel goroutines (the
// pipeline may process subjects concurrently); run with -race.
func TestConcurrentReports(t *testing.T) {
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			r := New(fmt.Sprint("sub-0", g))
			r.Events("events", []string{"a", "b"}, []int{g, 2}, EventsOptions{})
			times := synthTimes(200, 0, 100)
			r.Butterfly("evoked", times, []ButterflyPanel{{Title: "mag", Data: synthEvoked(10, times, 1, rng)}}, ButterflyOptions{})
			r.SourceMap("map", []Hemisphere{synthHemi("lh", 300, 5, rng)}, SourceMapOptions{})
			r.RDM("rdm", []string{"a", "b", "c"}, []float64{1, 2, 3}, RDMOptions{})
			if err := r.Err(); err != nil {
				errs <- err
				return
			}
			errs <- r.Render(io.Discard)
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
