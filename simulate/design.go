package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/megflow/megflow/geom"
)

// Conditions of the face-recognition paradigm (Wakeman & Henson, 2015).
var conditions = [3]string{"famous", "unfamiliar", "scrambled"}

// conditionBase is the STI101 code of a first presentation; immediate and
// long repeats add 1 and 2.
var conditionBase = [3]int32{5, 13, 17}

// repeatNames are the presentation types (code offsets 0, 1, 2).
var repeatNames = [3]string{"first", "immediate", "long"}

// groupOf is the stimulus group of a condition: faces share a spatial
// pattern component, scrambled faces another.
var groupOf = [3]int{0, 0, 1}

// component is an evoked response: Gaussian waveforms
// exp(−(t−latency)²/(2·width²)) in a set of regions, with condition
// gains and per-stimulus spatial patterns.
type component struct {
	Name     string             `json:"name"`
	Regions  []string           `json:"regions"`
	Labels   []string           `json:"labels"`
	Peak     float64            `json:"peak"`
	Width    float64            `json:"width"`
	Jitter   float64            `json:"latency_jitter"`
	Gain     map[string]float64 `json:"gain"`
	HemiGain map[string]float64 `json:"hemi_gain"`
	TargetFT float64            `json:"target_fT"`
	// GroupWeight and StimWeight scale the group (faces / scrambled) and
	// stimulus-specific smooth random patterns added to the uniform
	// pattern 1 of every vertex.
	GroupWeight float64 `json:"group_weight"`
	StimWeight  float64 `json:"stim_weight"`
}

func defaultComponents() []*component {
	return []*component{
		{Name: "M100", Regions: []string{"lateraloccipital"}, Peak: 0.100, Width: 0.016, Jitter: 0.004,
			Gain: map[string]float64{"famous": 1, "unfamiliar": 1, "scrambled": 1.1}, HemiGain: map[string]float64{"lh": 1, "rh": 1},
			TargetFT: 250, GroupWeight: 0.2, StimWeight: 0.3},
		{Name: "M170", Regions: []string{"fusiform"}, Peak: 0.170, Width: 0.035, Jitter: 0.006,
			Gain: map[string]float64{"famous": 1, "unfamiliar": 1, "scrambled": 0.35}, HemiGain: map[string]float64{"lh": 0.8, "rh": 1},
			TargetFT: 350, GroupWeight: 1.5, StimWeight: 0.4},
		{Name: "M400", Regions: []string{"inferiortemporal", "temporalpole"}, Peak: 0.400, Width: 0.070, Jitter: 0.015,
			Gain: map[string]float64{"famous": 1, "unfamiliar": 0.5, "scrambled": 0.2}, HemiGain: map[string]float64{"lh": 1, "rh": 1},
			TargetFT: 150, GroupWeight: 0.6, StimWeight: 0.4},
	}
}

// trial is one stimulus presentation.
type trial struct {
	cond, rep, stim int
	code            int32
	run             int
	sample          int64   // absolute sample of the trigger onset
	onset           float64 // seconds from the first sample of the run's file
	latency         []float64
	amp             []float64
}

// schedule draws the sequence of presentations: each condition gets an
// equal share of the trials; every stimulus is shown first, and most are
// repeated once, either immediately or 5–14 trials later.
func schedule(rng *rand.Rand, nTrials int) []*trial {
	type first struct{ cond, stim, rep int }
	var firsts []first
	stim := 0
	for c := range 3 {
		n := nTrials / 3
		if c < nTrials%3 {
			n++
		}
		nStim := (n + 1) / 2
		nRep := n - nStim
		for k := range nStim {
			rep := 0
			if k < nRep {
				rep = 1 + rng.IntN(2)
			}
			firsts = append(firsts, first{c, stim, rep})
			stim++
		}
	}
	rng.Shuffle(len(firsts), func(i, j int) { firsts[i], firsts[j] = firsts[j], firsts[i] })
	type pending struct{ cond, stim, due int }
	var imm *pending
	var long []pending
	var seq []*trial
	add := func(cond, stim, rep int) {
		seq = append(seq, &trial{cond: cond, stim: stim, rep: rep, code: conditionBase[cond] + int32(rep)})
	}
	for len(seq) < nTrials {
		sort.SliceStable(long, func(i, j int) bool { return long[i].due < long[j].due })
		switch {
		case imm != nil:
			add(imm.cond, imm.stim, 1)
			imm = nil
		case len(long) > 0 && long[0].due <= len(seq):
			add(long[0].cond, long[0].stim, 2)
			long = long[1:]
		case len(firsts) > 0:
			f := firsts[0]
			firsts = firsts[1:]
			add(f.cond, f.stim, 0)
			switch f.rep {
			case 1:
				imm = &pending{cond: f.cond, stim: f.stim}
			case 2:
				long = append(long, pending{cond: f.cond, stim: f.stim, due: len(seq) + 4 + rng.IntN(10)})
			}
		default:
			add(long[0].cond, long[0].stim, 2)
			long = long[1:]
		}
	}
	return seq
}

// regionSource is one active region of a component: the white-surface
// vertices of the parcel and their moments per trial.
type regionSource struct {
	label   string // e.g. "fusiform-lh"
	hemi    int
	vertno  []int32     // white-surface vertices, ascending
	moments [][]float64 // per trial, per vertex (A·m)
	scale   float64     // moment per vertex of the uniform pattern at gain 1 (A·m)
}

// smoothPattern is a smooth zero-mean random field over the vertices of a
// region: a sum of Gaussian bumps (12 mm) at random vertices, normalised to
// unit standard deviation.
func smoothPattern(rng *rand.Rand, rr []geom.Vec3) []float64 {
	out := make([]float64, len(rr))
	if len(rr) == 0 {
		return out
	}
	const sigma = 12.0
	for range 6 {
		c := rr[rng.IntN(len(rr))]
		a := rng.NormFloat64()
		for i, p := range rr {
			out[i] += a * math.Exp(-sq(p.Sub(c).Norm())/(2*sigma*sigma))
		}
	}
	var m, v float64
	for _, x := range out {
		m += x
	}
	m /= float64(len(out))
	for i := range out {
		out[i] -= m
		v += out[i] * out[i]
	}
	sd := math.Sqrt(v / float64(len(out)))
	if sd > 0 {
		for i := range out {
			out[i] /= sd
		}
	}
	return out
}

// makeRegions lists the active regions of a component, with the relative
// moments (before scaling) of every trial: 1 + g·group pattern + s·stimulus
// pattern, times condition gain, hemisphere gain and the trial's amplitude
// factor.
func makeRegions(rng *rand.Rand, k int, c *component, a *anatomy, trials []*trial, nStim int) ([]*regionSource, error) {
	var out []*regionSource
	for _, name := range c.Regions {
		ri := regionIndex(name)
		if ri < 0 {
			return nil, fmt.Errorf("simulate: component %s: unknown region %q", c.Name, name)
		}
		for h, hemi := range hemiNames {
			rs := &regionSource{label: name + "-" + hemi, hemi: h}
			var rr []geom.Vec3
			for v, p := range a.parcel[h] {
				if p == ri {
					rs.vertno = append(rs.vertno, int32(v))
					rr = append(rr, a.white[h].Rr[v])
				}
			}
			if len(rs.vertno) == 0 {
				return nil, fmt.Errorf("simulate: component %s: region %s has no vertices", c.Name, rs.label)
			}
			group := [2][]float64{smoothPattern(rng, rr), smoothPattern(rng, rr)}
			stims := make([][]float64, nStim)
			for s := range stims {
				stims[s] = smoothPattern(rng, rr)
			}
			hg := c.HemiGain[hemi]
			for _, t := range trials {
				g := c.Gain[conditions[t.cond]] * hg * t.amp[k]
				m := make([]float64, len(rr))
				for i := range m {
					m[i] = g * (1 + c.GroupWeight*group[groupOf[t.cond]][i] + c.StimWeight*stims[t.stim][i])
				}
				rs.moments = append(rs.moments, m)
			}
			out = append(out, rs)
			c.Labels = append(c.Labels, rs.label)
		}
	}
	return out, nil
}
