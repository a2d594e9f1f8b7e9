package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/backend"
)

// BenchmarkRunSimulated times the whole per-subject pipeline of
// configs/wakeman_henson.yaml on the shared simulated recording (two runs,
// fsaverage5; see sharedStudy), every stage computed afresh (a new
// derivatives folder per iteration). It reports the wall time per run, the
// peak RSS the pipeline measured (MB) and the seconds of each stage, and
// logs which BLAS backend ran. scripts/bench_pipeline.sh compares the same
// run with MNE-Python.
//
//	go test -tags openblas -run '^$' -bench RunSimulated -benchtime 1x ./pipeline
func BenchmarkRunSimulated(b *testing.B) {
	// As requireFastBLAS (which takes a *testing.T): the pure-Go build
	// needs minutes per run, MEGFLOW_E2E_PUREGO=1 runs it anyway.
	if !strings.Contains(strings.ToLower(backend.Name()), "openblas") && os.Getenv("MEGFLOW_E2E_PUREGO") == "" {
		b.Skipf("the pipeline benchmark needs the OpenBLAS backend (backend %s; go test -tags openblas, or MEGFLOW_E2E_PUREGO=1)", backend.Name())
	}
	b.Logf("BLAS backend: %s", backend.Name())
	_, sets := sharedStudy(b)
	ctx := context.Background()
	var peak float64
	stage := map[string]float64{}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		deriv := b.TempDir()
		s := append(append([]string(nil), sets...), "deriv_root="+deriv)
		b.StartTimer()
		sum, err := runStudy(b, ctx, s, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		peak = max(peak, sum.PeakRSSMB)
		for _, r := range sum.Steps {
			if r.Status != "ran" {
				b.Fatalf("step %s: %s (%s), want ran", r.Step, r.Status, r.Reason)
			}
			stage[r.Stage] += r.Seconds
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(peak, "peak-RSS-MB")
	for st, sec := range stage {
		b.ReportMetric(sec/float64(b.N), st+"-s/op")
	}
	if strings.Contains(strings.ToLower(backend.Name()), "openblas") {
		b.ReportMetric(1, "openblas")
	} else {
		b.ReportMetric(0, "openblas")
	}
}
