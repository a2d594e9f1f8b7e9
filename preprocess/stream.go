package preprocess

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/dsp"
)

// StreamOptions tune NewFilteredRaw. The zero value is fine.
type StreamOptions struct {
	// ChunkLen is the number of output samples computed at a time for
	// all channels; memory use is a few chunks of all channels. 0 picks
	// about 32768 samples (whole FFT blocks for FIR).
	ChunkLen int
	// Workers is the number of goroutines filtering channels; 0 means
	// GOMAXPROCS.
	Workers int
	// Info, when not nil, is what RawInfo reports (for example
	// FilteredInfo(src.RawInfo(), picks, lFreq, hFreq)); by default the
	// source's info.
	Info *fif.Info
}

// FilteredRaw is a fif.RawSource that filters some channels of another
// source on the fly, block by block, with the result of filtering the
// whole recording at once: FIR blocks read their input with (L-1)/2
// samples of margin on each side and pad only at the true ends of the
// recording; IIR forward-backward filtering runs in three passes over
// the source with the filter states kept at block boundaries (see
// NewFilteredRaw). Channels not picked pass through unchanged.
//
// While the caller consumes one chunk, the next one is computed in the
// background. Its methods are not safe for concurrent use (like
// fif.Raw), and the source must not be used by others meanwhile; Close
// waits for the background work.
type FilteredRaw struct {
	src  fif.RawSource
	info *fif.Info
	nch  int
	n    int64
	eng  engine

	cur     *chunk
	pending chan *chunk // the chunk being computed in the background
	spare   []*chunk
	err     error
}

// engine computes output chunks; compute is never called concurrently.
type engine interface {
	numChunks() int
	bounds(c int) (start, stop int64)
	chunkOf(i int64) int
	compute(c int, out []float64) error
}

type chunk struct {
	idx         int
	start, stop int64
	data        []float64
	err         error
}

// NewFilteredRaw returns src with the channels picks (indices into
// src.RawInfo().Chs; nil means DataChannels, MNE's default) filtered by
// f, which must have been designed for src's sampling frequency.
//
// FIR memory is about 8 bytes × channels × (three chunks + the filter
// length): 250 MB for a 306-channel 1100 Hz recording of any duration
// with MNE's 1-40 Hz band-pass (3631 taps). IIR keeps, per picked
// channel and block boundary, the forward and backward filter states
// only: pass one runs the forward filter over the padded recording,
// pass two runs backwards recomputing each block's forward output from
// its saved state, and the output pass recomputes both from the saved
// states; the result is bit-identical to filtering whole channels.
func NewFilteredRaw(src fif.RawSource, f *Filter, picks []int, opt StreamOptions) (*FilteredRaw, error) {
	info := src.RawInfo()
	if info == nil || len(info.Chs) == 0 {
		return nil, errors.New("filter: the source has no channels")
	}
	if f.SFreq != info.SFreq {
		return nil, fmt.Errorf("filter: designed for %g Hz, the recording is sampled at %g Hz", f.SFreq, info.SFreq)
	}
	nch := len(info.Chs)
	if picks == nil {
		picks = DataChannels(info)
	}
	picked := make([]bool, nch)
	for _, p := range picks {
		if p < 0 || p >= nch {
			return nil, fmt.Errorf("filter: channel index %d out of range [0, %d)", p, nch)
		}
		picked[p] = true
	}
	n := src.RawNTimes()
	if n <= 0 {
		return nil, errors.New("filter: the recording has no samples")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := &FilteredRaw{src: src, info: info, nch: nch, n: n}
	if opt.Info != nil {
		s.info = opt.Info
	}
	switch f.Method {
	case "fir":
		s.eng = newFIREngine(src, f.Taps, picked, opt.ChunkLen, workers)
	case "iir":
		s.eng = newIIREngine(src, f, picked, opt.ChunkLen, workers)
	default:
		return nil, fmt.Errorf("filter: unknown method %q", f.Method)
	}
	return s, nil
}

// NewFIRFilter returns src with the channels picks filtered by the
// zero-phase FIR filter taps (odd length), MNE's 'reflect_limited' edges.
func NewFIRFilter(src fif.RawSource, taps []float64, picks []int) (*FilteredRaw, error) {
	if len(taps)%2 == 0 {
		return nil, fmt.Errorf("filter: a zero-phase FIR filter needs an odd number of taps, got %d", len(taps))
	}
	return NewFilteredRaw(src, &Filter{Method: "fir", SFreq: src.RawInfo().SFreq, Taps: taps}, picks, StreamOptions{})
}

// RawInfo returns the measurement info of the filtered recording.
func (s *FilteredRaw) RawInfo() *fif.Info { return s.info }

// RawFirstSamp returns the source's first sample.
func (s *FilteredRaw) RawFirstSamp() int64 { return s.src.RawFirstSamp() }

// RawNTimes returns the source's number of samples.
func (s *FilteredRaw) RawNTimes() int64 { return s.n }

// ReadAll reads samples [start, stop) of all channels, channel-major.
func (s *FilteredRaw) ReadAll(dst []float64, start, stop int64) error {
	if s.err != nil {
		return s.err
	}
	if start < 0 || stop > s.n || start > stop {
		return fmt.Errorf("filter: read range [%d, %d) outside [0, %d)", start, stop, s.n)
	}
	ns := stop - start
	if int64(len(dst)) < int64(s.nch)*ns {
		return fmt.Errorf("filter: destination holds %d values, need %d", len(dst), int64(s.nch)*ns)
	}
	for pos := start; pos < stop; {
		c, err := s.get(s.eng.chunkOf(pos))
		if err != nil {
			s.err = err
			return err
		}
		end := min(stop, c.stop)
		clen := c.stop - c.start
		for ch := 0; ch < s.nch; ch++ {
			copy(dst[int64(ch)*ns+pos-start:int64(ch)*ns+end-start], c.data[int64(ch)*clen+pos-c.start:int64(ch)*clen+end-c.start])
		}
		pos = end
	}
	return nil
}

// get returns chunk idx, from the current one, the background one, or
// computed now; then starts computing the next one in the background.
func (s *FilteredRaw) get(idx int) (*chunk, error) {
	if s.cur == nil || s.cur.idx != idx {
		var c *chunk
		if s.pending != nil {
			p := <-s.pending
			s.pending = nil
			if p.idx == idx {
				c = p
			} else {
				s.spare = append(s.spare, p)
			}
		}
		if c == nil {
			c = s.newChunk(idx)
			s.computeInto(c)
		}
		if c.err != nil {
			return nil, c.err
		}
		if s.cur != nil {
			s.spare = append(s.spare, s.cur)
		}
		s.cur = c
	}
	if next := idx + 1; s.pending == nil && next < s.eng.numChunks() {
		c := s.newChunk(next)
		s.pending = make(chan *chunk, 1)
		go func(ch chan<- *chunk) {
			s.computeInto(c)
			ch <- c
		}(s.pending)
	}
	return s.cur, nil
}

func (s *FilteredRaw) newChunk(idx int) *chunk {
	start, stop := s.eng.bounds(idx)
	size := int64(s.nch) * (stop - start)
	var c *chunk
	if k := len(s.spare); k > 0 {
		c, s.spare = s.spare[k-1], s.spare[:k-1]
	} else {
		c = &chunk{}
	}
	if int64(cap(c.data)) < size {
		c.data = make([]float64, size)
	}
	c.idx, c.start, c.stop, c.err, c.data = idx, start, stop, nil, c.data[:size]
	return c
}

func (s *FilteredRaw) computeInto(c *chunk) {
	defer func() {
		if p := recover(); p != nil {
			c.err = fmt.Errorf("filter: internal error in block %d: %v", c.idx, p)
		}
	}()
	c.err = s.eng.compute(c.idx, c.data)
}

// Close waits for background work and releases the buffers. The source
// is not closed.
func (s *FilteredRaw) Close() error {
	if s.pending != nil {
		<-s.pending
		s.pending = nil
	}
	s.cur, s.spare = nil, nil
	return nil
}

// firEngine computes FIR output chunks. Each chunk reads its input with
// the margins from the source: re-reading the (L-1)-sample overlap of
// consecutive chunks costs less than sliding a window by copying.
type firEngine struct {
	src      fif.RawSource
	nch      int
	n        int64
	conv     *dsp.Conv
	half     int64 // (L-1)/2: margin on each side
	nEdge    int64
	picked   []bool
	chunkLen int64
	workers  int
	win      []float64 // source samples of all channels, channel-major
}

func newFIREngine(src fif.RawSource, taps []float64, picked []bool, chunkLen, workers int) *firEngine {
	n := src.RawNTimes()
	e := &firEngine{src: src, nch: len(picked), n: n, half: int64(len(taps)-1) / 2,
		nEdge: firEdge(len(taps), n), picked: picked, workers: workers}
	// The FFT length is chosen for long signals but at most 32768 (or
	// the first power of two above the filter length), and chunks are
	// whole FFT blocks, about 32768 samples (80 MB for 306 channels).
	// Memory is then about channels × 8 bytes × (3 chunks + the filter
	// length): a very long filter (a 0.05 Hz high-pass, 66 s) costs
	// efficiency (blocks of at least half the FFT) rather than memory.
	e.conv = dsp.NewConv(taps, dsp.ConvOptions{OutLen: int(min(n, 1<<20)), MaxFFTLen: 32768})
	cl := int64(chunkLen)
	if cl <= 0 {
		b := int64(max(e.conv.BlockLen(), 1))
		cl = b * max(1, 32768/b)
	}
	e.chunkLen = min(cl, n)
	return e
}

func (e *firEngine) numChunks() int { return int((e.n + e.chunkLen - 1) / e.chunkLen) }

func (e *firEngine) bounds(c int) (int64, int64) {
	s := int64(c) * e.chunkLen
	return s, min(s+e.chunkLen, e.n)
}

func (e *firEngine) chunkOf(i int64) int { return int(i / e.chunkLen) }

func (e *firEngine) compute(c int, out []float64) error {
	o0, o1 := e.bounds(c)
	// Output sample i needs samples i-half .. i+half; near the ends the
	// reflected ones are among these too (see fillExt).
	a, b := max(0, o0-e.half), min(e.n, o1+e.half)
	w := b - a
	if int64(cap(e.win)) < int64(e.nch)*w {
		e.win = make([]float64, int64(e.nch)*w)
	}
	win := e.win[:int64(e.nch)*w]
	if err := e.src.ReadAll(win, a, b); err != nil {
		return err
	}
	clen := o1 - o0
	extLen := clen + 2*e.half
	interior := o0-e.half >= 0 && o1+e.half <= e.n
	parallelRows(e.nch, func() any {
		if interior {
			return []float64(nil)
		}
		return make([]float64, extLen)
	}, func(ch int, scratch any) {
		row := win[int64(ch)*w : int64(ch+1)*w]
		dst := out[int64(ch)*clen : int64(ch+1)*clen]
		if !e.picked[ch] {
			copy(dst, row[o0-a:o1-a])
			return
		}
		ext := row // interior chunk: the input as read
		if !interior {
			ext = scratch.([]float64)
			var x0, xl float64
			if a == 0 {
				x0 = row[0]
			}
			if b == e.n {
				xl = row[w-1]
			}
			fillExt(ext, o0-e.half, e.n, e.nEdge, row, a, x0, xl)
		}
		e.conv.Valid(dst, ext)
	}, e.workers)
	return nil
}
