package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/megflow/megflow/internal/backend"
	"github.com/megflow/megflow/internal/progress"
)

// step is one unit of work with its files: a stage applied to one run or
// one subject.
type step struct {
	Stage   string // stage name, as --stages selects it
	Label   string // what the log shows
	Algo    int    // algorithm version (see cache.go)
	Inputs  []string
	Outputs []string
	Params  any
	Run     func(ctx context.Context, e *env) error
}

// Stages lists the stage names in execution order.
var Stages = []string{"maxwell", "filter", "events", "epochs", "covariance", "source_space", "bem",
	"parcellation", "forward", "inverse", "rsa", "report"}

// env is what a running step may use.
type env struct {
	cfg    *Loaded
	log    *slog.Logger
	hc     *hashCache
	params json.RawMessage
	budget int64 // bytes this subject may use
	// allCores lets the BLAS library use every core for a step that runs
	// alone (one subject at a time), until the returned restore.
	allCores func() (restore func())
	bar      func(label string, total int64, sfreq float64) *progress.Bar
}

// subjectRun builds the steps of one subject.
type subjectRun struct {
	cfg   *Loaded
	sub   string
	start time.Time // of the whole run
	alone bool      // the only subject running
}

func (r *subjectRun) steps() []*step {
	c := &r.cfg.Config
	var out []*step
	for _, run := range c.Runs {
		if c.Maxwell.Enabled {
			out = append(out, r.maxwellStep(run))
		}
	}
	for _, run := range c.Runs {
		out = append(out, r.filterStep(run))
	}
	for _, run := range c.Runs {
		out = append(out, r.eventsStep(run))
	}
	// The forward before the parcellation: when steps run side by side,
	// the forward is on the way to the inverse, the parcels only to rsa.
	out = append(out, r.epochsStep(), r.covStep(), r.srcStep(), r.bemStep(), r.forwardStep())
	if p := r.parcStep(); p != nil {
		out = append(out, p)
	}
	out = append(out, r.inverseStep(), r.rsaStep())
	if c.Report.Enabled {
		out = append(out, r.reportStep())
	}
	return out
}

// Options control Run.
type Options struct {
	// Stages, when not empty, are the only stages run; the outputs of the
	// others must exist.
	Stages []string
	// Force re-runs the selected stages even when their outputs are
	// current.
	Force bool
	// Jobs overrides the config's number of subjects processed at once.
	Jobs int
	// Log receives one line per step; nil discards.
	Log *slog.Logger
	// Progress is where progress bars are drawn (a terminal; nil: none).
	Progress *os.File
	// StepJobs is how many steps of one subject may run at once (steps
	// that do not need each other's outputs: the anatomy beside the
	// recordings); 0 means 2 when one subject runs at a time and the
	// machine has 2 cores or more, else 1.
	StepJobs int
}

// StepResult is one line of the summary.
type StepResult struct {
	Subject string  `json:"subject"`
	Stage   string  `json:"stage"`
	Step    string  `json:"step"`
	Status  string  `json:"status"` // ran, cached, failed, not selected
	Reason  string  `json:"reason,omitempty"`
	Seconds float64 `json:"seconds"`
	// Start is when the step started, in seconds from the start of the
	// run (steps of a subject may overlap).
	Start  float64 `json:"start"`
	PeakMB float64 `json:"peak_rss_mb"`
	Error  string  `json:"error,omitempty"`
}

// Summary is what Run did.
type Summary struct {
	Steps     []StepResult `json:"steps"`
	Seconds   float64      `json:"seconds"`
	PeakRSSMB float64      `json:"peak_rss_mb"`
	Jobs      int          `json:"jobs"`
	Outputs   []string     `json:"outputs"`
}

// Run processes every subject of the config: checks all inputs first,
// then runs each subject's steps in order, subjects in parallel.
func Run(ctx context.Context, cfg *Loaded, opt Options) (*Summary, error) {
	t0 := time.Now()
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, s := range opt.Stages {
		if !slices.Contains(Stages, s) {
			return nil, fmt.Errorf("--stages: unknown stage %q; stages: %s", s, strings.Join(Stages, ", "))
		}
	}
	if err := cfg.InputsError(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DerivRoot, 0o755); err != nil {
		return nil, err
	}
	hc := openHashCache(cfg.DerivRoot)
	defer hc.Save()
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = cfg.Jobs
	}
	if jobs <= 0 {
		// A subject of the Wakeman & Henson size needs about 1.5 GB.
		jobs = max(1, min(runtime.NumCPU(), int(cfg.MemoryGB/1.5)))
	}
	jobs = min(jobs, len(cfg.Subjects))
	budget := int64(cfg.MemoryGB * (1 << 30) / float64(jobs))
	// The Go heap is held below the budget (a soft limit: the collector
	// runs more often near it) so that freed blocks of earlier steps do
	// not pile up on top of the current one. A fifth of the budget is left
	// to what the Go runtime does not count: OpenBLAS's and libhdf5's
	// buffers, thread stacks.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(0.8 * cfg.MemoryGB * (1 << 30))))
	stepJobs := opt.StepJobs
	if stepJobs <= 0 {
		stepJobs = 1
		if jobs == 1 && runtime.NumCPU() >= 2 {
			stepJobs = 2
		}
	}
	if stepJobs > 1 || jobs > 1 {
		// Steps (or subjects) side by side keep the cores busy; OpenBLAS's
		// own threads would only compete with them, and its idle threads
		// spin in sched_yield after every call (17 % of the CPU time of a
		// run when they were left at one per core).
		defer backend.SetThreads(backend.SetThreads(1))
	}
	sum := &Summary{Jobs: jobs}
	var mu sync.Mutex
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	errs := make([]error, len(cfg.Subjects))
	peak := startRSSMonitor()
	defer peak.stop()
	for si, sub := range cfg.Subjects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &subjectRun{cfg: cfg, sub: sub, start: t0, alone: jobs == 1}
			res, err := r.run(ctx, hc, opt, log.With("subject", "sub-"+sub), budget, jobs == 1, peak, stepJobs)
			mu.Lock()
			sum.Steps = append(sum.Steps, res...)
			mu.Unlock()
			errs[si] = err
		}()
	}
	wg.Wait()
	sum.Seconds = time.Since(t0).Seconds()
	sum.PeakRSSMB = peak.overall()
	for _, sub := range cfg.Subjects {
		for _, p := range []string{cfg.WindowRDMPath(sub), cfg.TimeRDMPath(sub), cfg.ParcelsPath(sub), cfg.ReportPath(sub)} {
			if exists(p) {
				sum.Outputs = append(sum.Outputs, p)
			}
		}
	}
	if err := hc.Save(); err != nil {
		log.Warn("cannot save the hash cache", "err", err)
	}
	return sum, errors.Join(errs...)
}

// lightStages hold little memory (anatomy, operators, event lists): they
// run beside the others. Every other stage holds recordings or epochs,
// so those run one at a time (two Maxwell runs excepted, see heavyWeight)
// and the memory budget of the subject stays the budget of one such step.
var lightStages = map[string]bool{"events": true, "source_space": true, "bem": true, "parcellation": true,
	"forward": true, "inverse": true}

// heavyWeight is a stage's share of the subject's memory and cores when
// steps run side by side: at most 2 in all. Maxwell filtering holds a few
// windows of one run (0.3–0.5 GB for 9 minutes) and keeps 1.4 of 2 cores
// busy, so two runs may be filtered at once; the other heavy stages hold
// a whole recording or all epochs and run alone.
func heavyWeight(stage string) int {
	switch {
	case lightStages[stage]:
		return 0
	case stage == "maxwell":
		return 1
	}
	return 2
}

// dependencies lists for every step the earlier steps whose outputs it
// reads.
func dependencies(steps []*step) [][]int {
	producer := map[string]int{}
	deps := make([][]int, len(steps))
	for i, s := range steps {
		for _, in := range s.Inputs {
			if p, ok := producer[in]; ok && !slices.Contains(deps[i], p) {
				deps[i] = append(deps[i], p)
			}
		}
		for _, out := range s.Outputs {
			producer[out] = i
		}
	}
	return deps
}

// run executes one subject's steps, each once the steps whose outputs it
// reads are done: up to stepJobs at a time, whose heavyWeight add up to 2
// at most. The results are in step order.
func (r *subjectRun) run(ctx context.Context, hc *hashCache, opt Options, log *slog.Logger, budget int64, bars bool, mon *rssMonitor, stepJobs int) ([]StepResult, error) {
	return r.runSteps(ctx, r.steps(), hc, opt, log, budget, bars, mon, stepJobs)
}

func (r *subjectRun) runSteps(ctx context.Context, steps []*step, hc *hashCache, opt Options, log *slog.Logger, budget int64, bars bool, mon *rssMonitor, stepJobs int) ([]StepResult, error) {
	deps := dependencies(steps)
	type outcome struct {
		i      int
		sr     StepResult
		err    error
		finish func() error // provenance, run beside the following steps
	}
	results := make([]*StepResult, len(steps))
	started := make([]bool, len(steps))
	finished := make([]bool, len(steps))
	done := make(chan outcome)
	running, heavy := 0, 0
	var firstErr error
	// The provenance of a step (SHA-256 of its outputs, the sidecars) is
	// written while the steps after it run: hashing a subject's
	// recordings took seconds on the critical path. Those steps only read
	// the outputs; a run killed before a sidecar is written redoes that
	// step when resumed.
	var provWG sync.WaitGroup
	var provMu sync.Mutex
	for {
		provMu.Lock()
		failed := firstErr != nil
		provMu.Unlock()
		for i, s := range steps {
			if failed || ctx.Err() != nil || running >= max(1, stepJobs) {
				break
			}
			if started[i] || heavy+heavyWeight(s.Stage) > 2 {
				continue
			}
			ready := true
			for _, d := range deps[i] {
				ready = ready && finished[d]
			}
			if !ready {
				continue
			}
			started[i] = true
			running++
			heavy += heavyWeight(s.Stage)
			go func() {
				sr, finish, err := r.runStep(ctx, s, hc, opt, log, budget, bars && !lightStages[s.Stage], mon)
				done <- outcome{i, sr, err, finish}
			}()
		}
		if running == 0 {
			break
		}
		o := <-done
		running--
		finished[o.i] = true
		heavy -= heavyWeight(steps[o.i].Stage)
		provMu.Lock()
		results[o.i] = &o.sr
		if o.err != nil && firstErr == nil {
			firstErr = o.err
		}
		provMu.Unlock()
		if o.finish != nil {
			provWG.Add(1)
			go func() {
				defer provWG.Done()
				if err := o.finish(); err != nil {
					provMu.Lock()
					results[o.i].Status, results[o.i].Error = "failed", err.Error()
					if firstErr == nil {
						firstErr = err
					}
					provMu.Unlock()
				}
			}()
		}
	}
	provWG.Wait()
	var res []StepResult
	for _, sr := range results {
		if sr != nil {
			res = append(res, *sr)
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// runStep runs one step unless it is current (or not selected).
func (r *subjectRun) runStep(ctx context.Context, s *step, hc *hashCache, opt Options, log *slog.Logger, budget int64, bars bool, mon *rssMonitor) (StepResult, func() error, error) {
	sr := StepResult{Subject: "sub-" + r.sub, Stage: s.Stage, Step: s.Label}
	phash, params, err := paramsHash(s.Stage, s.Algo, s.Params)
	if err != nil {
		return sr, nil, err
	}
	selected := len(opt.Stages) == 0 || slices.Contains(opt.Stages, s.Stage)
	current, why := hc.upToDate(s, phash)
	if !selected {
		sr.Status = "not selected"
		if !current {
			for _, out := range s.Outputs {
				if !exists(out) {
					return sr, nil, fmt.Errorf("sub-%s: step %q is not selected by --stages and its output %s is missing", r.sub, s.Label, out)
				}
			}
		}
		return sr, nil, nil
	}
	if current && !opt.Force {
		sr.Status = "cached"
		log.Debug("cached", "step", s.Label)
		return sr, nil, nil
	}
	if opt.Force {
		why = "--force"
	}
	sr.Reason = why
	log.Info("run", "step", s.Label, "why", why)
	e := &env{cfg: r.cfg, log: log.With("step", s.Label), hc: hc, params: params, budget: budget,
		allCores: func() func() {
			if !r.alone {
				return func() {}
			}
			prev := backend.SetThreads(runtime.NumCPU())
			return func() { backend.SetThreads(prev) }
		},
		bar: func(label string, total int64, sfreq float64) *progress.Bar {
			po := progress.Options{Disabled: !bars || opt.Progress == nil}
			if sfreq > 0 {
				po.Unit, po.Scale = "s", 1/sfreq
			}
			f := opt.Progress
			if f == nil {
				f = os.Stderr
			}
			return progress.New(f, "sub-"+r.sub+" "+label, total, po)
		}}
	t0 := time.Now()
	sr.Start = t0.Sub(r.start).Seconds()
	end := mon.begin()
	for _, out := range s.Outputs {
		if err := os.MkdirAll(dirOf(out), 0o755); err != nil {
			end()
			return sr, nil, err
		}
	}
	err = s.Run(ctx, e)
	elapsed := time.Since(t0)
	sr.Seconds, sr.PeakMB = elapsed.Seconds(), end()
	if err != nil {
		sr.Status, sr.Error = "failed", err.Error()
		log.Error("failed", "step", s.Label, "err", err)
		return sr, nil, fmt.Errorf("sub-%s %s: %w", r.sub, s.Label, err)
	}
	sr.Status = "ran"
	log.Info("done", "step", s.Label, "seconds", fmt.Sprintf("%.2f", elapsed.Seconds()), "peak_rss_mb", fmt.Sprintf("%.0f", sr.PeakMB))
	return sr, func() error {
		if err := hc.writeProvenance(s, phash, params, r.cfg, elapsed); err != nil {
			log.Error("failed", "step", s.Label, "err", err)
			return fmt.Errorf("sub-%s %s: %w", r.sub, s.Label, err)
		}
		if err := hc.Save(); err != nil {
			log.Warn("cannot save the hash cache", "err", err)
		}
		return nil
	}, nil
}

func dirOf(p string) string {
	i := strings.LastIndexByte(p, os.PathSeparator)
	if i < 0 {
		return "."
	}
	return p[:i]
}

// WriteTable prints the summary as an aligned table.
func (s *Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-8s %-14s %-44s %-12s %9s %9s\n", "subject", "stage", "step", "status", "seconds", "peak MB")
	for _, r := range s.Steps {
		secs, mb := "", ""
		if r.Status == "ran" || r.Status == "failed" {
			secs, mb = fmt.Sprintf("%.2f", r.Seconds), fmt.Sprintf("%.0f", r.PeakMB)
		}
		label := r.Step
		if len(label) > 44 {
			label = label[:41] + "..."
		}
		fmt.Fprintf(w, "%-8s %-14s %-44s %-12s %9s %9s\n", r.Subject, r.Stage, label, r.Status, secs, mb)
	}
	fmt.Fprintf(w, "total %.2f s, peak RSS %.0f MB, %d subject(s) at a time\n", s.Seconds, s.PeakRSSMB, s.Jobs)
}
