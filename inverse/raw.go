package inverse

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
)

// RawApplyOptions are the parameters of ApplyRaw (MNE's apply_inverse_raw
// after raw.crop(tmin, tmax)).
type RawApplyOptions struct {
	// Tmin and Tmax delimit the samples used, in seconds from the first
	// sample (MNE's raw.times), both included after rounding to the
	// nearest sample as raw.crop does; Tmax nil means the end of the
	// recording.
	Tmin float64
	Tmax *float64
	// Block is the number of samples read and estimated at a time (0:
	// DefaultRawBlock). Memory is bounded by a block: its data on the
	// kernel's channels and its estimate.
	Block int
	// Overlap reads and estimates the next block while the previous one
	// is handed to PutBlock, which then runs on another goroutine (still
	// one call at a time, in order). Set it only when the source and the
	// sink share no unsynchronized state; it holds a second block's
	// estimate.
	Overlap bool
	// Log receives a warning when channels of the operator are marked bad
	// in the data (MNE uses them anyway, as megflow does); nil discards.
	Log *slog.Logger
}

// DefaultRawBlock is the default block length of ApplyRaw (samples): the
// column block of Kernel.Apply, so that a block is one product.
const DefaultRawBlock = colBlock

// BlockEstimates receives the estimate of a continuous recording block of
// time points by block, in order.
type BlockEstimates interface {
	// PutBlock stores the estimates of time points [t0, t0+nt) of the
	// span (counted from its first sample): NOut x nt, row-major. The
	// slice is reused after PutBlock returns.
	PutBlock(t0, nt int, data []float32) error
}

// RawSpan returns the samples [start, stop) (relative to the first sample
// of src) that opt.Tmin and opt.Tmax select, as MNE's raw.crop: start =
// round(tmin·sfreq), stop = round(tmax·sfreq) + 1. The estimate's first
// time is start/sfreq (MNE's stc.tmin of apply_inverse_raw).
func RawSpan(src fif.RawSource, opt RawApplyOptions) (start, stop int64, err error) {
	info := src.RawInfo()
	n := src.RawNTimes()
	sfreq := info.SFreq
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return 0, 0, fmt.Errorf("raw data: sampling frequency %g Hz", sfreq)
	}
	if n <= 0 {
		return 0, 0, fmt.Errorf("raw data: no samples")
	}
	last := float64(n-1) / sfreq
	if !(opt.Tmin >= 0) || math.IsInf(opt.Tmin, 0) {
		return 0, 0, fmt.Errorf("tmin %g s: must be >= 0 (seconds from the first sample)", opt.Tmin)
	}
	tmax := last
	if opt.Tmax != nil {
		tmax = *opt.Tmax
		if math.IsNaN(tmax) || tmax > last+0.5/sfreq {
			return 0, 0, fmt.Errorf("tmax %g s: beyond the end of the recording (%g s from the first sample)", tmax, last)
		}
	}
	if tmax < opt.Tmin {
		return 0, 0, fmt.Errorf("tmin %g s is after tmax %g s", opt.Tmin, tmax)
	}
	start = int64(math.RoundToEven(opt.Tmin * sfreq))
	stop = min(int64(math.RoundToEven(tmax*sfreq))+1, n)
	if start >= n {
		return 0, 0, fmt.Errorf("tmin %g s: beyond the end of the recording (%g s from the first sample)", opt.Tmin, last)
	}
	return start, stop, nil
}

// rangeReader reads chosen channels of a recording; fif.Raw has it, so
// that only the kernel's channels are decoded.
type rangeReader interface {
	ReadInto(dst []float64, picks []int, start, stop int64) error
}

// ApplyRaw applies k to the samples of src that opt selects (see
// RawSpan), opt.Block samples at a time, handing each block's estimate to
// dst as soon as it is computed: memory is bounded by the block, not the
// recording. As MNE's apply_inverse_raw, the data are taken on the
// kernel's channels whatever the data's bad channels, and the operator's
// projectors (in the kernel) are applied, not the data's. The estimate of
// a time point depends on its sample only, so the block size does not
// change it (with OpenBLAS the tests find every block size bit-identical).
func ApplyRaw(ctx context.Context, k *Kernel, src fif.RawSource, opt RawApplyOptions, dst BlockEstimates) error {
	if ctx == nil {
		ctx = context.Background()
	}
	info := src.RawInfo()
	rows, _, err := channelRows(info, k.Names)
	if err != nil {
		return err
	}
	if opt.Log != nil {
		var bad []string
		for _, nm := range k.Names {
			if info.IsBad(nm) {
				bad = append(bad, nm)
			}
		}
		if len(bad) > 0 {
			opt.Log.Warn(fmt.Sprintf("%d channel(s) of the inverse operator are marked bad in the data and used anyway, as MNE does: %s", len(bad), short(bad)))
		}
	}
	start, stop, err := RawSpan(src, opt)
	if err != nil {
		return err
	}
	blk := opt.Block
	if blk <= 0 {
		blk = DefaultRawBlock
	}
	blk = int(min(int64(blk), stop-start))
	n := len(k.Names)
	nch := len(info.Chs)
	rr, direct := src.(rangeReader)
	var all []float64 // all channels of a block, when src cannot pick
	if !direct {
		all = make([]float64, nch*blk)
	}
	x := make([]float64, n*blk)
	var ws Workspace
	// compute reads the block at s0 and estimates it into out.
	compute := func(s0 int64, nb int, out []float32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		xb := x[:n*nb]
		var err error
		if direct {
			err = rr.ReadInto(xb, rows, s0, s0+int64(nb))
		} else {
			ab := all[:nch*nb]
			if err = src.ReadAll(ab, s0, s0+int64(nb)); err == nil {
				for a, r := range rows {
					copy(xb[a*nb:(a+1)*nb], ab[r*nb:(r+1)*nb])
				}
			}
		}
		if err != nil {
			return fmt.Errorf("raw samples [%d, %d): %w", s0, s0+int64(nb), err)
		}
		k.Apply(xb, nb, out[:k.NOut*nb], &ws)
		return nil
	}
	nblocks := int((stop - start + int64(blk) - 1) / int64(blk))
	span := func(j int) (int64, int) {
		s0 := start + int64(j)*int64(blk)
		return s0, int(min(int64(blk), stop-s0))
	}
	return computeStore(nblocks, opt.Overlap, func() []float32 { return make([]float32, k.NOut*blk) },
		func(j int, out []float32) error {
			s0, nb := span(j)
			return compute(s0, nb, out)
		},
		func(j int, out []float32) error {
			s0, nb := span(j)
			return dst.PutBlock(int(s0-start), nb, out[:k.NOut*nb])
		})
}

// H5RawEstimates writes the estimate of a continuous recording to HDF5 in
// the layout of H5Estimates with a single "epoch": `data` (1 x n_sources
// x n_times float32, or 1 x n_sources x 3 x n_times for vector
// estimates), chunked along time so that a block is written at a time,
// `times` (s, from the first sample of the recording, as MNE's raw.times),
// `vertices_lh`, `vertices_rh`, `method`, `lambda2` and the attributes of
// `data` (`method`, `lambda2`, `pick_ori`, `nave`, plus `sfreq` and
// `first_samp`, the absolute index of the recording's first sample).
type H5RawEstimates struct {
	w     *h5.Writer
	ds    *h5.Dataset
	times *h5.Dataset
	dims  []int
	start int64
	sfreq float64
	nt    int
	tbuf  []float64
}

// maxChunkBytes bounds a chunk of H5RawEstimates: chunks hold every time
// point of a block for as many sources as fit, so that a block covers
// whole chunks and readers of a few sources read little.
const maxChunkBytes = 4 << 20

// CreateH5RawEstimates creates path for the estimate of k on nt samples
// from start (relative to the first sample firstSamp of a recording at
// sfreq Hz), to be written in blocks of block samples.
func CreateH5RawEstimates(path string, k *Kernel, start int64, nt int, sfreq float64, firstSamp int64, block int) (*H5RawEstimates, error) {
	if nt <= 0 || !(sfreq > 0) {
		return nil, fmt.Errorf("raw estimates: %d samples at %g Hz", nt, sfreq)
	}
	if block <= 0 {
		block = DefaultRawBlock
	}
	ct := min(block, nt)
	comp := 1
	nsrc := k.NOut
	dims := []int{1, k.NOut, nt}
	if k.PickOri == PickVector {
		comp, nsrc = 3, k.NOut/3
		dims = []int{1, nsrc, 3, nt}
	}
	cs := max(1, min(nsrc, maxChunkBytes/(4*comp*ct)))
	chunk := []int{1, cs, ct}
	if comp == 3 {
		chunk = []int{1, cs, 3, ct}
	}
	w, err := h5.Create(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*H5RawEstimates, error) {
		w.Abort()
		return nil, err
	}
	ds, err := w.CreateFloat32("data", dims, h5.Chunks(chunk...))
	if err != nil {
		return fail(err)
	}
	times, err := w.CreateFloat64("times", []int{nt}, h5.Chunks(min(nt, 1<<16)))
	if err != nil {
		return fail(err)
	}
	if err := writeEstimateMeta(w, k); err != nil {
		return fail(err)
	}
	if err := w.SetAttrFloat64("data", "sfreq", sfreq); err != nil {
		return fail(err)
	}
	if err := w.SetAttrInt64("data", "first_samp", firstSamp); err != nil {
		return fail(err)
	}
	return &H5RawEstimates{w: w, ds: ds, times: times, dims: dims, start: start, sfreq: sfreq, nt: nt}, nil
}

// PutBlock writes time points [t0, t0+nt) of the estimate and their times.
func (h *H5RawEstimates) PutBlock(t0, nt int, data []float32) error {
	if t0 < 0 || nt < 0 || t0+nt > h.nt {
		return fmt.Errorf("raw estimates: block [%d, %d) outside the %d samples", t0, t0+nt, h.nt)
	}
	start := make([]int, len(h.dims))
	count := slices.Clone(h.dims)
	start[len(start)-1], count[len(count)-1] = t0, nt
	if err := h.ds.WriteFloat32Slab(start, count, data); err != nil {
		return err
	}
	if cap(h.tbuf) < nt {
		h.tbuf = make([]float64, nt)
	}
	tb := h.tbuf[:nt]
	for i := range tb {
		tb[i] = float64(h.start+int64(t0+i)) / h.sfreq
	}
	return h.times.WriteFloat64Slab([]int{t0}, []int{nt}, tb)
}

// Close finishes the file.
func (h *H5RawEstimates) Close() error { return h.w.Close() }

// Abort closes and removes the file.
func (h *H5RawEstimates) Abort() { h.w.Abort() }
