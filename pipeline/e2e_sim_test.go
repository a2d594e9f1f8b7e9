package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/megflow/megflow/configs"
	"github.com/megflow/megflow/simulate"
)

// TestDemoStudy runs the built-in demo config on a study megflow simulates
// itself (no shared data needed): every stage, the ground-truth check, the
// caching and crossnobis RDMs over the two runs.
func TestDemoStudy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the end-to-end run takes tens of seconds")
	}
	dir := t.TempDir()
	res, err := simulate.Study(context.Background(), dir, simulate.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := configs.Read("demo")
	if err != nil {
		t.Fatal(err)
	}
	sets := []string{"bids_root=" + dir}
	cfg, err := LoadBytes("builtin:demo", b, sets)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	sum, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pipeline on the simulated study: %.1f s, peak RSS %.0f MB", time.Since(t0).Seconds(), sum.PeakRSSMB)
	truth, err := simulate.ReadTruth(res.TruthPath)
	if err != nil {
		t.Fatal(err)
	}
	m170 := truth.Component("M170")
	if m170 == nil {
		t.Fatal("no M170 in the truth")
	}
	for _, hemi := range []string{"lh", "rh"} {
		r, err := RegionSummary(cfg.ParcelsPath("01"), cfg.WindowRDMPath("01"), "fusiform", hemi, "face", M170Window[0], M170Window[1])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fusiform-%s: faces − scrambled peaks at %.0f ms (faces %.0f ms; truth %.0f ms); RDM faces-faces %.3f, faces-scrambled %.3f",
			hemi, r.ContrastPeak*1000, r.Peak*1000, m170.Peak*1000, r.Within, r.Between)
		if math.Abs(r.ContrastPeak-m170.Peak) > 0.015+1e-9 {
			t.Errorf("fusiform-%s: face-selective peak %.3f s, truth %.3f s", hemi, r.ContrastPeak, m170.Peak)
		}
		if !(r.Within < r.Between) {
			t.Errorf("fusiform-%s: faces-faces %.3f not below faces-scrambled %.3f", hemi, r.Within, r.Between)
		}
	}
	for _, p := range []string{cfg.TimeRDMPath("01"), cfg.ReportPath("01")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	checkRSAToolbox(t, cfg.WindowRDMPath("01"), cfg.TimeRDMPath("01"))
	// Every output has a provenance sidecar naming its inputs.
	for _, s := range (&subjectRun{cfg: cfg, sub: "01"}).steps() {
		for _, o := range s.Outputs {
			if _, err := os.Stat(sidecarPath(o)); err != nil {
				t.Errorf("%s has no provenance sidecar: %v", filepath.Base(o), err)
			}
		}
	}
	t1 := time.Now()
	sum, err = Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(sum); len(st["ran"]) > 0 || time.Since(t1) > 2*time.Second {
		t.Errorf("second run re-ran %v in %v", st["ran"], time.Since(t1))
	}
	// Crossnobis over the two runs, patterns averaged per condition: only
	// the RSA stage and the report run again, and the fusiform distances
	// between faces and scrambled images exceed those among faces.
	cn, err := LoadBytes("builtin:demo", b, append(sets, "rsa.metric=crossnobis", "rsa.average_by=condition", "rsa.time_step=10"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err = Run(context.Background(), cn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(sum)["ran"]; len(got) != 2 || got[0] != "rsa" || got[1] != "report" {
		t.Errorf("crossnobis re-ran %v, want [rsa report]", got)
	}
	checkRSAToolbox(t, cn.WindowRDMPath("01"), cn.TimeRDMPath("01"))
	for _, hemi := range []string{"lh", "rh"} {
		r, err := RegionSummary(cn.ParcelsPath("01"), cn.WindowRDMPath("01"), "fusiform", hemi, "face", M170Window[0], M170Window[1])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fusiform-%s crossnobis: faces-faces %.4g, faces-scrambled %.4g", hemi, r.Within, r.Between)
		if !(r.Within < r.Between) {
			t.Errorf("fusiform-%s crossnobis: faces-faces %.4g not below faces-scrambled %.4g", hemi, r.Within, r.Between)
		}
	}
	// --stages with a missing upstream output is an error naming it.
	if err := os.Remove(cfg.covPath("01")); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, Options{Stages: []string{"rsa"}})
	if err == nil {
		t.Error("--stages rsa ran although the covariance is missing")
	} else {
		t.Log(err)
	}
}
