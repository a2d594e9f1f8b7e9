package rsa

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// Method (ii′) from stored inputs. rdm.h5's rdm_meanflip_tc holds, per
// label, the correlation RDM of the 30 epochs' mean_flip label time
// courses over the window samples (window_index, 100–600 ms, 551
// samples). labels.h5 stores those time courses at full time resolution
// for the 8 simulated ("active") labels (mean_flip_active, float32), so
// their rows can be recomputed from stored inputs; the other 60 rows, and
// rdm_time, whose patterns are per-source dSPM values at single samples
// that neither file stores, are checked end to end from megflow's own
// dSPM estimates in cmd/megflow (TestGoldenParcelTimeCourses).

type tcGolden struct {
	names      []string // rdm.h5 label_names
	condition  []string
	active     []int     // label indices of mean_flip_active
	tc         []float64 // nEp × len(active) × nT
	nEp, nT    int
	window     []int     // samples of the (ii′) patterns
	meanflipTC []float64 // rdm_meanflip_tc, n_labels × NPairs(nEp)
	windowRDM  []float64 // rdm_window
	structure  map[string]map[string]map[string]float64
}

func readTCGolden(t *testing.T) *tcGolden {
	t.Helper()
	lf, err := h5.Open(sharedtest.Golden(t, "labels.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	rf, err := h5.Open(sharedtest.Golden(t, "rdm.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	g := &tcGolden{}
	ints := func(f *h5.File, name string) []int {
		v, _, err := f.ReadInt64(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out
	}
	if g.names, err = rf.ReadStrings("label_names"); err != nil {
		t.Fatal(err)
	}
	ln, err := lf.ReadStrings("names")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ln, g.names) {
		t.Fatal("labels.h5 names and rdm.h5 label_names differ")
	}
	if g.condition, err = rf.ReadStrings("condition"); err != nil {
		t.Fatal(err)
	}
	g.active = ints(lf, "active_index")
	g.window = ints(rf, "window_index")
	var dims []int
	if g.tc, dims, err = lf.ReadFloat64("mean_flip_active"); err != nil {
		t.Fatal(err)
	}
	if len(dims) != 3 || dims[1] != len(g.active) {
		t.Fatalf("mean_flip_active dims %v", dims)
	}
	g.nEp, g.nT = dims[0], dims[2]
	if g.meanflipTC, dims, err = rf.ReadFloat64("rdm_meanflip_tc"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{len(g.names), NPairs(g.nEp)}) {
		t.Fatalf("rdm_meanflip_tc dims %v", dims)
	}
	if g.windowRDM, _, err = rf.ReadFloat64("rdm_window"); err != nil {
		t.Fatal(err)
	}
	s, err := rf.AttrString("/", "category_structure")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(s), &g.structure); err != nil {
		t.Fatalf("category_structure: %v", err)
	}
	return g
}

// categoryStats returns the mean dissimilarity within faces (famous and
// unfamiliar), within scrambled and between the two, and the population
// standard deviation within faces, of a condensed RDM — the quantities of
// rdm.h5's category_structure attribute.
func categoryStats(d []float64, condition []string) map[string]float64 {
	n := len(condition)
	var vals [3][]float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			fi, fj := condition[i] != "scrambled", condition[j] != "scrambled"
			k := 2
			switch {
			case fi && fj:
				k = 0
			case !fi && !fj:
				k = 1
			}
			vals[k] = append(vals[k], d[PairIndex(i, j, n)])
		}
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	m := mean(vals[0])
	var ss float64
	for _, x := range vals[0] {
		ss += (x - m) * (x - m)
	}
	return map[string]float64{
		"within_faces":     m,
		"within_scrambled": mean(vals[1]),
		"between":          mean(vals[2]),
		"sd_within_faces":  math.Sqrt(ss / float64(len(vals[0]))),
	}
}

// TestGoldenMeanFlipTCRDM: method (ii′) for the 8 active labels from
// labels.h5's stored mean_flip time courses reproduces their rows of
// rdm_meanflip_tc (abs diff < 1e-5, golden README), computed both with RDM
// per label and as the rdm command does (WindowRDMs over a stimulus ×
// (label, sample) matrix with one parcel per label); the category means
// of rdm.h5's category_structure attribute follow from them.
func TestGoldenMeanFlipTCRDM(t *testing.T) {
	g := readTCGolden(t)
	np := NPairs(g.nEp)
	na, nw := len(g.active), len(g.window)
	for _, s := range g.window {
		if s < 0 || s >= g.nT {
			t.Fatalf("window sample %d outside [0, %d)", s, g.nT)
		}
	}
	// x: nEp × (na·nw), label-major within each stimulus
	x := make([]float64, g.nEp*na*nw)
	for e := range g.nEp {
		for a := range na {
			row := g.tc[(e*na+a)*g.nT : (e*na+a+1)*g.nT]
			for j, s := range g.window {
				x[(e*na+a)*nw+j] = row[s]
			}
		}
	}
	parcels := make([][]int, na)
	for a := range parcels {
		for j := range nw {
			parcels[a] = append(parcels[a], a*nw+j)
		}
	}
	viaWindow := WindowRDMs(x, g.nEp, na*nw, parcels, Correlation, 0)
	var worst, worstAlt float64
	pat := make([]float64, g.nEp*nw)
	for a, l := range g.active {
		for e := range g.nEp {
			copy(pat[e*nw:(e+1)*nw], x[(e*na+a)*nw:(e*na+a+1)*nw])
		}
		got := RDM(pat, g.nEp, nw, Correlation)
		want := g.meanflipTC[l*np : (l+1)*np]
		var w float64
		for i := range want {
			w = max(w, math.Abs(got[i]-want[i]))
			worstAlt = max(worstAlt, math.Abs(viaWindow[a*np+i]-want[i]))
		}
		worst = max(worst, w)
		t.Logf("%-20s rdm_meanflip_tc: max abs diff %.3g", g.names[l], w)

		st, ok := g.structure[g.names[l]]["meanflip_tc"]
		if !ok {
			t.Errorf("%s: no meanflip_tc entry in category_structure", g.names[l])
			continue
		}
		for k, v := range categoryStats(got, g.condition) {
			if ref, ok := st[k]; !ok || math.Abs(v-ref) > 1e-5 {
				t.Errorf("%s meanflip_tc %s: %.7f, category_structure %.7f", g.names[l], k, v, ref)
			}
		}
	}
	t.Logf("rdm_meanflip_tc, %d active labels × %d pairs, from mean_flip_active at %d window samples: max abs diff %.3g (RDM), %.3g (WindowRDMs)", na, np, nw, worst, worstAlt)
	if !(worst < 1e-5) || !(worstAlt < 1e-5) {
		t.Fatalf("max abs diff %.3g / %.3g ≥ 1e-5", worst, worstAlt)
	}
}

// TestGoldenCategoryStructureWindow: the window-RDM entries of
// category_structure (all 12 labels, full precision) from the window RDMs
// megflow computes from window_patterns.
func TestGoldenCategoryStructureWindow(t *testing.T) {
	g := readRDMGolden(t)
	tg := readTCGolden(t)
	parcels, err := Parcels(g.labelOf, len(g.names))
	if err != nil {
		t.Fatal(err)
	}
	got := WindowRDMs(g.patterns, g.nEp, g.nSrc, parcels, Correlation, 0)
	np := NPairs(g.nEp)
	var worst float64
	n := 0
	for li, name := range g.names {
		st, ok := tg.structure[name]
		if !ok {
			continue
		}
		n++
		for k, v := range categoryStats(got[li*np:(li+1)*np], g.condition) {
			ref, ok := st["window"][k]
			if !ok {
				t.Fatalf("%s: no window %s in category_structure", name, k)
			}
			worst = max(worst, math.Abs(v-ref))
		}
	}
	t.Logf("category_structure (window) of %d labels: max abs diff %.3g", n, worst)
	if n != len(tg.structure) || !(worst < 1e-5) {
		t.Fatalf("%d of %d labels, max abs diff %.3g", n, len(tg.structure), worst)
	}
}
