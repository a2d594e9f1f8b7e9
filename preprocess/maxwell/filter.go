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
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func (p *Prepared) apply(data []float64, n int, tsss bool, sc *scratch) (int, error) {
	s := p.sens
	nGood, nMEG, nUse := len(s.good), len(s.meg), p.dec.nUseIn
	if len(data) < len(s.info.Chs)*n {
		return 0, fmt.Errorf("maxwell: block of %d values is too short for %d channels x %d samples", len(data), len(s.info.Chs), n)
	}
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
// file block by block. Windows are filtered one ahead of the reader in a
// background goroutine; memory is a few windows of all channels.
// Call Close when done.
type Filter struct {
	p       *Prepared
	src     fif.RawSource
	nch     int
	windows []Window

	mu      sync.Mutex
	cur     int // index of the window in buf, -1 for none
	buf     []float64
	results chan winResult
	stop    chan struct{}
	wg      sync.WaitGroup
	next    int // next window the worker will deliver
	free    chan []float64
}

type winResult struct {
	idx   int
	buf   []float64
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
	return &Filter{p: p, src: src, nch: len(p.sens.info.Chs), windows: w, cur: -1, next: -1, free: make(chan []float64, 3)}, nil
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

// Close stops the background worker.
func (f *Filter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopWorker()
	return nil
}

func (f *Filter) stopWorker() {
	if f.stop != nil {
		close(f.stop)
		f.wg.Wait()
		f.stop, f.results = nil, nil
	}
	f.next = -1
}

// startWorker filters windows from index from on, in order, one ahead of
// the consumer.
func (f *Filter) startWorker(from int) {
	f.stop = make(chan struct{})
	f.results = make(chan winResult, 1)
	f.next = from
	stop, results := f.stop, f.results
	wins := slices.Clone(f.windows) // the consumer updates f.windows
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		var sc scratch
		for i := from; i < len(wins); i++ {
			w := wins[i]
			n := int(w.Stop - w.Start)
			var buf []float64
			select {
			case buf = <-f.free:
			default:
			}
			buf = grow(buf, f.nch*n)
			r := winResult{idx: i, buf: buf}
			if r.err = f.src.ReadAll(buf, w.Start, w.Stop); r.err == nil {
				r.nproj, r.err = f.p.apply(buf, n, w.TSSS, &sc)
			}
			select {
			case results <- r:
			case <-stop:
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
	r := <-f.results
	if r.err != nil {
		f.stopWorker()
		f.cur = -1
		return r.err
	}
	if f.buf != nil {
		select {
		case f.free <- f.buf:
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
			copy(dst[int64(ch)*ns+pos-start:int64(ch)*ns+end-start], f.buf[int64(ch)*wn+pos-w.Start:int64(ch)*wn+end-w.Start])
		}
		pos = end
	}
	return nil
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
