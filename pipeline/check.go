package pipeline

import (
	"fmt"
	"math"
	"slices"
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
	rm, err := readRegionMeans(tcPath, []string{region}, []string{hemi}, func(cond string) string {
		if strings.HasPrefix(cond, category) {
			return "in"
		}
		return "out"
	})
	if err != nil {
		return nil, err
	}
	res := &RegionResponse{Region: region, Hemi: hemi, Within: math.NaN(), Between: math.NaN()}
	res.NParcels = rm.nParcels[[2]string{region, hemi}]
	cat, other := rm.mean[regionKey{region, hemi, "in"}], rm.mean[regionKey{region, hemi, "out"}]
	if res.NParcels == 0 || cat == nil {
		return nil, fmt.Errorf("%s: no parcel of %s-%s with %s epochs", tcPath, region, hemi, category)
	}
	times := rm.times
	best, bestC := -1.0, -1.0
	for ti, t := range times {
		if t < tmin || t > tmax {
			continue
		}
		m := cat[ti]
		if math.Abs(m) > best {
			best, res.Peak, res.Value = math.Abs(m), t, m
		}
		if other != nil {
			if c := math.Abs(m - other[ti]); c > bestC {
				bestC, res.ContrastPeak = c, t
			}
		}
	}
	if other == nil {
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

// regionKey names one mean time course of regionMeans.
type regionKey struct{ region, hemi, group string }

// regionMeans are the size-weighted means of the parcels of some regions
// (parcelMatches) in a parcel time-course file, per region, hemisphere
// and group of epochs.
type regionMeans struct {
	times    []float64
	groups   []string                // the groups, in order of first appearance
	nParcels map[[2]string]int       // parcels (with sources) per region and hemisphere
	mean     map[regionKey][]float64 // absent when the group has no epochs or the region no parcel
}

// readRegionMeans reads tcPath epoch by epoch (the file is chunked so),
// keeping only the parcels of regions × hemis; groupOf names the group of
// an epoch's condition.
func readRegionMeans(tcPath string, regions, hemis []string, groupOf func(cond string) string) (*regionMeans, error) {
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
	rm := &regionMeans{times: times, nParcels: map[[2]string]int{}, mean: map[regionKey][]float64{}}
	type member struct {
		region, hemi string
		parcels      []int
	}
	var members []member
	for _, region := range regions {
		for _, hemi := range hemis {
			m := member{region: region, hemi: hemi}
			for p, name := range names {
				if parcelMatches(name, region, hemi) && nsrc[p] > 0 {
					m.parcels = append(m.parcels, p)
				}
			}
			rm.nParcels[[2]string{region, hemi}] = len(m.parcels)
			if len(m.parcels) > 0 {
				members = append(members, m)
			}
		}
	}
	wsum := map[regionKey]float64{}
	for e := 0; e < nEp && len(members) > 0; e++ {
		row, err := f.ReadFloat64Slab("data", []int{e, 0, 0}, []int{1, nL, nt})
		if err != nil {
			return nil, err
		}
		g := groupOf(conds[e])
		if !slices.Contains(rm.groups, g) {
			rm.groups = append(rm.groups, g)
		}
		for _, m := range members {
			k := regionKey{m.region, m.hemi, g}
			sum := rm.mean[k]
			if sum == nil {
				sum = make([]float64, nt)
				rm.mean[k] = sum
			}
			for _, p := range m.parcels {
				w := float64(nsrc[p])
				wsum[k] += w
				for t, x := range row[p*nt : (p+1)*nt] {
					sum[t] += w * x
				}
			}
		}
	}
	for k, sum := range rm.mean {
		for t := range sum {
			sum[t] /= wsum[k]
		}
	}
	return rm, nil
}
