package report_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/megflow/megflow/pipeline/report"
)

// Example builds a small report with a table, an events bar chart, a
// time-course figure and an RDM, and writes it atomically.
func Example() {
	r := report.New("sub-01 — megflow report")
	r.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // reproducible output

	r.Section("Provenance")
	r.KeyValues("Run", []report.KV{{Key: "megflow version", Value: "v0.1.0"}, {Key: "Config hash", Value: "sha256:0f3a…"}})
	r.Table("Stage timings", []string{"Stage", "Wall time", "Peak RSS"}, [][]string{{"maxwell", "41.2 s", "1.2 GiB"}})

	r.Section("Events")
	r.Events("Epochs per condition", []string{"famous", "unfamiliar", "scrambled"}, []int{150, 148, 150}, report.EventsOptions{})

	r.Section("Parcels")
	times := make([]float64, 221)
	fus := make([]float64, len(times))
	for i := range times {
		times[i] = -0.2 + float64(i)/220
		fus[i] = 4 * math.Exp(-0.5*math.Pow((times[i]-0.17)/0.03, 2))
	}
	r.TimeCourses("Face network", times, []report.Series{{Label: "fusiform-rh", Values: fus}},
		report.TimeCourseOptions{YLabel: "dSPM", Markers: []report.Marker{{X: 0.17, Label: "M170"}}})

	r.Section("RSA")
	r.RDM("RDM, fusiform-rh", []string{"famous", "unfamiliar", "scrambled"}, []float64{0.3, 0.9, 0.8},
		report.RDMOptions{Measure: "1 − Pearson r"})

	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	dir, err := os.MkdirTemp("", "report-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sub-01_report.html")
	if err := r.WriteFile(path); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.NumFigures(), "figures written to", filepath.Base(path))
	// Output: 3 figures written to sub-01_report.html
}
