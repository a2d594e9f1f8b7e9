package pipeline

import (
	"context"
	"fmt"
	"strconv"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/rsa"
	"maps"
	"slices"
)

// The source stage applies the inverse operator to every epoch and keeps
// only what the outputs need: parcel time courses, the window mean of every
// source (method i) and, time chunk by time chunk, the source values of the
// samples of method (ii). No file of all source estimates is written:
// for the Wakeman & Henson data it would take tens of gigabytes.

const algoRSA = 1

type rsaParams struct {
	Inverse      InverseConfig      `json:"inverse"`
	Parcellation ParcellationConfig `json:"parcellation"`
	RSA          RSAConfig          `json:"rsa"`
}

func (r *subjectRun) rsaStep() *step {
	c := &r.cfg.Config
	in := append([]string{c.epochsPath(r.sub), c.invPath(r.sub)}, r.parcAnnots()...)
	if c.RSA.Metric == crossnobis {
		for _, run := range c.Runs {
			in = append(in, c.eventsPath(r.sub, run)) // the run of every epoch
		}
	}
	outs := []string{c.ParcelsPath(r.sub), c.WindowRDMPath(r.sub), c.TimeRDMPath(r.sub)}
	s := &step{Stage: "rsa", Label: "sources, parcels and RDMs", Algo: algoRSA, Inputs: in, Outputs: outs,
		Params: rsaParams{c.Inverse, c.Parcellation, c.RSA}}
	s.Run = func(ctx context.Context, e *env) error { return r.runRSA(ctx, e, s) }
	return s
}

// sourceJob is everything the passes over the epochs share.
type sourceJob struct {
	ep      *epochs.File // read epoch by epoch: a subject's epochs need not fit in memory
	k       *inverse.Kernel
	labels  []atlas.Label
	ext     *atlas.Extractor
	parcels [][]int // sources of each label (rows of the estimates)
	rdmSet  []int   // labels that get RDMs (two sources or more)
	nSrc    int
	// win and tim are the patterns of methods (i) and (ii).
	win, tim  *patternSet
	condition []string
	eventID   []int64
	// timeData, when the samples of method (ii) fit in memory, are their
	// pattern values, filled during the first pass (samples [timeA,
	// timeB)).
	timeData     []float32
	timeA, timeB int
	// For crossnobis: the run of every epoch and, per pattern set, the
	// number of epochs of each pattern in each run (nil otherwise); the
	// window means and time data then hold runs × patterns × ... values.
	runOf              []int
	nRuns              int
	winCount, timCount [][]int
}

// patternSet says which epochs are averaged into each pattern, and
// describes the patterns.
type patternSet struct {
	members [][]int
	patOf   []int // pattern of each epoch
	cond    []string
	event   []int64
	trial   []int64
}

func (r *subjectRun) runRSA(ctx context.Context, e *env, s *step) error {
	c := &r.cfg.Config
	ep, err := epochs.Open(s.Inputs[0])
	if err != nil {
		return err
	}
	defer ep.Close()
	rec, err := fif.ReadInverse(s.Inputs[1])
	if err != nil {
		return err
	}
	op, err := inverse.OperatorFromFIF(rec)
	if err != nil {
		return err
	}
	method, _ := inverse.ParseMethod(c.Inverse.Method)
	pick, _ := inverse.ParsePickOri(c.Inverse.PickOri)
	k, err := op.Prepare(method, 1/(c.Inverse.SNR*c.Inverse.SNR), pick, 1)
	if err != nil {
		return err
	}
	labels, err := readParcels(s.Inputs[2:4])
	if err != nil {
		return err
	}
	src := operatorSources(op)
	mode, _ := atlas.ParseMode(c.Parcellation.Mode)
	ext, err := atlas.NewExtractor(labels, src, mode, true)
	if err != nil {
		return err
	}
	parcels, err := rsa.Parcels(atlas.LabelOfSource(labels, src.Vertno), len(labels))
	if err != nil {
		return err
	}
	j := &sourceJob{ep: ep, k: k, labels: labels, ext: ext, parcels: parcels, nSrc: src.N()}
	for i, p := range parcels {
		if len(p) >= 2 {
			j.rdmSet = append(j.rdmSet, i)
		}
	}
	if len(j.rdmSet) == 0 {
		return fmt.Errorf("no parcel of %s holds two sources or more", c.Parcellation.Parc)
	}
	if skipped := len(labels) - len(j.rdmSet); skipped > 0 {
		e.log.Info("parcels without RDM (fewer than two sources)", "n", skipped)
	}
	j.describe()
	j.win = j.patterns(c.RSA.AverageBy)
	timeBy := c.RSA.TimeAverageBy
	if timeBy == "" {
		timeBy = c.RSA.AverageBy
	}
	j.tim = j.patterns(timeBy)
	if c.RSA.Metric == crossnobis {
		if j.runOf, err = runOfEpochs(ep.Epochs, s.Inputs[4:]); err != nil {
			return err
		}
		j.nRuns = len(c.Runs)
		if j.winCount, err = j.win.byRun(j.runOf, j.nRuns, j.win.cond); err != nil {
			return err
		}
		if j.timCount, err = j.tim.byRun(j.runOf, j.nRuns, j.tim.cond); err != nil {
			return err
		}
	}
	attrs, err := e.hc.provenanceAttrs(s, e.params, r.cfg)
	if err != nil {
		return err
	}
	tp, err := r.planTime(j, e.budget)
	if err != nil {
		return err
	}
	if err := r.passParcels(ctx, e, j, tp, s.Outputs[0], s.Outputs[1], attrs); err != nil {
		return err
	}
	return r.passTime(ctx, e, j, tp, s.Outputs[2], attrs)
}

// operatorSources are the operator's sources with their surface normals.
func operatorSources(op *inverse.Operator) *atlas.Sources {
	src := &atlas.Sources{}
	i := 0
	for h := range 2 {
		if h < len(op.Vertices) {
			src.Vertno[h] = append([]int(nil), op.Vertices[h]...)
		}
		for range src.Vertno[h] {
			src.NN[h] = append(src.NN[h], geom.Vec3{op.SurfNN[3*i], op.SurfNN[3*i+1], op.SurfNN[3*i+2]})
			i++
		}
	}
	return src
}

// describe fills the per-epoch descriptors.
func (j *sourceJob) describe() {
	names := map[int32]string{}
	for _, c := range j.ep.EventID {
		names[c.ID] = c.Name
	}
	for _, ev := range j.ep.Events {
		j.condition = append(j.condition, names[ev.ID])
		j.eventID = append(j.eventID, int64(ev.ID))
	}
}

// patterns groups the epochs: one pattern per epoch ("none"), per
// condition name or per event code ("stimulus"), in sorted order.
func (j *sourceJob) patterns(averageBy string) *patternSet {
	ps := &patternSet{patOf: make([]int, len(j.condition))}
	switch averageBy {
	case "condition", "stimulus":
		keys := make([]string, len(j.condition))
		for i := range keys {
			if averageBy == "condition" {
				keys[i] = j.condition[i]
			} else {
				keys[i] = fmt.Sprintf("%06d", j.eventID[i])
			}
		}
		_, ps.members = rsa.SortedGroups(keys)
		for _, m := range ps.members {
			ps.cond = append(ps.cond, j.condition[m[0]])
			ps.event = append(ps.event, j.eventID[m[0]])
			ps.trial = append(ps.trial, -1)
		}
	default:
		for i := range j.condition {
			ps.members = append(ps.members, []int{i})
			ps.cond = append(ps.cond, j.condition[i])
			ps.event = append(ps.event, j.eventID[i])
			ps.trial = append(ps.trial, int64(i))
		}
	}
	for p, m := range ps.members {
		for _, i := range m {
			ps.patOf[i] = p
		}
	}
	return ps
}

// accumulate adds the estimate d (sources × nt, samples [a, a+nt) of the
// epoch) of epoch i to its pattern's average over samples [t0, t1) of the
// epoch, stored in dst (patterns × sources × (t1−t0)).
func (ps *patternSet) accumulate(dst []float32, nSrc int, i int, d []float32, a, nt, t0, t1 int) {
	p := ps.patOf[i]
	n := t1 - t0
	addScaled(dst[p*nSrc*n:(p+1)*nSrc*n], float32(1/float64(len(ps.members[p]))), nSrc, d, a, nt, t0, t1)
}

// addScaled adds w times samples [t0, t1) of the estimate d (sources × nt,
// starting at sample a) to block (sources × (t1−t0)).
func addScaled(block []float32, w float32, nSrc int, d []float32, a, nt, t0, t1 int) {
	n := t1 - t0
	for s := range nSrc {
		src := d[s*nt+t0-a : s*nt+t1-a]
		out := block[s*n : (s+1)*n]
		for q, v := range src {
			out[q] += v * w
		}
	}
}

// input presents the epochs, restricted to the samples [t0, t1), to
// inverse.ApplyEpochs.
func (j *sourceJob) input(t0, t1 int) inverse.EpochInput {
	nt, nch := j.ep.NTimes(), j.ep.NChan()
	times := j.ep.Times[t0:t1]
	var d []float64
	if t0 == 0 && t1 == nt {
		return inverse.EpochInput{Info: j.ep.Info, Times: times, N: j.ep.Len(),
			Epoch: func(i int) (_ []float64, err error) {
				d, err = j.ep.ReadEpoch(i, d)
				return d, err
			}}
	}
	buf := make([]float64, nch*(t1-t0))
	return inverse.EpochInput{Info: j.ep.Info, Times: times, N: j.ep.Len(),
		Epoch: func(i int) (_ []float64, err error) {
			if d, err = j.ep.ReadEpoch(i, d); err != nil {
				return nil, err
			}
			for ch := range nch {
				copy(buf[ch*(t1-t0):(ch+1)*(t1-t0)], d[ch*nt+t0:ch*nt+t1])
			}
			return buf, nil
		}}
}

// timeRange returns the samples [t0, t1) whose times lie in [tmin, tmax]
// (with half a sample of slack against rounding).
func timeRange(times []float64, tmin, tmax float64) (int, int) {
	if len(times) < 2 {
		return 0, len(times)
	}
	half := (times[1] - times[0]) / 2
	t0, t1 := len(times), 0
	for i, t := range times {
		if t >= tmin-half && t <= tmax+half {
			t0, t1 = min(t0, i), i+1
		}
	}
	if t1 <= t0 {
		return 0, 0
	}
	return t0, t1
}

// estimateSink adapts a function to inverse.Estimates.
type estimateSink func(i int, data []float32) error

func (f estimateSink) Put(i int, data []float32) error { return f(i, data) }

// timePlan lists the centre samples of method (ii) and splits them into
// chunks whose samples (with the averaging width) fit in half the memory
// budget: chunk k covers centres[bounds[k]:bounds[k+1]].
type timePlan struct {
	centres []int
	width   int
	bounds  []int
	nTimes  int
}

func (tp *timePlan) lo(t int) int { return max(0, t-tp.width/2) }
func (tp *timePlan) hi(t int) int { return min(tp.nTimes, t+(tp.width-1)/2+1) }

// span is the sample range [a, b) of chunk k.
func (tp *timePlan) span(k int) (int, int) {
	return tp.lo(tp.centres[tp.bounds[k]]), tp.hi(tp.centres[tp.bounds[k+1]-1])
}

func (r *subjectRun) planTime(j *sourceJob, budget int64) (*timePlan, error) {
	c := &r.cfg.Config
	times := j.ep.Times
	tp := &timePlan{width: c.RSA.TimeWidth, nTimes: len(times)}
	s0, s1 := timeRange(times, c.RSA.TimeTmin, c.RSA.TimeTmax)
	for t := s0; t < s1; t += c.RSA.TimeStep {
		tp.centres = append(tp.centres, t)
	}
	if len(tp.centres) == 0 {
		return nil, fmt.Errorf("rsa.time_tmin/time_tmax [%g, %g] s holds no sample of the epochs", c.RSA.TimeTmin, c.RSA.TimeTmax)
	}
	perSample := int64(len(j.tim.members)) * int64(j.nSrc) * 4 * int64(max(1, j.nRuns))
	maxSamples := max(int(budget/2/perSample), tp.width+1)
	tp.bounds = []int{0}
	for first := 0; first < len(tp.centres); {
		last := first + 1
		for last < len(tp.centres) && tp.hi(tp.centres[last])-tp.lo(tp.centres[first]) <= maxSamples {
			last++
		}
		tp.bounds = append(tp.bounds, last)
		first = last
	}
	return tp, nil
}

// passParcels applies the operator to all samples of every epoch once,
// writing the parcel time courses and the window RDMs, and keeping the
// samples of method (ii) when they fit in one chunk.
func (r *subjectRun) passParcels(ctx context.Context, e *env, j *sourceJob, tp *timePlan, tcPath, winPath string, attrs map[string]string) error {
	c := &r.cfg.Config
	nt, nEp, nL := j.ep.NTimes(), j.ep.Len(), len(j.labels)
	w0, w1 := timeRange(j.ep.Times, c.RSA.WindowTmin, c.RSA.WindowTmax)
	if w1 <= w0 {
		return fmt.Errorf("rsa.window_tmin/window_tmax [%g, %g] s holds no sample of the epochs (%g to %g s)",
			c.RSA.WindowTmin, c.RSA.WindowTmax, j.ep.Times[0], j.ep.Times[nt-1])
	}
	if len(tp.bounds) == 2 {
		j.timeA, j.timeB = tp.span(0)
		j.timeData = make([]float32, max(1, j.nRuns)*len(j.tim.members)*j.nSrc*(j.timeB-j.timeA))
	}
	w, err := h5.Create(tcPath)
	if err != nil {
		return err
	}
	ds, err := w.CreateFloat32("data", []int{nEp, nL, nt}, h5.Chunks(1, nL, nt), h5.Shuffle(), h5.Gzip(1))
	if err != nil {
		w.Abort()
		return err
	}
	win := make([]float32, max(1, j.nRuns)*len(j.win.members)*j.nSrc) // [run ×] pattern × source window means
	mean := make([]float32, j.nSrc)
	tc32 := make([]float32, nL*nt)
	x := make([]float64, j.nSrc*nt)
	bar := e.bar("sources", int64(nEp), 0)
	err = inverse.ApplyEpochs(ctx, j.k, j.input(0, nt), estimateSink(func(i int, d []float32) error {
		for s, v := range d {
			x[s] = float64(v)
		}
		tc, err := j.ext.Extract(x, nt)
		if err != nil {
			return err
		}
		for q, v := range tc {
			tc32[q] = float32(v)
		}
		if err := ds.WriteFloat32Slab([]int{i, 0, 0}, []int{1, nL, nt}, tc32); err != nil {
			return err
		}
		for s := range j.nSrc {
			var sum float64
			for _, v := range d[s*nt+w0 : s*nt+w1] {
				sum += float64(v)
			}
			mean[s] = float32(sum / float64(w1-w0))
		}
		if j.runOf != nil {
			j.win.accumulateRun(win, j.nSrc, i, j.runOf[i], j.winCount, mean, 0, 1, 0, 1)
			if j.timeData != nil {
				j.tim.accumulateRun(j.timeData, j.nSrc, i, j.runOf[i], j.timCount, d, 0, nt, j.timeA, j.timeB)
			}
		} else {
			j.win.accumulate(win, j.nSrc, i, mean, 0, 1, 0, 1)
			if j.timeData != nil {
				j.tim.accumulate(j.timeData, j.nSrc, i, d, 0, nt, j.timeA, j.timeB)
			}
		}
		bar.Add(1)
		return nil
	}))
	bar.Finish()
	if err == nil {
		err = ds.Close()
	} else {
		ds.Close()
	}
	if err == nil {
		err = writeParcelMeta(w, j, attrs)
	}
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// Method (i): one RDM per parcel from the window means.
	sub := make([][]int, len(j.rdmSet))
	roi := make([]string, len(j.rdmSet))
	tcent := make([]float64, len(j.rdmSet))
	for q, l := range j.rdmSet {
		sub[q], roi[q] = j.parcels[l], j.labels[l].Name
		tcent[q] = (j.ep.Times[w0] + j.ep.Times[w1-1]) / 2
	}
	nPat := len(j.win.members)
	meta := r.rdmMeta(j, j.win, roi, tcent, attrs, "window")
	meta.Descriptors["window"] = fmt.Sprintf("%g..%g s", j.ep.Times[w0], j.ep.Times[w1-1])
	rw, err := rsa.Create(winPath, len(sub), nPat, meta)
	if err != nil {
		return err
	}
	if j.runOf != nil {
		err = crossnobisRDMs(win, j.nRuns, nPat, j.nSrc, 1, 0, 1, sub, func(q int, d []float64) error {
			return rw.WriteRows(q, d)
		})
	} else {
		// A few parcels at a time: the RDMs of all parcels of a whole study
		// (n_trials²/2 values each) need not fit in memory.
		metric, _ := rsa.ParseMetric(c.RSA.Metric)
		x64 := make([]float64, len(win))
		for q, v := range win {
			x64[q] = float64(v)
		}
		np := rsa.NPairs(nPat)
		batch := max(1, min(len(sub), int(e.budget/8/int64(8*max(1, np)))))
		for q0 := 0; q0 < len(sub) && err == nil; q0 += batch {
			q1 := min(len(sub), q0+batch)
			err = rw.WriteRows(q0, rsa.WindowRDMs(x64, nPat, j.nSrc, sub[q0:q1], metric, 0))
		}
	}
	if err != nil {
		rw.Abort()
		return err
	}
	return rw.Close()
}

func writeParcelMeta(w *h5.Writer, j *sourceJob, attrs map[string]string) error {
	nL := len(j.labels)
	names, hemis := make([]string, nL), make([]string, nL)
	nsrc := make([]int64, nL)
	for i, l := range j.labels {
		names[i], hemis[i], nsrc[i] = l.Name, l.Hemi, int64(len(j.parcels[i]))
	}
	pick := string(j.k.PickOri)
	if pick == "" {
		pick = "none"
	}
	steps := []func() error{
		func() error { return w.WriteFixedStrings("parcels", names) },
		func() error { return w.WriteFixedStrings("hemi", hemis) },
		func() error { return w.WriteInt64("n_sources", nsrc, nil) },
		func() error { return w.WriteFloat64("times", j.ep.Times, nil) },
		func() error { return w.WriteFixedStrings("condition", j.condition) },
		func() error { return w.WriteInt64("event_id", j.eventID, nil) },
		func() error { return w.SetAttrString("/", "method", string(j.k.Method)) },
		func() error { return w.SetAttrString("/", "pick_ori", pick) },
		func() error { return w.SetAttrFloat64("/", "lambda2", j.k.Lambda2) },
		func() error { return w.SetAttrString("/", "megflow_version", version.String()) },
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		steps = append(steps, func() error { return w.SetAttrString("/", k, attrs[k]) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func (r *subjectRun) rdmMeta(j *sourceJob, ps *patternSet, roi []string, times []float64, attrs map[string]string, method string) rsa.Meta {
	c := &r.cfg.Config
	return rsa.Meta{Measure: c.RSA.Metric, ROI: roi, Time: times, Condition: ps.cond, EventID: ps.event, Trial: ps.trial,
		Descriptors: map[string]string{"subject": "sub-" + r.sub, "parcellation": c.Parcellation.Parc, "method": method,
			"inverse": c.Inverse.Method},
		Attrs: attrs}
}

// passTime computes method (ii): RDMs per parcel and selected sample, chunk
// by chunk of samples (one chunk, filled by the first pass, when it fits).
func (r *subjectRun) passTime(ctx context.Context, e *env, j *sourceJob, tp *timePlan, path string, attrs map[string]string) error {
	c := &r.cfg.Config
	times := j.ep.Times
	nPat, nSel := len(j.tim.members), len(tp.centres)
	roi := make([]string, 0, len(j.rdmSet)*nSel)
	tsel := make([]float64, 0, len(j.rdmSet)*nSel)
	for _, l := range j.rdmSet {
		for _, t := range tp.centres {
			roi = append(roi, j.labels[l].Name)
			tsel = append(tsel, times[t])
		}
	}
	meta := r.rdmMeta(j, j.tim, roi, tsel, attrs, "time")
	meta.Descriptors["time_step"] = strconv.Itoa(c.RSA.TimeStep)
	meta.Descriptors["time_width"] = strconv.Itoa(tp.width)
	if j.runOf == nil && len(tp.bounds) == 2 {
		meta.ChunkRows = nSel // one chunk per parcel: its rows are written at once
	}
	rw, err := rsa.Create(path, len(roi), nPat, meta)
	if err != nil {
		return err
	}
	sub := make([][]int, len(j.rdmSet))
	for q, l := range j.rdmSet {
		sub[q] = j.parcels[l]
	}
	bar := e.bar("time RDMs", int64(nSel), 0)
	for k := 0; k+1 < len(tp.bounds); k++ {
		first, last := tp.bounds[k], tp.bounds[k+1]
		a, b := tp.span(k)
		data := j.timeData
		if data == nil || a != j.timeA || b != j.timeB {
			if data, err = j.patternsOver(ctx, a, b); err != nil {
				rw.Abort()
				return err
			}
		}
		if j.runOf != nil {
			for ti := first; ti < last; ti++ {
				lo, hi := tp.lo(tp.centres[ti])-a, tp.hi(tp.centres[ti])-a
				err := crossnobisRDMs(data, j.nRuns, nPat, j.nSrc, b-a, lo, hi, sub, func(q int, d []float64) error {
					return rw.WriteRows(q*nSel+ti, d)
				})
				if err != nil {
					rw.Abort()
					return err
				}
			}
			bar.Add(int64(last - first))
			continue
		}
		metric, _ := rsa.ParseMetric(c.RSA.Metric)
		rel := make([]int, last-first)
		for i := range rel {
			rel[i] = tp.centres[first+i] - a
		}
		// The rows of a parcel are collected for the chunk and written in
		// one call: one HDF5 write per RDM costs more than the RDM.
		var werr error
		np := rsa.NPairs(nPat)
		rows := map[int][]float64{}
		err = rsa.TimeRDMs(data, nPat, j.nSrc, b-a, sub, metric, rsa.TimeOptions{Times: rel, Width: tp.width},
			func(q, ti int, d []float64) {
				buf := rows[q]
				if buf == nil {
					buf = make([]float64, 0, len(rel)*np)
				}
				buf = append(buf, d...)
				if len(buf) == len(rel)*np {
					if werr == nil {
						werr = rw.WriteRows(q*nSel+first, buf)
					}
					delete(rows, q)
					return
				}
				rows[q] = buf
			})
		if err == nil {
			err = werr
		}
		if err != nil {
			rw.Abort()
			return err
		}
		bar.Add(int64(last - first))
	}
	bar.Finish()
	return rw.Close()
}

// patternsOver applies the operator to samples [a, b) of every epoch and
// returns the time patterns there: nPat × nSrc × (b−a).
func (j *sourceJob) patternsOver(ctx context.Context, a, b int) ([]float32, error) {
	out := make([]float32, max(1, j.nRuns)*len(j.tim.members)*j.nSrc*(b-a))
	err := inverse.ApplyEpochs(ctx, j.k, j.input(a, b), estimateSink(func(i int, d []float32) error {
		if j.runOf != nil {
			j.tim.accumulateRun(out, j.nSrc, i, j.runOf[i], j.timCount, d, a, b-a, a, b)
		} else {
			j.tim.accumulate(out, j.nSrc, i, d, a, b-a, a, b)
		}
		return nil
	}))
	return out, err
}
