package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// schedLog records which steps run when.
type schedLog struct {
	mu             sync.Mutex
	running        map[string]bool
	done           map[string]bool
	maxAll, maxHvy int
	violations     []string
}

// fakeStep writes its outputs after a short sleep, checking on entry that
// the steps it depends on are done and counting what runs beside it.
func (l *schedLog) fakeStep(stage, label string, after []string, in, out []string, fail bool) *step {
	return &step{Stage: stage, Label: label, Inputs: in, Outputs: out, Params: label,
		Run: func(ctx context.Context, e *env) error {
			l.mu.Lock()
			for _, a := range after {
				if !l.done[a] {
					l.violations = append(l.violations, label+" started before "+a+" ended")
				}
			}
			l.running[label] = true
			all, heavy := 0, 0
			for lb := range l.running {
				all++
				heavy += heavyWeight(stageOf[lb])
			}
			l.maxAll, l.maxHvy = max(l.maxAll, all), max(l.maxHvy, heavy)
			l.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			l.mu.Lock()
			delete(l.running, label)
			l.done[label] = true
			l.mu.Unlock()
			if fail {
				return errors.New("boom")
			}
			for _, o := range out {
				if err := os.WriteFile(o, []byte(label), 0o644); err != nil {
					return err
				}
			}
			return nil
		}}
}

var stageOf = map[string]string{}

// TestScheduler runs a subject-shaped graph of fake steps: a step starts
// only once the steps producing its inputs are done, at most step-jobs run
// at once and their heavy weights add up to 2 at most (two Maxwell runs,
// or one other heavy step); results come in step order; a failure stops
// new steps and is returned.
func TestScheduler(t *testing.T) {
	for _, jobs := range []int{1, 2} {
		t.Run(fmt.Sprint("step-jobs=", jobs), func(t *testing.T) { testScheduler(t, jobs) })
	}
}

func testScheduler(t *testing.T, jobs int) {
	dir := t.TempDir()
	f := func(n string) string { return filepath.Join(dir, n) }
	raw := f("raw")
	if err := os.WriteFile(raw, []byte("raw"), 0o644); err != nil {
		t.Fatal(err)
	}
	type spec struct {
		stage, label string
		in, out      []string
		after        []string
	}
	specs := []spec{
		{"maxwell", "maxwell 1", []string{raw}, []string{f("sss1")}, nil},
		{"maxwell", "maxwell 2", []string{raw}, []string{f("sss2")}, nil},
		{"filter", "filter 1", []string{f("sss1")}, []string{f("filt1")}, []string{"maxwell 1"}},
		{"filter", "filter 2", []string{f("sss2")}, []string{f("filt2")}, []string{"maxwell 2"}},
		{"events", "events 1", []string{raw}, []string{f("eve1")}, nil},
		{"epochs", "epochs", []string{f("filt1"), f("filt2"), f("eve1")}, []string{f("epo")}, []string{"filter 1", "filter 2", "events 1"}},
		{"source_space", "src", nil, []string{f("src")}, nil},
		{"bem", "bem", nil, []string{f("bem")}, nil},
		{"forward", "forward", []string{f("sss1"), f("src"), f("bem")}, []string{f("fwd")}, []string{"maxwell 1", "src", "bem"}},
		{"inverse", "inverse", []string{f("fwd"), f("epo")}, []string{f("inv")}, []string{"forward", "epochs"}},
		{"rsa", "rsa", []string{f("epo"), f("inv")}, []string{f("rdm")}, []string{"inverse", "epochs"}},
	}
	cfg := &Loaded{Path: "test.yaml", Hash: "x"}
	build := func(l *schedLog, failAt string) []*step {
		var steps []*step
		for _, s := range specs {
			stageOf[s.label] = s.stage
			steps = append(steps, l.fakeStep(s.stage, s.label, s.after, s.in, s.out, s.label == failAt))
		}
		return steps
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mon := startRSSMonitor()
	defer mon.stop()
	r := &subjectRun{cfg: cfg, sub: "01"}
	{
		l := &schedLog{running: map[string]bool{}, done: map[string]bool{}}
		hc := openHashCache(t.TempDir())
		res, err := r.runSteps(context.Background(), build(l, ""), hc, Options{}, log, 1<<30, false, mon, jobs)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.violations) > 0 {
			t.Errorf("step jobs %d: %v", jobs, l.violations)
		}
		if l.maxAll > jobs || l.maxHvy > 2 {
			t.Errorf("step jobs %d: up to %d steps at once, heavy weight %d", jobs, l.maxAll, l.maxHvy)
		}
		if jobs == 2 && l.maxAll != 2 {
			t.Errorf("step jobs 2: steps never ran side by side")
		}
		for i, sr := range res {
			if sr.Step != specs[i].label || sr.Status != "ran" {
				t.Errorf("result %d: %s %s, want %s ran", i, sr.Step, sr.Status, specs[i].label)
			}
		}
		// Everything is current now: a second pass runs nothing.
		res, err = r.runSteps(context.Background(), build(l, ""), hc, Options{}, log, 1<<30, false, mon, jobs)
		if err != nil {
			t.Fatal(err)
		}
		for _, sr := range res {
			if sr.Status != "cached" {
				t.Errorf("second pass: %s %s", sr.Step, sr.Status)
			}
		}
	}
	// A failing step: its error comes back, the steps needing it never run.
	for _, fn := range []string{"sss1", "fwd", "inv", "rdm", "filt1", "epo"} {
		os.Remove(f(fn))
	}
	l := &schedLog{running: map[string]bool{}, done: map[string]bool{}}
	res, err := r.runSteps(context.Background(), build(l, "forward"), openHashCache(t.TempDir()), Options{}, log, 1<<30, false, mon, jobs)
	if err == nil || !strings.Contains(err.Error(), "forward: boom") {
		t.Fatalf("failing forward: %v", err)
	}
	for _, sr := range res {
		if sr.Step == "inverse" || sr.Step == "rsa" {
			t.Errorf("%s ran after the forward failed", sr.Step)
		}
	}
}
