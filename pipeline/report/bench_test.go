package report

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// pipelineInputs are synthetic inputs of the sizes the pipeline passes for
// one subject (306 MEG channels, 1101 samples, 8196 sources, 450-pattern
// RDMs, 9 conditions), built once so that benchmarks time only the report.
type pipelineInputs struct {
	freqs     []float64
	psd       []PSDPanel
	conds     []string
	counts    []int
	times     []float64
	butterfly [][]ButterflyPanel
	maps      [][]Hemisphere
	series    [][]Series
	labels    []string
	cats      []string
	rdms      [][]float64
	markers   []Marker
}

func newPipelineInputs() *pipelineInputs {
	rng := rand.New(rand.NewPCG(3, 4))
	in := &pipelineInputs{}
	in.freqs = make([]float64, 1101)
	for i := range in.freqs {
		in.freqs[i] = 150 * float64(i) / float64(len(in.freqs)-1)
	}
	for _, pt := range []struct {
		title, unit string
		scale       float64
		n           int
	}{{"Magnetometers", "fT", 1e15, 102}, {"Gradiometers", "fT/cm", 1e13, 204}} {
		in.psd = append(in.psd, PSDPanel{Title: pt.title, Unit: pt.unit, Scale: pt.scale, Curves: []PSDCurve{
			{Label: "raw", Spectra: synthPSD(pt.n, in.freqs, 5, rng)},
			{Label: "Maxwell-filtered", Spectra: synthPSD(pt.n, in.freqs, 0.2, rng)},
			{Label: "filtered", Spectra: synthPSD(pt.n, in.freqs, 0.1, rng)}}})
	}
	in.conds = []string{"famous/first", "famous/immediate", "famous/long", "unfamiliar/first", "unfamiliar/immediate",
		"unfamiliar/long", "scrambled/first", "scrambled/immediate", "scrambled/long"}
	for i := range in.conds {
		in.counts = append(in.counts, 140+i)
	}
	in.times = synthTimes(1101, -0.2, 1100)
	in.markers = []Marker{{X: 0.1, Label: "100 ms"}, {X: 0.17, Label: "170 ms"}}
	for range 3 {
		in.butterfly = append(in.butterfly, []ButterflyPanel{
			{Title: "Magnetometers", Unit: "fT", Scale: 1e15, Data: synthEvoked(102, in.times, 1e-13, rng)},
			{Title: "Gradiometers", Unit: "fT/cm", Scale: 1e13, Data: synthEvoked(204, in.times, 3e-12, rng)}})
	}
	for range 2 {
		in.maps = append(in.maps, []Hemisphere{synthHemi("lh", 4098, 8, rng), synthHemi("rh", 4098, 12, rng)})
	}
	for r := range 4 {
		var ss []Series
		for _, hemi := range []string{"lh", "rh"} {
			for k, cat := range []string{"famous", "scrambled", "unfamiliar"} {
				v := make([]float64, len(in.times))
				for i, t := range in.times {
					v[i] = float64(r+k+1)*math.Exp(-0.5*math.Pow((t-0.17)/0.03, 2)) + 0.1*rng.NormFloat64()
				}
				ss = append(ss, Series{Label: "region" + strconv.Itoa(r) + "-" + hemi + " " + cat, Values: v})
			}
		}
		in.series = append(in.series, ss)
	}
	const n = 450
	for i := range n {
		cat := []string{"famous", "scrambled", "unfamiliar"}[i*3/n]
		in.cats = append(in.cats, cat)
		in.labels = append(in.labels, cat+"/"+strconv.Itoa(i))
	}
	for range 4 {
		c := make([]float64, n*(n-1)/2)
		k := 0
		for i := range n {
			for j := i + 1; j < n; j++ {
				c[k] = 0.8 + 0.2*rng.Float64()
				if in.cats[i] == in.cats[j] {
					c[k] -= 0.3
				}
				k++
			}
		}
		in.rdms = append(in.rdms, c)
	}
	return in
}

// build makes the report the pipeline makes for one subject: 15 figures.
func (in *pipelineInputs) build(workers int) *Report {
	r := New("sub-01 — megflow report")
	r.Time = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r.Workers = workers
	r.Section("Raw data")
	r.PSD("Power spectral density", in.freqs, in.psd, PSDOptions{Markers: []Marker{{X: 50, Label: "50 Hz"}}})
	r.Events("Epochs kept per condition", in.conds, in.counts, EventsOptions{})
	r.Section("Evoked responses")
	for i, pans := range in.butterfly {
		r.Butterfly("Evoked response "+strconv.Itoa(i), in.times, pans, ButterflyOptions{Markers: in.markers})
	}
	for i, hemis := range in.maps {
		r.SourceMap("dSPM "+strconv.Itoa(i), hemis, SourceMapOptions{Unit: "dSPM", Views: []string{"lateral", "ventral"}})
	}
	r.Section("Parcel time courses")
	for i, ss := range in.series {
		r.TimeCourses("Region "+strconv.Itoa(i), in.times, ss, TimeCourseOptions{YLabel: "dSPM (mean_flip)", Markers: in.markers,
			Windows: []Window{{Start: 0.15, End: 0.2, Label: "RSA window"}}})
	}
	r.Section("RDMs")
	for i, c := range in.rdms {
		r.RDM("Window RDM "+strconv.Itoa(i), in.labels, c, RDMOptions{Measure: "correlation", Categories: in.cats})
	}
	return r
}

// BenchmarkReportPipeline times building and rendering the pipeline's
// report from ready inputs (default workers: GOMAXPROCS).
func BenchmarkReportPipeline(b *testing.B) {
	in := newPipelineInputs()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		r := in.build(0)
		if err := r.Render(&buf); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "html-bytes")
}

// BenchmarkReportPipelineSequential is BenchmarkReportPipeline on one
// goroutine.
func BenchmarkReportPipelineSequential(b *testing.B) {
	in := newPipelineInputs()
	for b.Loop() {
		if err := in.build(1).Render(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
