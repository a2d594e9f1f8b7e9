package maxwell

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/megflow/megflow/fif"
)

// Window is a block of the recording filtered at once: a tSSS buffer, or
// a chunk without tSSS.
type Window struct {
	Start int64 `json:"start"` // first sample, from the first sample of the recording
	Stop  int64 `json:"stop"`  // one past the last sample
	// TSSS is true when the temporal projection was computed for the
	// window (tSSS on and the window at least one buffer long).
	TSSS bool `json:"tsss"`
	// NProjected is the number of tSSS components projected out.
	NProjected int `json:"n_projected"`
}

// Windows returns the blocks a recording of nTimes samples is filtered in:
// with tSSS, buffers of the tSSS duration from the start, the remainder
// lumped into the last buffer (MNE's rule); without, chunks of
// ChunkSeconds. An error when the tSSS buffer is longer than the data.
func (p *Prepared) Windows(nTimes int64) ([]Window, error) {
	if nTimes <= 0 {
		return nil, fmt.Errorf("maxwell: no samples to filter")
	}
	var step int64
	if p.stSamples > 0 {
		step = int64(p.stSamples)
		if step > nTimes+1 {
			return nil, fmt.Errorf("maxwell: st_duration (%.1f s) must be between 0 and the duration of the data (%.1f s)",
				float64(step)/p.sfreq, float64(nTimes)/p.sfreq)
		}
	} else {
		step = min(max(int64(math.RoundToEven(p.opt.ChunkSeconds*p.sfreq)), 1), nTimes)
	}
	var lims []int64
	for v := int64(0); v <= nTimes; v += step {
		lims = append(lims, v)
	}
	if len(lims) == 1 {
		lims = append(lims, nTimes)
	}
	lims[len(lims)-1] = nTimes
	eff := min(nTimes, step)
	var out []Window
	for i := 0; i+1 < len(lims); i++ {
		w := Window{Start: lims[i], Stop: lims[i+1]}
		w.TSSS = p.stSamples > 0 && w.Stop-w.Start >= eff
		out = append(out, w)
	}
	return out, nil
}

// Apply filters one block of data in place: data holds every channel of
// the info given to Prepare (channel-major, n samples each, SI units);
// the MEG channels are replaced by the reconstruction, the others are
// left alone. With tSSS the block is one tSSS buffer. It returns the
// number of tSSS components projected out.
func (p *Prepared) Apply(data []float64, n int, tsss bool) (int, error) {
	var sc scratch
	return p.apply(data, n, tsss, &sc)
}

// scratch holds the work arrays of apply, reused between blocks.
type scratch struct {
	mm, out []float64
	fused   []*fusedWork
	// When cals is set, apply also encodes the filtered block into enc
	// (see encodeFloat32).
	cals []float64
	enc  []byte
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func (p *Prepared) apply(data []float64, n int, tsss bool, sc *scratch) (int, error) {
	nch := len(p.sens.info.Chs)
	if len(data) < nch*n {
		return 0, fmt.Errorf("maxwell: block of %d values is too short for %d channels x %d samples", len(data), nch, n)
	}
	if sc.cals != nil {
		sc.enc = growBytes(sc.enc, 4*nch*n)
	}
	if p.canFuse(tsss) {
		p.applyFused(data, n, sc) // encodes panel by panel
		return 0, nil
	}
	nProj, err := p.applySeparate(data, n, tsss, sc)
	if err == nil && sc.cals != nil {
		encodeFloat32Par(sc.enc, data, n, sc.cals)
	}
	return nProj, err
}

// applySeparate is apply with the two products one after the other (and
// the tSSS projection between them).
func (p *Prepared) applySeparate(data []float64, n int, tsss bool, sc *scratch) (int, error) {
	s := p.sens
	nGood, nMEG, nUse := len(s.good), len(s.meg), p.dec.nUseIn
	var Vt []float64
	nProj := 0
	if tsss {
		var err error
		Vt, nProj, err = p.tsssProjector(data, n, p.goodRows)
		if err != nil {
			return 0, err
		}
	}
	sc.mm = grow(sc.mm, nUse*n)
	mulRows(sc.mm, n, p.A, nUse, nGood, data, n, p.goodRows, n)
	if nProj > 0 {
		// Projecting the time courses out of the data before the
		// reconstruction equals projecting them out of the moments.
		proj := make([]float64, nUse*nProj)
		mmG := blas64.General{Rows: nUse, Cols: n, Stride: n, Data: sc.mm}
		vG := blas64.General{Rows: nProj, Cols: n, Stride: n, Data: Vt}
		pG := blas64.General{Rows: nUse, Cols: nProj, Stride: nProj, Data: proj}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, mmG, vG, 0, pG)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, -1, pG, vG, 1, mmG)
	}
	if p.megContiguous {
		// The MEG rows are one block of the buffer: write in place.
		mulRows(data[s.meg[0]*n:], n, p.B, nMEG, nUse, sc.mm, n, nil, n)
		return nProj, nil
	}
	sc.out = grow(sc.out, nMEG*n)
	mulRows(sc.out, n, p.B, nMEG, nUse, sc.mm, n, nil, n)
	for k, ch := range s.meg {
		copy(data[ch*n:(ch+1)*n], sc.out[k*n:(k+1)*n])
	}
	return nProj, nil
}

// Filter streams a recording through a prepared Maxwell filter. It is a
// fif.RawSource: its info is the output info (see Prepared.OutputInfo)
// and ReadAll returns filtered data, so fif.WriteRaw writes a filtered
// file block by block. Windows are read and filtered ahead of the
// consumer by two background goroutines, a reader and a filter, so that
// decoding the next window, filtering the current one and consuming the
// previous one overlap; memory is a few windows of all channels
// (pipelineBuffers). Call Close when done.
type Filter struct {
	p       *Prepared
	src     fif.RawSource
	nch     int
	windows []Window

	mu    sync.Mutex
	cur   int // index of the window in buf, -1 for none
	buf   winBuf
	pipe  *pipeline // nil when no worker runs
	next  int       // next window the worker will deliver
	spare []winBuf
	cals  []float64 // set by EncodeFloat32: windows are also encoded
}

// winBuf holds one window: the samples and, with EncodeFloat32, their
// encoding.
type winBuf struct {
	data []float64
	enc  []byte
}

// pipelineBuffers is the largest number of window buffers the background
// goroutines cycle through, besides the consumer's current one: one being
// read, one being filtered and one filtered and waiting (more would let
// the reader run further ahead, and the decoded data leave the cache
// before they are used). Long windows (tSSS) get fewer, down to 2, so
// that the buffers take about pipelineBytes at most.
const (
	pipelineBuffers = 3
	pipelineBytes   = 96 << 20
)

// poolSize returns the number of buffers of the pipeline.
func (f *Filter) poolSize() int {
	var longest int64
	for _, w := range f.windows {
		longest = max(longest, w.Stop-w.Start)
	}
	per := max(longest*int64(f.nch)*12, 1) // float64 samples and their float32 encoding
	return int(max(2, min(pipelineBuffers, pipelineBytes/per)))
}

// pipeline is a running pair of background goroutines.
type pipeline struct {
	stop    chan struct{}
	results chan winResult
	pool    chan winBuf // free window buffers (empty: not yet allocated)
	wg      sync.WaitGroup
}

type winResult struct {
	idx   int
	buf   winBuf
	nproj int
	err   error
}

// NewFilter prepares the filter for src's info with opt and returns the
// streaming filter.
func NewFilter(src fif.RawSource, opt Options) (*Filter, error) {
	p, err := Prepare(src.RawInfo(), opt)
	if err != nil {
		return nil, err
	}
	return p.NewFilter(src)
}

// NewFilter returns a streaming filter of src, which must have the
// channels of the info given to Prepare.
func (p *Prepared) NewFilter(src fif.RawSource) (*Filter, error) {
	if len(src.RawInfo().Chs) != len(p.sens.info.Chs) {
		return nil, fmt.Errorf("maxwell: source has %d channels, the filter was prepared for %d", len(src.RawInfo().Chs), len(p.sens.info.Chs))
	}
	w, err := p.Windows(src.RawNTimes())
	if err != nil {
		return nil, err
	}
	return &Filter{p: p, src: src, nch: len(p.sens.info.Chs), windows: w, cur: -1, next: -1}, nil
}

// Prepared returns the prepared filter.
func (f *Filter) Prepared() *Prepared { return f.p }

// RawInfo returns the output measurement info.
func (f *Filter) RawInfo() *fif.Info { return f.p.outInfo }

// RawFirstSamp returns the source's first sample.
func (f *Filter) RawFirstSamp() int64 { return f.src.RawFirstSamp() }

// RawNTimes returns the source's number of samples.
func (f *Filter) RawNTimes() int64 { return f.src.RawNTimes() }

// Windows returns the windows with the tSSS projection counts of those
// filtered so far.
func (f *Filter) Windows() []Window {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Window(nil), f.windows...)
}

// Close stops the background goroutines.
func (f *Filter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopWorker()
	return nil
}

func (f *Filter) stopWorker() {
	if f.pipe != nil {
		close(f.pipe.stop)
		f.pipe.wg.Wait()
		// Keep the idle buffers for a restart.
		for {
			select {
			case b := <-f.pipe.pool:
				if b.data != nil && len(f.spare) < pipelineBuffers {
					f.spare = append(f.spare, b)
				}
				continue
			default:
			}
			break
		}
		f.pipe = nil
	}
	f.next = -1
}

// startWorker reads and filters windows from index from on, in order,
// ahead of the consumer: a reader goroutine fills buffers from the pool,
// a filter goroutine filters them and hands them to the consumer, which
// gives them back to the pool.
func (f *Filter) startWorker(from int) {
	pp := &pipeline{
		stop:    make(chan struct{}),
		results: make(chan winResult, 1),
		pool:    make(chan winBuf, f.poolSize()),
	}
	for i := range cap(pp.pool) {
		var b winBuf
		if i < len(f.spare) {
			b = f.spare[i]
		}
		pp.pool <- b
	}
	f.spare = nil
	f.pipe, f.next = pp, from
	wins := slices.Clone(f.windows) // the consumer updates f.windows
	read := make(chan winResult, 1)
	pp.wg.Add(2)
	go func() {
		defer pp.wg.Done()
		defer close(read)
		for i := from; i < len(wins); i++ {
			w := wins[i]
			n := int(w.Stop - w.Start)
			var buf winBuf
			select {
			case buf = <-pp.pool:
			case <-pp.stop:
				return
			}
			buf.data = grow(buf.data, f.nch*n)
			r := winResult{idx: i, buf: buf}
			r.err = f.src.ReadAll(buf.data, w.Start, w.Stop)
			select {
			case read <- r:
			case <-pp.stop:
				return
			}
			if r.err != nil {
				return
			}
		}
	}()
	go func() {
		defer pp.wg.Done()
		sc := scratch{cals: f.cals}
		for {
			var r winResult
			var ok bool
			select {
			case r, ok = <-read:
			case <-pp.stop:
				return
			}
			if !ok {
				return
			}
			if r.err == nil {
				w := wins[r.idx]
				sc.enc = r.buf.enc
				r.nproj, r.err = f.p.apply(r.buf.data, int(w.Stop-w.Start), w.TSSS, &sc)
				r.buf.enc = sc.enc
			}
			select {
			case pp.results <- r:
			case <-pp.stop:
				return
			}
			if r.err != nil {
				return
			}
		}
	}()
}

// load makes window i the current one.
func (f *Filter) load(i int) error {
	if f.cur == i {
		return nil
	}
	if f.next != i {
		f.stopWorker()
		f.startWorker(i)
	}
	r := <-f.pipe.results
	if r.err != nil {
		f.stopWorker()
		f.cur = -1
		return r.err
	}
	if f.buf.data != nil {
		select {
		case f.pipe.pool <- f.buf:
		default:
		}
	}
	f.buf, f.cur, f.next = r.buf, r.idx, r.idx+1
	f.windows[i].NProjected = r.nproj
	if f.next >= len(f.windows) {
		f.stopWorker()
		f.next = -2
	}
	return nil
}

// ReadAll returns filtered samples [start, stop) of every channel,
// channel-major.
func (f *Filter) ReadAll(dst []float64, start, stop int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if start < 0 || stop > f.src.RawNTimes() || start > stop {
		return fmt.Errorf("maxwell: read range [%d, %d) outside [0, %d)", start, stop, f.src.RawNTimes())
	}
	ns := stop - start
	if int64(len(dst)) < int64(f.nch)*ns {
		return fmt.Errorf("maxwell: destination of %d values too short for %d channels x %d samples", len(dst), f.nch, ns)
	}
	for pos := start; pos < stop; {
		i := f.windowOf(pos)
		if err := f.load(i); err != nil {
			return err
		}
		w := f.windows[i]
		wn := w.Stop - w.Start
		end := min(stop, w.Stop)
		for ch := range f.nch {
			copy(dst[int64(ch)*ns+pos-start:int64(ch)*ns+end-start], f.buf.data[int64(ch)*wn+pos-w.Start:int64(ch)*wn+end-w.Start])
		}
		pos = end
	}
	return nil
}

// BorrowBlock returns filtered samples [start, stop) of every channel
// without a copy, when they lie in one window: channel ch, sample start+k
// is rows[ch*stride+k]. The slice is the filter's own buffer, valid until
// the next call of ReadAll or BorrowBlock (or Close); do not modify it.
// It returns nil rows (and no error) when the range spans windows: use
// ReadAll then. fif.WriteRaw uses it to encode straight from the window.
func (f *Filter) BorrowBlock(start, stop int64) (rows []float64, stride int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if start < 0 || stop > f.src.RawNTimes() || start >= stop {
		return nil, 0, fmt.Errorf("maxwell: read range [%d, %d) outside [0, %d)", start, stop, f.src.RawNTimes())
	}
	i := f.windowOf(start)
	w := f.windows[i]
	if stop > w.Stop {
		return nil, 0, nil
	}
	if err := f.load(i); err != nil {
		return nil, 0, err
	}
	wn := int(w.Stop - w.Start)
	return f.buf.data[start-w.Start:], wn, nil
}

// EncodeFloat32 makes the filter also encode each window, as it is
// filtered (in cache, on the filtering goroutines), into float32 data
// buffers as fif.WriteRaw writes them: sample-major, channel ch stored as
// the big-endian float32 of value / cals[ch]. BorrowEncoded returns them.
// It reports false (and changes nothing) when cals does not have one value
// per channel.
func (f *Filter) EncodeFloat32(cals []float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(cals) != f.nch {
		return false
	}
	f.stopWorker() // windows filtered ahead have no encoding
	f.cur, f.buf = -1, winBuf{}
	f.cals = slices.Clone(cals)
	return true
}

// BorrowEncoded returns the encoded samples [start, stop) (see
// EncodeFloat32) without a copy when they lie in one window: the filter's
// own buffer, valid until the next call of ReadAll, BorrowBlock or
// BorrowEncoded (or Close). It returns nil (and no error) when the range
// spans windows or EncodeFloat32 was not called.
func (f *Filter) BorrowEncoded(start, stop int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cals == nil {
		return nil, nil
	}
	if start < 0 || stop > f.src.RawNTimes() || start >= stop {
		return nil, fmt.Errorf("maxwell: read range [%d, %d) outside [0, %d)", start, stop, f.src.RawNTimes())
	}
	i := f.windowOf(start)
	w := f.windows[i]
	if stop > w.Stop {
		return nil, nil
	}
	if err := f.load(i); err != nil {
		return nil, err
	}
	frame := 4 * int64(f.nch)
	return f.buf.enc[(start-w.Start)*frame : (stop-w.Start)*frame], nil
}

func (f *Filter) windowOf(pos int64) int {
	lo, hi := 0, len(f.windows)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.windows[mid].Start <= pos {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
