package inverse

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
)

// EpochInput is what ApplyEpochs reads: epochs on the channels of Info,
// fetched one at a time (so they need not all be in memory).
type EpochInput struct {
	// Info describes the rows of every epoch.
	Info *fif.Info
	// Times are the epoch times (s).
	Times []float64
	// N is the number of epochs; Epoch(i) returns epoch i,
	// len(Info.Chs) x len(Times), row-major (the slice is only read).
	N     int
	Epoch func(i int) ([]float64, error)
	// EventID and Condition label each epoch (optional, len N).
	EventID   []int64
	Condition []string
	// Overlap lets ApplyEpochs read and compute the next epoch while the
	// estimate of the previous one is handed to Estimates.Put, which then
	// runs on another goroutine (still one call at a time, in order of
	// the epochs). Set it only when Epoch and Put share no unsynchronized
	// state. It keeps a second estimate (or batch of estimates, see
	// ApplyEpochs) in memory and saves the time of Put (writing HDF5, say)
	// when it would leave cores idle.
	Overlap bool
}

// channelRows maps the kernel's channels to rows of info; it fails when a
// channel of the operator is missing from the data.
func channelRows(info *fif.Info, names []string) ([]int, bool, error) {
	rows := make([]int, len(names))
	ident := len(names) == len(info.Chs)
	var miss []string
	for i, nm := range names {
		r := info.ChIndex(nm)
		if r < 0 {
			miss = append(miss, nm)
			continue
		}
		rows[i] = r
		ident = ident && r == i
	}
	if len(miss) > 0 {
		return nil, false, fmt.Errorf("channel sets do not agree: %d channel(s) of the inverse operator are not in the data (%s)", len(miss), short(miss))
	}
	return rows, ident, nil
}

// Estimates receives the source estimates of successive epochs.
type Estimates interface {
	// Put stores the estimate of epoch i (NOut x nt, row-major). The
	// slice is reused after Put returns.
	Put(i int, data []float32) error
}

// ApplyEpochs applies k to every epoch of in, handing each estimate to
// dst as soon as it is computed: only one epoch's estimate is held (two
// with in.Overlap) — or, for epochs short enough to share one product
// (up to 1024 samples in all), one batch of them.
func ApplyEpochs(ctx context.Context, k *Kernel, in EpochInput, dst Estimates) error {
	rows, ident, err := channelRows(in.Info, k.Names)
	if err != nil {
		return err
	}
	nt := len(in.Times)
	nc := len(in.Info.Chs)
	n := len(k.Names)
	// Short epochs are applied a few at a time (Kernel.batchEpochs); each
	// is copied on reading, in the kernel's channel order, since Epoch
	// may reuse its slice.
	nbatch := max(1, min(k.batchEpochs(nt), in.N))
	xs := make([][]float64, nbatch)
	for j := range xs {
		if !ident || nbatch > 1 {
			xs[j] = make([]float64, n*nt)
		}
	}
	var ws Workspace
	// compute reads epochs i0, i0+1, ... and applies k to them, into outs.
	compute := func(i0 int, outs [][]float32) error {
		for j := range outs {
			if err := ctx.Err(); err != nil {
				return err
			}
			i := i0 + j
			e, err := in.Epoch(i)
			if err != nil {
				return fmt.Errorf("epoch %d: %w", i, err)
			}
			if len(e) != nc*nt {
				return fmt.Errorf("epoch %d has %d values, want %d channels x %d times", i, len(e), nc, nt)
			}
			switch {
			case ident && nbatch == 1:
				xs[j] = e
			case ident:
				copy(xs[j], e)
			default:
				for a, r := range rows {
					copy(xs[j][a*nt:(a+1)*nt], e[r*nt:(r+1)*nt])
				}
			}
		}
		if nbatch == 1 {
			k.Apply(xs[0], nt, outs[0], &ws)
		} else {
			k.applyBatch(xs[:len(outs)], nt, outs, &ws)
		}
		return nil
	}
	newBatch := func() [][]float32 {
		outs := make([][]float32, nbatch)
		for j := range outs {
			outs[j] = make([]float32, k.NOut*nt)
		}
		return outs
	}
	nb := (in.N + nbatch - 1) / nbatch
	batch := func(j int, outs [][]float32) [][]float32 { return outs[:min(nbatch, in.N-j*nbatch)] }
	return computeStore(nb, in.Overlap, newBatch,
		func(j int, outs [][]float32) error { return compute(j*nbatch, batch(j, outs)) },
		func(j int, outs [][]float32) error {
			for i, out := range batch(j, outs) {
				if err := dst.Put(j*nbatch+i, out); err != nil {
					return err
				}
			}
			return nil
		})
}

// computeStore runs compute(j, buf) and then store(j, buf) for j = 0 …
// n−1, in order. With overlap (and two items or more), store runs on
// another goroutine while the next item is computed, two buffers from
// newBuf taking turns; otherwise one buffer serves every item. The first
// error of store, else of compute, ends the work and is returned.
func computeStore[B any](n int, overlap bool, newBuf func() B, compute, store func(j int, buf B) error) error {
	if !overlap || n < 2 {
		buf := newBuf()
		for j := range n {
			if err := compute(j, buf); err != nil {
				return err
			}
			if err := store(j, buf); err != nil {
				return err
			}
		}
		return nil
	}
	type done struct {
		j   int
		buf B
	}
	free := make(chan B, 2)
	free <- newBuf()
	free <- newBuf()
	todo := make(chan done, 1)
	var failed atomic.Bool
	werr := make(chan error, 1)
	go func() {
		var err error
		for d := range todo {
			if err == nil {
				if err = store(d.j, d.buf); err != nil {
					failed.Store(true)
				}
			}
			free <- d.buf
		}
		werr <- err
	}()
	var err error
	for j := range n {
		buf := <-free
		if failed.Load() {
			break
		}
		if err = compute(j, buf); err != nil {
			break
		}
		todo <- done{j, buf}
	}
	close(todo)
	if e := <-werr; e != nil {
		return e
	}
	return err
}

// H5Estimates writes source estimates to an HDF5 file: `data` (n_epochs x
// n_sources x n_times float32, or n_epochs x n_sources x 3 x n_times for
// vector estimates, one chunk per epoch), `vertices_lh`, `vertices_rh`,
// `times`, `event_id`, `condition` and the attributes `method`,
// `lambda2`, `pick_ori`, `nave` (also as datasets `method`, `lambda2`).
type H5Estimates struct {
	w    *h5.Writer
	ds   *h5.Dataset
	dims []int
}

// CreateH5Estimates creates path for n epochs of the estimates of k on
// times, with per-epoch labels (may be nil).
func CreateH5Estimates(path string, k *Kernel, n int, times []float64, eventID []int64, condition []string) (*H5Estimates, error) {
	w, err := h5.Create(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*H5Estimates, error) {
		w.Abort()
		return nil, err
	}
	nt := len(times)
	dims := []int{n, k.NOut, nt}
	chunk := []int{1, k.NOut, nt}
	if k.PickOri == PickVector {
		dims = []int{n, k.NOut / 3, 3, nt}
		chunk = []int{1, k.NOut / 3, 3, nt}
	}
	ds, err := w.CreateFloat32("data", dims, h5.Chunks(chunk...))
	if err != nil {
		return fail(err)
	}
	if err := writeEstimateMeta(w, k); err != nil {
		return fail(err)
	}
	if err := w.WriteFloat64("times", slices.Clone(times), nil); err != nil {
		return fail(err)
	}
	if eventID != nil {
		if err := w.WriteInt64("event_id", eventID, nil); err != nil {
			return fail(err)
		}
	}
	if condition != nil {
		if err := w.WriteStrings("condition", condition); err != nil {
			return fail(err)
		}
	}
	return &H5Estimates{w: w, ds: ds, dims: dims}, nil
}

// writeEstimateMeta writes the vertices, method and λ² datasets and the
// attributes of `data` of an estimates file.
func writeEstimateMeta(w *h5.Writer, k *Kernel) error {
	for hi, name := range []string{"vertices_lh", "vertices_rh"} {
		var v []int64
		if hi < len(k.Vertices) {
			for _, x := range k.Vertices[hi] {
				v = append(v, int64(x))
			}
		}
		if err := w.WriteInt64(name, v, []int{len(v)}); err != nil {
			return err
		}
	}
	if err := w.WriteStrings("method", []string{string(k.Method)}); err != nil {
		return err
	}
	if err := w.WriteFloat64("lambda2", []float64{k.Lambda2}, []int{}); err != nil {
		return err
	}
	po := string(k.PickOri)
	if po == "" {
		po = "none"
	}
	for _, a := range [][2]string{{"method", string(k.Method)}, {"pick_ori", po}} {
		if err := w.SetAttrString("data", a[0], a[1]); err != nil {
			return err
		}
	}
	if err := w.SetAttrFloat64("data", "lambda2", k.Lambda2); err != nil {
		return err
	}
	return w.SetAttrFloat64("data", "nave", k.NAve)
}

// Put writes the estimate of epoch i.
func (h *H5Estimates) Put(i int, data []float32) error {
	start := make([]int, len(h.dims))
	count := slices.Clone(h.dims)
	start[0], count[0] = i, 1
	return h.ds.WriteFloat32Slab(start, count, data)
}

// Close finishes the file.
func (h *H5Estimates) Close() error { return h.w.Close() }

// Abort closes and removes the file.
func (h *H5Estimates) Abort() { h.w.Abort() }
