package inverse

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"

	"github.com/megflow/megflow/fif"
)

// RawCovOptions are the parameters of ComputeRawCovariance (MNE's
// compute_raw_covariance).
type RawCovOptions struct {
	CovOptions
	// Tmin and Tmax delimit the data used, in seconds from the first
	// sample (Tmax nil: the end of the recording). CovOptions.Tmin/Tmax
	// are ignored.
	Tmin float64
	Tmax *float64
	// Tstep is the length of the segments tested for rejection (seconds);
	// 0 means MNE's 0.2 s, a negative value one segment for all the data.
	Tstep float64
	// Reject, if set, is called with each segment (all channels of the
	// recording, channel-major, nt samples) and returns the reasons to drop
	// it (nil keeps it); package epochs' Rejector.Check does MNE's
	// peak-to-peak test.
	Reject func(seg []float64, nt int) []string
}

// RawCovResult adds the segment bookkeeping to the covariance.
type RawCovResult struct {
	*Covariance
	// Segments is the number of segments; Dropped lists the reasons of
	// the dropped ones, by segment index.
	Segments int
	Dropped  map[int][]string
}

// ComputeRawCovariance estimates a noise covariance from continuous data,
// such as an empty-room recording, as MNE's compute_raw_covariance: the
// data are cut into segments of Tstep seconds (fixed-length events), bad
// segments dropped, and the covariance of the good data channels (bad ones
// left out) estimated around the mean over all samples. The empirical
// estimate streams the data segment block by segment block; the others
// hold the kept data channels in memory.
func ComputeRawCovariance(ctx context.Context, src fif.RawSource, opt RawCovOptions) (*RawCovResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt.CovOptions.Log = log
	info := src.RawInfo()
	sfreq := info.SFreq
	n := src.RawNTimes()
	first := src.RawFirstSamp()
	dt := 1 / sfreq
	tmax := float64(n-1)/sfreq + dt
	if opt.Tmax != nil {
		tmax = *opt.Tmax
	}
	tstep := opt.Tstep
	if tstep == 0 {
		tstep = 0.2
	}
	if tstep < 0 {
		tstep = tmax - opt.Tmin
	}
	// make_fixed_length_events(raw, 1, tmin, tmax, tstep)
	start := int64(math.RoundToEven(opt.Tmin*sfreq)) + first
	stop := min(int64(math.RoundToEven(tmax*sfreq))+first, first+n)
	stop -= int64(math.RoundToEven(sfreq * tstep))
	step := sfreq * tstep
	var onsets []int64
	for k := 0; ; k++ {
		v := float64(start) + float64(k)*step
		if v >= float64(stop+1) {
			break
		}
		onsets = append(onsets, int64(v))
	}
	if len(onsets) == 0 {
		return nil, fmt.Errorf("raw covariance: no segments between tmin %g s and tmax %g s with tstep %g s", opt.Tmin, tmax, tstep)
	}
	log.Info(fmt.Sprintf("Using up to %d segment%s", len(onsets), plural(len(onsets))))
	// Epochs(raw, events, 1, 0, tstep - dt, baseline=None, proj=False)
	nt := int(math.RoundToEven((tstep-dt)*sfreq)) + 1

	// Good data channels (MNE's pick mask: no MEG references).
	var picks []int
	for _, tp := range picksByType(info, false, true) {
		picks = append(picks, tp.idx...)
	}
	slices.Sort(picks)
	if len(picks) == 0 {
		return nil, fmt.Errorf("raw covariance: no good data channels")
	}
	sub := info.Pick(picks)
	method := opt.Method
	if method == "" {
		method = MethodEmpirical
	}
	res := &RawCovResult{Segments: len(onsets), Dropped: map[int][]string{}}

	nch := len(info.Chs)
	const perRead = 64   // segments read at a time
	var kept [][]float64 // non-empirical: the kept segments (picked rows)
	var gram, sums []float64
	nsamp := 0
	segBuf := make([]float64, nch*nt*min(perRead, len(onsets)))
	var span []float64
	for s0 := 0; s0 < len(onsets); s0 += perRead {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s1 := min(s0+perRead, len(onsets))
		// One read for the group's windows (adjacent for integer steps).
		a0 := max(onsets[s0]-first, 0)
		b0 := min(onsets[s1-1]-first+int64(nt), n)
		ns := int(max(b0-a0, 0))
		if ns > 0 {
			if cap(span) < nch*ns {
				span = make([]float64, nch*ns)
			}
			span = span[:nch*ns]
			if err := src.ReadAll(span, a0, b0); err != nil {
				return nil, err
			}
		}
		set := &sampleSet{rows: picks}
		for s := s0; s < s1; s++ {
			a := onsets[s] - first
			b := a + int64(nt)
			if a < 0 {
				res.Dropped[s] = []string{"NO_DATA"}
				continue
			}
			if b > n {
				res.Dropped[s] = []string{"TOO_SHORT"}
				continue
			}
			seg := segBuf[(s-s0)*nch*nt : (s-s0+1)*nch*nt]
			off := int(a - a0)
			for c := range nch {
				copy(seg[c*nt:(c+1)*nt], span[c*ns+off:c*ns+off+nt])
			}
			if opt.Reject != nil {
				if why := opt.Reject(seg, nt); why != nil {
					res.Dropped[s] = why
					continue
				}
			}
			if method == MethodEmpirical {
				set.add(seg, nt, 0, nt)
				continue
			}
			rows := make([]float64, len(picks)*nt)
			for i, p := range picks {
				copy(rows[i*nt:(i+1)*nt], seg[p*nt:(p+1)*nt])
			}
			kept = append(kept, rows)
		}
		if method == MethodEmpirical && set.n > 0 {
			g, sm := set.grams([]int{0, set.n}, true)
			if gram == nil {
				gram, sums = g[0], sm
			} else {
				for i, v := range g[0] {
					gram[i] += v
				}
				for i, v := range sm {
					sums[i] += v
				}
			}
			nsamp += set.n
		}
	}
	if method != MethodEmpirical {
		nsamp = len(kept) * nt
	}
	if nsamp <= 0 {
		return nil, fmt.Errorf("no samples found to compute the covariance matrix (all %d segments dropped)", len(onsets))
	}
	if need := 10 * (len(picks) + 1) / 2; nsamp < need {
		log.Warn(fmt.Sprintf("Too few samples (required : %d got : %d), covariance estimate may be unreliable", need, nsamp))
	}
	if method != MethodEmpirical {
		// Remove the mean over all kept samples, then estimate as for
		// epochs (MNE fakes a baseline so that no warning is given).
		m := len(picks)
		means := make([]float64, m)
		for _, seg := range kept {
			for i := range m {
				s := 0.0
				for _, v := range seg[i*nt : (i+1)*nt] {
					s += v
				}
				means[i] += s / float64(nt)
			}
		}
		for i := range means {
			means[i] /= float64(len(kept))
		}
		for _, seg := range kept {
			for i := range m {
				row := seg[i*nt : (i+1)*nt]
				for j := range row {
					row[j] -= means[i]
				}
			}
		}
		times := make([]float64, nt)
		for j := range times {
			times[j] = float64(j) / sfreq
		}
		c, err := ComputeCovariance(EpochsData{Info: sub, Times: times, Baselined: true, Groups: [][][]float64{kept}}, opt.CovOptions)
		if err != nil {
			return nil, err
		}
		c.Projs = slices.Clone(info.Projs)
		res.Covariance = c
		return res, nil
	}
	m := len(picks)
	data := make([]float64, m*m)
	for i := range m {
		for j := range m {
			data[i*m+j] = (gram[i*m+j] - sums[i]*(sums[j]/float64(nsamp))) / (float64(nsamp) - 1)
		}
	}
	log.Info(fmt.Sprintf("Number of samples used : %d", nsamp))
	log.Info("[done]")
	res.Covariance = &Covariance{
		Cov: fif.Cov{
			Kind:  fif.CovKindNoise,
			Names: sub.ChNames(),
			Data:  data,
			NFree: nsamp - 1,
			Bads:  slices.Clone(sub.Bads),
			Projs: slices.Clone(info.Projs),
		},
		NSamples: nsamp,
	}
	return res, nil
}
