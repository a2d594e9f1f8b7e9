package simulate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/forward"
	"github.com/megflow/megflow/geom"
)

// Subject is the name of the simulated FreeSurfer subject and BIDS
// participant.
const Subject = "sub-01"

// Options control Study.
type Options struct {
	// Seed makes the study reproducible: the same seed and options give
	// the same anatomy, design and samples.
	Seed uint64
	// Trials is the number of stimulus presentations, split evenly over
	// the three conditions and over the runs.
	Trials int
	// Runs is the number of raw files.
	Runs int
	// SFreq is the sampling frequency (Hz).
	SFreq float64
	// Duration is the length of each run in seconds; 0 means just long
	// enough for its trials (2 s before the first, 2.8 s after the last).
	Duration float64
	// Format of the raw samples: "short" (16-bit, as the Neuromag
	// acquisition writes; the default), "single" or "double".
	Format string
	// Progress, when not nil, is called as samples are written with the
	// number of samples done and the total over all runs.
	Progress func(done, total int64)
}

// DefaultOptions returns the default study: 60 trials in 2 runs at
// 1100 Hz, seed 1, 16-bit samples.
func DefaultOptions() Options {
	return Options{Seed: 1, Trials: 60, Runs: 2, SFreq: 1100, Format: "short"}
}

// Result lists what Study wrote and a few summary numbers.
type Result struct {
	BIDSRoot    string   `json:"bids_root"`
	RawFiles    []string `json:"raw_files"`
	SubjectsDir string   `json:"subjects_dir"`
	Subject     string   `json:"subject"`
	TransPath   string   `json:"trans"`
	TruthPath   string   `json:"truth"`
	Files       []string `json:"files"`

	Seed      uint64  `json:"seed"`
	Trials    int     `json:"n_trials"`
	Runs      int     `json:"n_runs"`
	SFreq     float64 `json:"sfreq"`
	FirstSamp int64   `json:"first_samp"`
	NTimes    []int64 `json:"n_times"`
	// EventsPerRun counts the triggers of each run; Conditions counts the
	// trials per condition.
	EventsPerRun []int          `json:"events_per_run"`
	Conditions   map[string]int `json:"conditions"`
	Bads         []string       `json:"bads"`
	// PeakMagFT is, per component, the largest magnetometer field (fT) of
	// the noise-free response at its peak, averaged over the trials of
	// the strongest condition; NoiseMagFT is the rms of the sensor plus
	// brain noise on magnetometers (fT).
	PeakMagFT  map[string]float64 `json:"peak_mag_fT"`
	NoiseMagFT float64            `json:"noise_mag_fT"`
	// ActiveSources is the number of white-surface vertices with evoked
	// activity; InnerSkullMarginMM the least distance of the white surface
	// to the inner skull (mm, a lower bound).
	ActiveSources      int     `json:"n_active_sources"`
	InnerSkullMarginMM float64 `json:"inner_skull_margin_mm"`
	Elapsed            float64 `json:"elapsed_s"`
}

// study holds everything generated before the raw files are written.
type study struct {
	opt     Options
	anat    *anatomy
	trials  []*trial
	comps   []*component
	regions [][]*regionSource // per component
	topo    [][][]float64     // [trial][component][MEG]
	bnTopo  [][]float64
	bnVert  [][2]int32 // brain-noise dipoles: hemisphere, vertex
	mag     []bool
	megName []string
	runs    []*runSource
	runPath []string
}

// Study simulates a complete face-recognition study under outDir in BIDS
// layout: raw runs, FreeSurfer anatomy, head <-> MRI transformation and
// the ground truth (see the package documentation). Files are written
// atomically; outDir is created when missing.
func Study(ctx context.Context, outDir string, opt Options) (res *Result, err error) {
	var written []string
	defer func() {
		// No partial study: remove what was written when a step fails.
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
			res = nil
		}
	}()
	res, err = runStudy(ctx, outDir, opt, &written)
	return res, err
}

func runStudy(ctx context.Context, outDir string, opt Options, written *[]string) (*Result, error) {
	t0 := time.Now()
	if err := checkOptions(&opt); err != nil {
		return nil, err
	}
	st := &study{opt: opt}
	subjectsDir := filepath.Join(outDir, "derivatives", "freesurfer", "subjects")
	subjDir := filepath.Join(subjectsDir, Subject)
	megDir := filepath.Join(outDir, Subject, "ses-meg", "meg")
	truthDir := filepath.Join(outDir, "derivatives", "truth")
	for _, d := range []string{megDir, truthDir, subjDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
	}
	res := &Result{BIDSRoot: outDir, SubjectsDir: subjectsDir, Subject: Subject, Seed: opt.Seed,
		Trials: opt.Trials, Runs: opt.Runs, SFreq: opt.SFreq, Bads: []string{flatBad, noisyBad},
		Conditions: map[string]int{}, PeakMagFT: map[string]float64{}}

	// Anatomy and transformation.
	st.anat = makeAnatomy(stream(opt.Seed, 1))
	err := writeAnatomy(subjDir, st.anat)
	for _, h := range hemiNames {
		*written = append(*written,
			filepath.Join(subjDir, "surf", h+".white"), filepath.Join(subjDir, "surf", h+".sphere"),
			filepath.Join(subjDir, "label", h+".aparc.annot"))
	}
	*written = append(*written, filepath.Join(subjDir, "bem", "inner_skull.surf"))
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, *written...)
	res.InnerSkullMarginMM = ellipsoidMargin(st.anat.skullAxes, st.anat.white)
	res.TransPath = filepath.Join(subjDir, "bem", Subject+"-trans.fif")
	trans := &fif.Transform{From: fif.FrameHead, To: fif.FrameMRI, M: geom.Identity()}
	if err := fif.WriteTrans(res.TransPath, trans); err != nil {
		return nil, fmt.Errorf("simulate: %s: %w", res.TransPath, err)
	}
	*written = append(*written, res.TransPath)
	res.Files = append(res.Files, res.TransPath)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Design.
	infos := make([]*fif.Info, opt.Runs)
	for r := range infos {
		infos[r] = makeInfo(opt.SFreq, r, opt.Seed, st.anat)
	}
	if err := st.design(); err != nil {
		return nil, err
	}
	// Fields of the sources.
	if err := st.fields(ctx, subjectsDir, infos[0], trans); err != nil {
		return nil, err
	}
	for _, t := range st.trials {
		res.Conditions[conditions[t.cond]]++
	}
	for k, c := range st.comps {
		res.PeakMagFT[c.Name] = st.peakMag(k) * 1e15
		for _, rs := range st.regions[k] {
			res.ActiveSources += len(rs.vertno)
		}
	}
	res.NoiseMagFT = math.Hypot(whiteMag*1e15, brainNoiseFT)

	// Raw runs.
	var total int64
	for r := range opt.Runs {
		rs, err := st.newRun(r, infos[r])
		if err != nil {
			return nil, err
		}
		st.runs = append(st.runs, rs)
		total += rs.nTimes
	}
	var done int64
	var runFiles []string
	for r, rs := range st.runs {
		rs.ctx = ctx
		if opt.Progress != nil {
			rs.onProg = func(n int64) { done += n; opt.Progress(done, total) }
		}
		p := filepath.Join(megDir, fmt.Sprintf("%s_ses-meg_task-facerecognition_run-%02d_meg.fif", Subject, r+1))
		paths, err := fif.WriteRaw(p, rs, fif.RawWriteOptions{Format: opt.Format})
		if err != nil {
			return nil, fmt.Errorf("simulate: %s: %w", p, err)
		}
		runFiles = append(runFiles, paths...)
		*written = append(*written, paths...)
		st.runPath = append(st.runPath, p)
		res.RawFiles = append(res.RawFiles, p)
		res.NTimes = append(res.NTimes, rs.nTimes)
		res.FirstSamp = rs.firstSamp
		res.EventsPerRun = append(res.EventsPerRun, len(rs.trials))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ev := filepath.Join(megDir, fmt.Sprintf("%s_ses-meg_task-facerecognition_run-%02d_events.tsv", Subject, r+1))
		if err := writeFileAtomic(ev, eventsTSV(rs)); err != nil {
			return nil, err
		}
		runFiles = append(runFiles, ev)
		*written = append(*written, ev)
	}
	res.Files = append(res.Files, runFiles...)

	// Truth and BIDS metadata.
	res.TruthPath = filepath.Join(truthDir, Subject+"_truth.h5")
	if err := st.writeTruth(res.TruthPath); err != nil {
		return nil, err
	}
	*written = append(*written, res.TruthPath)
	meta, err := bidsFiles(outDir, opt)
	*written = append(*written, meta...)
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, res.TruthPath)
	res.Files = append(res.Files, meta...)
	res.Elapsed = time.Since(t0).Seconds()
	return res, nil
}

func checkOptions(o *Options) error {
	switch {
	case o.Trials < 3:
		return fmt.Errorf("simulate: Trials = %d: need at least 3 (one per condition)", o.Trials)
	case o.Runs < 1 || o.Runs > o.Trials:
		return fmt.Errorf("simulate: Runs = %d: need 1 to Trials (%d)", o.Runs, o.Trials)
	case !(o.SFreq >= 200 && o.SFreq <= 10000):
		return fmt.Errorf("simulate: SFreq = %g Hz: need 200 to 10000 (the 100 Hz line harmonic must be below Nyquist)", o.SFreq)
	case o.Duration < 0 || math.IsNaN(o.Duration):
		return fmt.Errorf("simulate: Duration = %g s: need 0 (auto) or a positive length", o.Duration)
	}
	if o.Duration > 0 {
		n := (o.Trials + o.Runs - 1) / o.Runs
		if need := firstOnset + 0.1 + float64(n-1)*soaMax + epochEnd + 0.5; o.Duration < need {
			return fmt.Errorf("simulate: Duration = %g s is too short: %d trials per run need up to %.1f s", o.Duration, n, need)
		}
	}
	if o.Format == "" {
		o.Format = "short"
	}
	switch o.Format {
	case "short", "single", "double":
	default:
		return fmt.Errorf("simulate: Format %q: want short, single or double", o.Format)
	}
	return nil
}

// stream returns the random stream number k of a seed: independent
// streams keep, e.g., the anatomy unchanged when the number of trials
// changes.
func stream(seed uint64, k uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6d6567666c6f7700+k))
}

// design draws the trial sequence, its timing per run, the latencies and
// amplitudes, and the moments of every component.
func (st *study) design() error {
	o := st.opt
	rng := stream(o.Seed, 2)
	st.trials = schedule(rng, o.Trials)
	st.comps = defaultComponents()
	sf := o.SFreq
	firstSamp := int64(math.Round(firstSampSecs * sf))
	for r := range o.Runs {
		lo, hi := r*o.Trials/o.Runs, (r+1)*o.Trials/o.Runs
		onset := firstOnset + 0.1*rng.Float64()
		for i := lo; i < hi; i++ {
			t := st.trials[i]
			if i > lo {
				onset += soaMin + (soaMax-soaMin)*rng.Float64()
			}
			t.run = r
			t.sample = firstSamp + int64(math.Round(onset*sf))
			t.onset = float64(t.sample-firstSamp) / sf
		}
		if o.Duration > 0 && onset+epochEnd+0.5 > o.Duration {
			return fmt.Errorf("simulate: Duration = %g s is too short for run %d: its %d trials need %.1f s", o.Duration, r+1, hi-lo, onset+epochEnd+0.5)
		}
	}
	for _, t := range st.trials {
		for _, c := range st.comps {
			j := math.Max(-3, math.Min(3, rng.NormFloat64()))
			t.latency = append(t.latency, c.Peak+c.Jitter*j)
			t.amp = append(t.amp, math.Max(0.7, math.Min(1.3, 1+0.1*rng.NormFloat64())))
		}
	}
	nStim := 0
	for _, t := range st.trials {
		nStim = max(nStim, t.stim+1)
	}
	for k, c := range st.comps {
		rs, err := makeRegions(rng, k, c, st.anat, st.trials, nStim)
		if err != nil {
			return err
		}
		st.regions = append(st.regions, rs)
	}
	return nil
}

// fields computes the gain of the active vertices with megflow's forward
// model (sphere model centred on the brain), scales the moments so that
// each component peaks at its target field, and stores the per-trial
// topographies and the brain-noise topographies.
func (st *study) fields(ctx context.Context, subjectsDir string, info *fif.Info, trans *fif.Transform) error {
	src, err := forward.SetupSourceSpace(subjectsDir, Subject, forward.SourceSpaceOptions{Spacing: "all", Surface: "white"})
	if err != nil {
		return fmt.Errorf("simulate: source space: %w", err)
	}
	if len(src) != 2 {
		return fmt.Errorf("simulate: source space: %d hemispheres, want 2", len(src))
	}
	var use [2][]int32
	for h := range 2 {
		use[h] = make([]int32, src[h].NP())
	}
	for _, rs := range st.regions {
		for _, r := range rs {
			for _, v := range r.vertno {
				use[r.hemi][v] = 1
			}
		}
	}
	rng := stream(st.opt.Seed, 3)
	for range brainNoiseN {
		h := rng.IntN(2)
		v := int32(rng.IntN(src[h].NP()))
		st.bnVert = append(st.bnVert, [2]int32{int32(h), v})
		use[h][v] = 1
	}
	for h := range 2 {
		s := *src[h]
		s.Inuse = use[h]
		src[h] = &s
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fwd, err := forward.MakeForward(info, trans, src, nil, forward.Options{Sphere: &forward.Sphere{R0: brainCentre.Scale(1e-3)}})
	if err != nil {
		return fmt.Errorf("simulate: forward: %w", err)
	}
	fwd, err = forward.FixedOrientation(fwd)
	if err != nil {
		return fmt.Errorf("simulate: forward: %w", err)
	}
	nch, ns := fwd.NChan, fwd.NSource
	var colOf [2]map[int32]int
	col := 0
	for h := range 2 {
		colOf[h] = map[int32]int{}
		for v, u := range use[h] {
			if u != 0 {
				colOf[h][int32(v)] = col
				col++
			}
		}
	}
	if col != ns {
		return fmt.Errorf("simulate: forward has %d sources, expected %d", ns, col)
	}
	gainCol := func(h int, v int32) []float64 {
		c := colOf[h][v]
		out := make([]float64, nch)
		for i := range nch {
			out[i] = fwd.Gain[i*ns+c]
		}
		return out
	}
	st.mag = make([]bool, nch)
	for i, c := range fwd.Chs {
		st.mag[i] = c.CoilType == fif.CoilVVMagT3
		st.megName = append(st.megName, c.Name)
	}
	// Per region: the gain columns of its vertices.
	gains := make([][][][]float64, len(st.regions))
	for k, rs := range st.regions {
		gains[k] = make([][][]float64, len(rs))
		for j, r := range rs {
			for _, v := range r.vertno {
				gains[k][j] = append(gains[k][j], gainCol(r.hemi, v))
			}
		}
	}
	// Scale: the uniform pattern (moment 1 per vertex, hemisphere gains)
	// peaks at the component's target on magnetometers.
	for k, c := range st.comps {
		topo := make([]float64, nch)
		for j, r := range st.regions[k] {
			for _, g := range gains[k][j] {
				axpy(topo, c.HemiGain[hemiNames[r.hemi]], g)
			}
		}
		scale := c.TargetFT * 1e-15 / maxMag(topo, st.mag)
		for _, r := range st.regions[k] {
			r.scale = scale
			for _, m := range r.moments {
				for i := range m {
					m[i] *= scale
				}
			}
		}
	}
	st.topo = make([][][]float64, len(st.trials))
	for ti := range st.trials {
		st.topo[ti] = make([][]float64, len(st.comps))
		for k := range st.comps {
			topo := make([]float64, nch)
			for j, r := range st.regions[k] {
				for i, g := range gains[k][j] {
					axpy(topo, r.moments[ti][i], g)
				}
			}
			st.topo[ti][k] = topo
		}
	}
	// Brain noise: random-sign dipoles, scaled to brainNoiseFT rms on
	// magnetometers (unit-variance time courses).
	var ss float64
	nmag := 0
	for _, bv := range st.bnVert {
		g := gainCol(int(bv[0]), bv[1])
		if rng.IntN(2) == 0 {
			for i := range g {
				g[i] = -g[i]
			}
		}
		st.bnTopo = append(st.bnTopo, g)
	}
	for i := range nch {
		if st.mag[i] {
			nmag++
			for _, g := range st.bnTopo {
				ss += g[i] * g[i]
			}
		}
	}
	f := brainNoiseFT * 1e-15 / math.Sqrt(ss/float64(nmag))
	for _, g := range st.bnTopo {
		for i := range g {
			g[i] *= f
		}
	}
	return nil
}

// peakMag is the largest magnetometer field of component k averaged over
// the trials of its strongest condition.
func (st *study) peakMag(k int) float64 {
	best := 0.0
	for c := range conditions {
		avg := make([]float64, len(st.mag))
		n := 0
		for ti, t := range st.trials {
			if t.cond == c {
				axpy(avg, 1, st.topo[ti][k])
				n++
			}
		}
		if n > 0 {
			best = max(best, maxMag(avg, st.mag)/float64(n))
		}
	}
	return best
}
