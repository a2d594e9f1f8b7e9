package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/rsa"
)

func init() { addSubcommand(newRDMCmd) }

const rdmLong = `Compute representational dissimilarity matrices (RDMs) per parcel from
source estimates and write them to HDF5 in rsatoolbox's layout
(rsatoolbox.rdm.load_rdm opens the file directly).

Methods:
  window  one RDM per parcel; the pattern of a stimulus is its vertex values
          averaged over [--tmin, --tmax] (inclusive); time = window centre
  time    one RDM per parcel and time sample in [--tmin, --tmax] (default:
          all samples), every --step-th sample, each pattern averaged over
          --width samples around it; rows are parcel-major
  tc      one RDM per parcel; the pattern is the parcel time course
          (--mode, default mean_flip) over the samples in [--tmin, --tmax]

The tc method takes the source normals of its mean_flip / pca_flip signs
from the white surfaces, or from the surface source spaces of --src
SRC.fif or --inv INV.fif (which the other methods only check against the
estimates' sources).

Patterns are per trial (--average-by none) or averaged per condition name
(condition) or per event id (stimulus). --metric is correlation (1 -
Pearson r) or euclidean. Dissimilarities are float32 unless --float64.

The file: root attribute dissimilarity_measure; /dissimilarities
(n_rdms x n_pairs, condensed upper triangle in scipy's pdist order);
/rdm_descriptors/{roi,time,index}; /pattern_descriptors/{condition,
event_id,trial,index} (trial = epoch index, -1 for averages);
/descriptors attributes subject, parc, method, metric, average_by; root
attributes megflow_version, megflow_config, megflow_inputs, created.`

const rdmExample = `  megflow rdm --stc sub-01-dspm.h5 --subject fsaverage5 --subjects-dir subjects --parc aparc --method window --tmin 0.1 --tmax 0.6 rdm_window.h5
  megflow rdm --stc sub-01-dspm.h5 --subject fsaverage5 --subjects-dir subjects --parc aparc_sub --method time --step 10 --average-by stimulus rdm_time.h5
  megflow rdm --stc sub-01-dspm.h5 --subject fsaverage5 --subjects-dir subjects --parc aparc --method tc --mode mean_flip --average-by none rdm_tc.h5
  megflow rdm --stc sub-01-dspm.h5 --inv sub-01-inv.fif --subject fsaverage5 --subjects-dir subjects --method tc --mode mean_flip rdm_tc.h5`

type rdmOpts struct {
	labelTCOpts
	method, metric, averageBy string
	tmin, tmax                float64
	step, width, workers      int
	float64                   bool
}

func newRDMCmd(a *app) *cobra.Command {
	var o rdmOpts
	cmd := &cobra.Command{
		Use:     "rdm --stc STC.h5 --subject S --subjects-dir D [--src SRC.fif | --inv INV.fif] OUT.h5",
		Short:   "Parcel RDMs (window, time-resolved, parcel time course) to HDF5 for rsatoolbox",
		Long:    rdmLong,
		Example: rdmExample,
		Args:    exactArgs("OUT.h5"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.rdm(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	addSourceFlags(f, &o.stc, &o.src, &o.inv)
	addAtlasFlags(f, &o.subject, &o.subjectsDir, &o.parc)
	f.StringVar(&o.method, "method", "window", "window, time or tc")
	f.StringVar(&o.metric, "metric", "correlation", "correlation or euclidean")
	f.StringVar(&o.averageBy, "average-by", "condition", "condition, stimulus (event id) or none")
	f.Float64Var(&o.tmin, "tmin", math.NaN(), "window start, s (window/tc: default 0.1; time: default first sample)")
	f.Float64Var(&o.tmax, "tmax", math.NaN(), "window end, s, inclusive (window/tc: default 0.6; time: default last sample)")
	f.IntVar(&o.step, "step", 1, "time: use every step-th sample")
	f.IntVar(&o.width, "width", 1, "time: samples averaged around each sample")
	f.StringVar(&o.mode, "mode", "mean_flip", "tc: label time-course mode (mean, mean_flip, pca_flip, max)")
	f.IntVar(&o.workers, "workers", 0, "goroutines (0: all cores)")
	f.BoolVar(&o.float64, "float64", false, "store float64 dissimilarities")
	return cmd
}

// sampleRange returns the samples with tmin ≤ t ≤ tmax (half a sample of
// tolerance, like MNE's crop).
func sampleRange(times []float64, tmin, tmax float64) (int, int, error) {
	tol := 0.0
	if len(times) > 1 {
		tol = (times[1] - times[0]) / 2
	}
	t0, t1 := -1, -1
	for i, t := range times {
		if t >= tmin-tol && t <= tmax+tol {
			if t0 < 0 {
				t0 = i
			}
			t1 = i + 1
		}
	}
	if t0 < 0 {
		return 0, 0, usagef("no samples in [%g, %g] s (data: %g to %g s)", tmin, tmax, times[0], times[len(times)-1])
	}
	return t0, t1, nil
}

func (a *app) rdm(ctx context.Context, out string, o rdmOpts) error {
	if err := o.check(); err != nil {
		return err
	}
	metric, err := rsa.ParseMetric(o.metric)
	if err != nil {
		return usagef("--metric: %v", err)
	}
	if o.step < 1 || o.width < 1 {
		return usagef("--step and --width must be ≥ 1")
	}
	switch o.method {
	case "window", "tc":
		if math.IsNaN(o.tmin) {
			o.tmin = 0.1
		}
		if math.IsNaN(o.tmax) {
			o.tmax = 0.6
		}
	case "time":
		if math.IsNaN(o.tmin) {
			o.tmin = math.Inf(-1)
		}
		if math.IsNaN(o.tmax) {
			o.tmax = math.Inf(1)
		}
	default:
		return usagef("--method %q: want window, time or tc", o.method)
	}
	labels, err := atlas.ReadLabels(o.subjectsDir, o.subject, o.parc)
	if err != nil {
		return err
	}
	stc, err := readStc(o.stc)
	if err != nil {
		return err
	}
	t0, t1, err := sampleRange(stc.times, o.tmin, o.tmax)
	if err != nil {
		return err
	}
	if o.method != "tc" && (o.src != "" || o.inv != "") {
		// only the tc method uses normals; still check that the file's
		// source spaces hold the estimates' sources
		if _, err := o.sources(stc.vertno); err != nil {
			return err
		}
	}
	// patterns: groups of epochs
	keys := make([]string, stc.nEp)
	var groupCond []string
	var groupEv, groupTrial []int64
	var members [][]int
	switch o.averageBy {
	case "none":
		for e := range keys {
			members = append(members, []int{e})
			groupTrial = append(groupTrial, int64(e))
			if stc.condition != nil {
				groupCond = append(groupCond, stc.condition[e])
			}
			if stc.eventID != nil {
				groupEv = append(groupEv, stc.eventID[e])
			}
		}
	case "condition", "stimulus":
		for e := range keys {
			switch {
			case o.averageBy == "condition" && stc.condition != nil:
				keys[e] = stc.condition[e]
			case o.averageBy == "stimulus" && stc.eventID != nil:
				keys[e] = strconv.FormatInt(stc.eventID[e], 10)
			default:
				return usagef("--average-by %s: %s has no %s per epoch", o.averageBy, o.stc, map[string]string{"condition": "condition", "stimulus": "event_id"}[o.averageBy])
			}
		}
		var names []string
		names, members = rsa.SortedGroups(keys)
		for g, m := range members {
			groupTrial = append(groupTrial, -1)
			if o.averageBy == "condition" {
				groupCond = append(groupCond, names[g])
			} else if stc.condition != nil {
				groupCond = append(groupCond, stc.condition[m[0]])
			}
			ev := int64(-1)
			if stc.eventID != nil {
				ev = stc.eventID[m[0]]
				for _, e := range m {
					if stc.eventID[e] != ev {
						ev = -1
						break
					}
				}
			}
			groupEv = append(groupEv, ev)
		}
	default:
		return usagef("--average-by %q: want condition, stimulus or none", o.averageBy)
	}
	nPat := len(members)
	if nPat < 2 {
		return fmt.Errorf("%s: only %d pattern(s) after --average-by %s; an RDM needs at least 2", o.stc, nPat, o.averageBy)
	}
	if stc.eventID == nil {
		groupEv = nil
	}
	nL := len(labels)
	roi := make([]string, nL)
	for i, l := range labels {
		roi[i] = l.Name
	}
	inputs := []string{o.stc, filepath.Join(o.subjectsDir, o.subject, "label", "{lh,rh}."+o.parc+".annot")}
	if o.src != "" || o.inv != "" {
		inputs = append(inputs, o.src+o.inv)
	}
	meta := rsa.Meta{
		Measure: metric.String(), Condition: groupCond, EventID: groupEv, Trial: groupTrial, Float64: o.float64,
		Descriptors: map[string]string{"subject": o.subject, "parc": o.parc, "method": o.method, "metric": metric.String(), "average_by": o.averageBy},
		Attrs: map[string]string{
			"megflow_config": fmt.Sprintf("method: %s\nmetric: %s\naverage_by: %s\ntmin: %g\ntmax: %g\nstep: %d\nwidth: %d\nmode: %s\nparc: %s\nsubject: %s\nnormals: %s\n",
				o.method, metric, o.averageBy, o.tmin, o.tmax, o.step, o.width, o.mode, o.parc, o.subject, o.normalsFrom()),
			"megflow_inputs": strings.Join(inputs, "\n"),
		},
	}
	centre := (stc.times[t0] + stc.times[t1-1]) / 2
	switch o.method {
	case "window":
		avg := rsa.Average(stc.data, stc.nSrc*stc.nT, members)
		pat, err := rsa.WindowMean(avg, nPat, stc.nSrc, stc.nT, t0, t1)
		if err != nil {
			return err
		}
		parcels, err := rsa.Parcels(atlas.LabelOfSource(labels, stc.vertno), nL)
		if err != nil {
			return err
		}
		d := rsa.WindowRDMs(pat, nPat, stc.nSrc, parcels, metric, o.workers)
		meta.ROI, meta.Time = roi, repeat(centre, nL)
		return rsa.WriteHDF5(out, d, nL, nPat, meta)
	case "tc":
		mode, err := atlas.ParseMode(o.mode)
		if err != nil {
			return usagef("--mode: %v", err)
		}
		src, err := o.sources(stc.vertno)
		if err != nil {
			return err
		}
		tc, _, err := extractAll(ctx, stc, labels, src, mode)
		if err != nil {
			return err
		}
		avg := rsa.Average(tc, nL*stc.nT, members)
		nW := t1 - t0
		x := make([]float64, nPat*nL*nW)
		parcels := make([][]int, nL)
		for l := range parcels {
			for k := 0; k < nW; k++ {
				parcels[l] = append(parcels[l], l*nW+k)
			}
		}
		for s := 0; s < nPat; s++ {
			for l := 0; l < nL; l++ {
				for k := 0; k < nW; k++ {
					x[(s*nL+l)*nW+k] = float64(avg[(s*nL+l)*stc.nT+t0+k])
				}
			}
		}
		d := rsa.WindowRDMs(x, nPat, nL*nW, parcels, metric, o.workers)
		meta.ROI, meta.Time = roi, repeat(centre, nL)
		return rsa.WriteHDF5(out, d, nL, nPat, meta)
	}
	// time-resolved
	avg := rsa.Average(stc.data, stc.nSrc*stc.nT, members)
	parcels, err := rsa.Parcels(atlas.LabelOfSource(labels, stc.vertno), nL)
	if err != nil {
		return err
	}
	var tsel []int
	for t := t0; t < t1; t += o.step {
		tsel = append(tsel, t)
	}
	nt := len(tsel)
	for l := range labels {
		for _, t := range tsel {
			meta.ROI = append(meta.ROI, roi[l])
			meta.Time = append(meta.Time, stc.times[t])
		}
	}
	w, err := rsa.Create(out, nL*nt, nPat, meta)
	if err != nil {
		return err
	}
	np := rsa.NPairs(nPat)
	pending := map[int][]float64{}
	done := map[int]int{}
	var werr error
	err = rsa.TimeRDMs(avg, nPat, stc.nSrc, stc.nT, parcels, metric, rsa.TimeOptions{Times: tsel, Width: o.width, Workers: o.workers},
		func(p, ti int, d []float64) {
			if werr != nil {
				return
			}
			buf := pending[p]
			if buf == nil {
				buf = make([]float64, nt*np)
				pending[p] = buf
			}
			copy(buf[ti*np:], d)
			if done[p]++; done[p] == nt {
				werr = w.WriteRows(p*nt, buf)
				delete(pending, p)
			}
		})
	if err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func repeat(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}
