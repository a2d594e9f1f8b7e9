package inverse

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

type logger = *slog.Logger

// Covariance estimators.
const (
	MethodEmpirical     = "empirical"
	MethodShrunk        = "shrunk"
	MethodDiagonalFixed = "diagonal_fixed"
)

// CovOptions are the parameters of ComputeCovariance (MNE's
// compute_covariance), with MNE's defaults for zero values.
type CovOptions struct {
	// Method is empirical (default), shrunk (shrinkage chosen per channel
	// type by cross-validated log-likelihood over a grid) or
	// diagonal_fixed (0.1 of the mean variance added to the diagonal, per
	// channel type).
	Method string
	// Tmin and Tmax restrict the samples used (seconds; nil: the epoch
	// start / end), with MNE's rounding to samples.
	Tmin, Tmax *float64
	// Rank of the data (default: estimated, MNE's rank=None).
	Rank Rank
	// Scalings by channel type ("mag", "grad", "eeg") override MNE's
	// working units (1e15, 1e13, 1e6).
	Scalings map[string]float64
	// Shrinkage is the grid of the shrunk method; nil: MNE's
	// logspace(-4, 0, 30).
	Shrinkage []float64
	// Regularization of diagonal_fixed by channel type; nil: 0.1 each.
	Regularization map[string]float64
	// Folds of the cross-validation (scikit-learn KFold without
	// shuffling); 0 means 3.
	Folds int
	// Log receives MNE's messages and warnings; nil discards them.
	Log *slog.Logger
}

// EpochsData is what a covariance is estimated from: epochs grouped by
// condition, as MNE's compute_covariance splits an Epochs object (one
// group per event_id entry, in order). Package epochs provides the groups
// (Epochs.ConditionGroups); this package does not depend on it.
type EpochsData struct {
	// Info describes the rows of every epoch.
	Info *fif.Info
	// Times are the epoch times in seconds.
	Times []float64
	// Baselined says whether the epochs were baseline corrected (MNE warns
	// otherwise unless the data are high-passed).
	Baselined bool
	// Groups hold the epochs, each len(Info.Chs) x len(Times), row-major.
	Groups [][][]float64
}

// Covariance is an estimated noise covariance: the FIF record (names,
// matrix, nfree, bads, projectors, method) and what the estimation found.
type Covariance struct {
	fif.Cov
	// Shrinkage is the shrinkage chosen per channel type (shrunk).
	Shrinkage map[string]float64
	// Rank is the rank used per channel group.
	Rank map[string]int
	// NSamples is the number of samples used.
	NSamples int
}

// Shrunk grid of MNE: np.logspace(-4, 0, 30).
func defaultShrinkage() []float64 {
	out := make([]float64, 30)
	for i := range out {
		out[i] = math.Pow(10, -4+4*float64(i)/29)
	}
	return out
}

// timeSlice is MNE's _get_tslice: the samples of times within [tmin,
// tmax] after rounding both to the sample grid.
// TimeWindow returns the samples [a, b) of times that ComputeCovariance
// uses for tmin and tmax (MNE's rounding to the sample grid), so that a
// caller holding many epochs on disk can read only those samples.
func TimeWindow(times []float64, sfreq float64, tmin, tmax *float64) (int, int, error) {
	return timeSlice(times, sfreq, tmin, tmax)
}

func timeSlice(times []float64, sfreq float64, tmin, tmax *float64) (int, int, error) {
	lo, hi := times[0], times[len(times)-1]
	if tmin != nil {
		lo = *tmin
	}
	if tmax != nil {
		hi = *tmax
	}
	lo = math.RoundToEven(lo*sfreq)/sfreq - 0.5/sfreq
	hi = math.RoundToEven(hi*sfreq)/sfreq + 0.5/sfreq
	if lo > hi {
		return 0, 0, fmt.Errorf("tmin (%s) must be less than or equal to tmax (%s)", optString(tmin), optString(tmax))
	}
	first, last := -1, -1
	for i, t := range times {
		if t >= lo && t <= hi {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, fmt.Errorf("no samples remain when using tmin=%s and tmax=%s (epoch times are [%g, %g] s)",
			optString(tmin), optString(tmax), times[0], times[len(times)-1])
	}
	a, b := 0, len(times)
	if tmin != nil {
		a = first
	}
	if tmax != nil {
		b = last + 1
	}
	return a, b, nil
}

func optString(v *float64) string {
	if v == nil {
		return "None"
	}
	return fmt.Sprint(*v)
}

// scaleOf returns the working-unit scaling of each channel of info.
func scaleOf(info *fif.Info, user map[string]float64) []float64 {
	out := make([]float64, len(info.Chs))
	for i, c := range info.Chs {
		t := fif.ChannelType(c)
		s, ok := user[t]
		if !ok {
			s, ok = defaultScalings[t]
		}
		if !ok {
			s = 1
		}
		out[i] = s
	}
	return out
}

// ComputeCovariance estimates the noise covariance of epochs as MNE's
// compute_covariance(epochs, tmin, tmax, method, rank) does with
// keep_sample_mean=True: the good data channels (MEG, EEG, ...; bad
// channels left out) over the samples in [tmin, tmax] of every epoch,
// condition by condition. The estimate works in MNE's scaled units and, when
// the data are rank deficient (Maxwell filtering, projectors), in the
// subspace MNE keeps per channel group.
//
// For rank-deficient data MNE picks an arbitrary basis of that subspace
// (whatever LAPACK returns for a degenerate eigenvalue) and the shrunk and
// diagonal_fixed estimates depend on that basis; megflow uses gonum's, so
// those two estimates can differ from MNE's on such data. Full-rank data
// (and the empirical estimate in all cases) do not depend on it.
func ComputeCovariance(in EpochsData, opt CovOptions) (*Covariance, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	method := opt.Method
	if method == "" {
		method = MethodEmpirical
	}
	switch method {
	case MethodEmpirical, MethodShrunk, MethodDiagonalFixed:
	default:
		return nil, fmt.Errorf("covariance method %q: want empirical, shrunk or diagonal_fixed", method)
	}
	for k := range opt.Scalings {
		if k != "mag" && k != "grad" && k != "eeg" {
			return nil, fmt.Errorf("scalings: unknown channel type %q (mag, grad or eeg)", k)
		}
	}
	info := in.Info
	if info == nil || len(in.Times) == 0 {
		return nil, fmt.Errorf("covariance: no epochs")
	}
	if !in.Baselined && info.Highpass < 0.5 {
		log.Warn("Epochs are not baseline corrected, covariance matrix may be inaccurate")
	}
	// Good data channels, in file order.
	var picks []int
	for _, tp := range picksByType(info, false, true) {
		picks = append(picks, tp.idx...)
	}
	slices.Sort(picks)
	if len(picks) == 0 {
		return nil, fmt.Errorf("covariance: no good data channels (MEG, EEG, ...) among %s", strings.Join(info.ChNames(), ", "))
	}
	sub := info.Pick(picks)
	a, b, err := timeSlice(in.Times, info.SFreq, opt.Tmin, opt.Tmax)
	if err != nil {
		return nil, err
	}
	nt := len(in.Times)
	set := &sampleSet{rows: picks}
	for gi, g := range in.Groups {
		for ei, ep := range g {
			if len(ep) != len(info.Chs)*nt {
				return nil, fmt.Errorf("covariance: epoch %d of group %d has %d values, not %d channels x %d times", ei, gi, len(ep), len(info.Chs), nt)
			}
			set.add(ep, nt, a, b)
		}
	}
	if set.n <= 0 {
		return nil, fmt.Errorf("no samples found to compute the covariance matrix")
	}
	if need := 10 * (len(picks) + 1) / 2; set.n < need {
		log.Warn(fmt.Sprintf("Too few samples (required : %d got : %d), covariance estimate may be unreliable", need, set.n))
	}
	cov, err := estimate(sub, set, method, opt, log)
	if err != nil {
		return nil, err
	}
	cov.Projs = slices.Clone(info.Projs)
	log.Info(fmt.Sprintf("Number of samples used : %d", set.n))
	log.Info("[done]")
	return cov, nil
}

// estimate runs MNE's _compute_covariance_auto for one method on the
// samples of set (rows = the channels of info) and returns the covariance
// in SI units.
func estimate(info *fif.Info, set *sampleSet, method string, opt CovOptions, log logger) (*Covariance, error) {
	n := len(info.Chs)
	nsamp := set.n
	folds := opt.Folds
	if folds == 0 {
		folds = 3
	}
	bounds := []int{0, nsamp}
	if method == MethodShrunk {
		if folds < 2 || folds > nsamp {
			return nil, fmt.Errorf("cross-validation with %d folds needs at least %d samples and 2 folds, got %d samples", folds, folds, nsamp)
		}
		bounds = kfold(nsamp, folds)
	}
	foldGrams, _ := set.grams(bounds, false)
	g := foldGrams[0]
	if len(foldGrams) > 1 {
		g = make([]float64, n*n)
		for _, fg := range foldGrams {
			for i, v := range fg {
				g[i] += v
			}
		}
	}
	scales := scaleOf(info, opt.Scalings)

	log.Info(fmt.Sprintf("Computing rank from data with rank=%s", rankString(opt.Rank)))
	rj := &rankJob{info: info, set: set, gram: g, scales: scales, log: log}
	rank, err := rj.computeRank(opt.Rank)
	if err != nil {
		return nil, err
	}
	scaled := func(m []float64) *mat.SymDense {
		s := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				s.SetSym(i, j, m[i*n+j]*scales[i]*scales[j])
			}
		}
		return s
	}
	gs := scaled(g)
	e, used, err := subspace(gs, info, rank)
	if err != nil {
		return nil, err
	}
	k := n
	if e != nil {
		k, _ = e.Dims()
	}
	log.Info(fmt.Sprintf("Reducing data rank from %d -> %d", n, k))
	rotate := func(s *mat.SymDense) *mat.SymDense {
		if e == nil {
			return s
		}
		var t, u mat.Dense
		t.Mul(e, s)
		u.Mul(&t, e.T())
		out := mat.NewSymDense(k, nil)
		for i := range k {
			for j := i; j < k; j++ {
				out.SetSym(i, j, 0.5*(u.At(i, j)+u.At(j, i)))
			}
		}
		return out
	}
	// Channel types of the working coordinates: the picks by type mapped
	// into the kept coordinates (MNE's searchsorted on the used rows).
	groups := picksByType(info, false, true)
	if e != nil {
		for gi := range groups {
			for i, p := range groups[gi].idx {
				q, _ := slices.BinarySearch(used, p)
				if q >= len(used) {
					return nil, fmt.Errorf("covariance: the %s channels lie outside the kept data subspace", groups[gi].typ)
				}
				groups[gi].idx[i] = q
			}
		}
	}

	log.Info(fmt.Sprintf("Estimating covariance using %s", strings.ToUpper(method)))
	c := rotate(gs)
	cs := mat.NewDense(k, k, nil)
	for i := range k {
		for j := range k {
			cs.Set(i, j, c.At(i, j)/float64(nsamp))
		}
	}
	out := &Covariance{Rank: rank, NSamples: nsamp}
	switch method {
	case MethodDiagonalFixed:
		subInfo := info
		if e != nil {
			subInfo = info.Pick(used)
		}
		if err := regularizeDiagonal(cs, subInfo, opt.Regularization); err != nil {
			return nil, err
		}
	case MethodShrunk:
		grid := opt.Shrinkage
		if grid == nil {
			grid = defaultShrinkage()
		}
		for _, v := range grid {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("shrinkage must be between 0 and 1, got %g", v)
			}
		}
		fr := make([]*mat.SymDense, len(foldGrams))
		for f, fg := range foldGrams {
			fr[f] = rotate(scaled(fg))
		}
		sizes := make([]int, len(fr))
		for f := range sizes {
			sizes[f] = bounds[f+1] - bounds[f]
		}
		out.Shrinkage = map[string]float64{}
		var chosen []float64
		for _, tp := range groups {
			best, err := chooseShrinkage(fr, sizes, tp.idx, grid)
			if err != nil {
				return nil, fmt.Errorf("shrunk covariance (%s): %w", tp.typ, err)
			}
			out.Shrinkage[tp.typ] = best
			chosen = append(chosen, best)
			log.Debug(fmt.Sprintf("shrinkage %s: %g", tp.typ, best))
		}
		applyShrinkage(cs, groups, chosen)
	}
	log.Info("Done.")

	// Back to channels, unbiased, SI units.
	var full *mat.Dense
	if e != nil {
		var t mat.Dense
		t.Mul(e.T(), cs)
		full = new(mat.Dense)
		full.Mul(&t, e)
	} else {
		full = cs
	}
	data := make([]float64, n*n)
	unbias := float64(nsamp) / float64(nsamp-1)
	for i := range n {
		for j := range n {
			data[i*n+j] = full.At(i, j) * unbias / (scales[i] * scales[j])
		}
	}
	if nsamp == 1 {
		for i := range data {
			data[i] = math.Inf(1)
		}
	}
	out.Cov = fif.Cov{
		Kind:   fif.CovKindNoise,
		Names:  info.ChNames(),
		Data:   data,
		NFree:  nsamp - 1,
		Bads:   slices.Clone(info.Bads),
		Method: method,
	}
	return out, nil
}

func rankString(r Rank) string {
	switch {
	case len(r.Values) > 0:
		return fmt.Sprint(r.Values)
	case r.Mode == RankInfo:
		return "'info'"
	case r.Mode == RankFull:
		return "'full'"
	}
	return "None"
}
