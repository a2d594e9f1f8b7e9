package pipeline

import (
	"fmt"
	"math"
	"strings"

	"github.com/megflow/megflow/internal/h5"
)

// M170Window is where the demo and the tests look for the face-selective
// M170 peak (s): after the M100 and before the M400 of the Wakeman &
// Henson design, whose leakage into the fusiform parcels would otherwise
// win on some simulated subjects.
var M170Window = [2]float64{0.05, 0.3}

// RegionResponse summarizes one region of a subject's results: the
// size-weighted mean time course of its parcels (the parcels named
// "<region>_<k>-<hemi>", or "<region>-<hemi>") over the epochs of a
// category, and its window RDMs' mean dissimilarities.
type RegionResponse struct {
	Region, Hemi string
	// Peak is the time (s) of the largest absolute value of the mean time
	// course within the search interval, Value that value.
	Peak, Value float64
	// ContrastPeak is Peak for the difference between the category's mean
	// and the other epochs' mean (the category-selective response, free of
	// components all conditions share).
	ContrastPeak float64
	// Within is the mean window-RDM dissimilarity between patterns of the
	// category, Between between the category and the others (NaN without
	// RDMs).
	Within, Between float64
	NParcels        int
}

// parcelMatches reports whether a parcel name belongs to region in hemi.
func parcelMatches(name, region, hemi string) bool {
	base, h, ok := strings.Cut(name, "-")
	if !ok || h != hemi {
		return false
	}
	parent, _, _ := strings.Cut(base, "_")
	return parent == region || base == region
}

// RegionSummary reads a parcel time-course file (and, when rdmPath is not
// empty, a window RDM file) and summarizes region in hemi for the epochs
// whose condition starts with category, searching the peak in [tmin, tmax].
func RegionSummary(tcPath, rdmPath, region, hemi, category string, tmin, tmax float64) (*RegionResponse, error) {
	f, err := h5.Open(tcPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dims, err := f.Shape("data")
	if err != nil {
		return nil, err
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("%s: data has shape %v; want epochs × parcels × times", tcPath, dims)
	}
	names, err := f.ReadStrings("parcels")
	if err != nil {
		return nil, err
	}
	conds, err := f.ReadStrings("condition")
	if err != nil {
		return nil, err
	}
	nsrc, _, err := f.ReadInt64("n_sources")
	if err != nil {
		return nil, err
	}
	times, _, err := f.ReadFloat64("times")
	if err != nil {
		return nil, err
	}
	nEp, nL, nt := dims[0], dims[1], dims[2]
	if len(names) != nL || len(conds) != nEp || len(times) != nt || len(nsrc) != nL {
		return nil, fmt.Errorf("%s: parcels, condition, times or n_sources do not match data %v", tcPath, dims)
	}
	res := &RegionResponse{Region: region, Hemi: hemi, Within: math.NaN(), Between: math.NaN()}
	// mean[0] sums the category's epochs, mean[1] the others'.
	mean := [2][]float64{make([]float64, nt), make([]float64, nt)}
	var wsum [2]float64
	var parcels []int
	for p, name := range names {
		if parcelMatches(name, region, hemi) && nsrc[p] > 0 {
			parcels = append(parcels, p)
		}
	}
	res.NParcels = len(parcels)
	// Epoch by epoch (the file is chunked so), keeping only the region.
	for e := 0; e < nEp && len(parcels) > 0; e++ {
		row, err := f.ReadFloat64Slab("data", []int{e, 0, 0}, []int{1, nL, nt})
		if err != nil {
			return nil, err
		}
		g := 1
		if strings.HasPrefix(conds[e], category) {
			g = 0
		}
		for _, p := range parcels {
			w := float64(nsrc[p])
			wsum[g] += w
			for ti := range nt {
				mean[g][ti] += w * row[p*nt+ti]
			}
		}
	}
	if res.NParcels == 0 || wsum[0] == 0 {
		return nil, fmt.Errorf("%s: no parcel of %s-%s with %s epochs", tcPath, region, hemi, category)
	}
	best, bestC := -1.0, -1.0
	for ti, t := range times {
		if t < tmin || t > tmax {
			continue
		}
		m := mean[0][ti] / wsum[0]
		if math.Abs(m) > best {
			best, res.Peak, res.Value = math.Abs(m), t, m
		}
		if wsum[1] > 0 {
			if c := math.Abs(m - mean[1][ti]/wsum[1]); c > bestC {
				bestC, res.ContrastPeak = c, t
			}
		}
	}
	if wsum[1] == 0 {
		res.ContrastPeak = math.NaN()
	}
	if rdmPath == "" {
		return res, nil
	}
	r, err := h5.Open(rdmPath)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rd, err := r.Shape("dissimilarities")
	if err != nil {
		return nil, err
	}
	if len(rd) != 2 {
		return nil, fmt.Errorf("%s: dissimilarities has shape %v; want RDMs × pairs", rdmPath, rd)
	}
	roi, err := r.ReadStrings("rdm_descriptors/roi")
	if err != nil {
		return nil, err
	}
	pc, err := r.ReadStrings("pattern_descriptors/condition")
	if err != nil {
		return nil, err
	}
	np := rd[1]
	var in, out float64
	var nin, nout int
	for q, name := range roi {
		if !parcelMatches(name, region, hemi) {
			continue
		}
		d, err := r.ReadFloat64Slab("dissimilarities", []int{q, 0}, []int{1, np})
		if err != nil {
			return nil, err
		}
		k := 0
		for i := range len(pc) {
			for j := i + 1; j < len(pc); j++ {
				ci, cj := strings.HasPrefix(pc[i], category), strings.HasPrefix(pc[j], category)
				switch {
				case ci && cj:
					in += d[k]
					nin++
				case ci != cj:
					out += d[k]
					nout++
				}
				k++
			}
		}
	}
	if nin > 0 && nout > 0 {
		res.Within, res.Between = in/float64(nin), out/float64(nout)
	}
	return res, nil
}
