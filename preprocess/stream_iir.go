package preprocess

import (
	"github.com/megflow/megflow/fif"
)

// iirEngine computes forward-backward IIR output chunks with memory
// bounded by a block (see NewFilteredRaw). Indices e of the padded
// signal (pad samples of odd reflection on each side, scipy's
// sosfiltfilt) run over [0, n+2·pad) and are cut into blocks of blockLen;
// output chunk c is the part of block b0+c inside the recording.
type iirEngine struct {
	src      fif.RawSource
	nch      int
	n        int64
	sos      [][6]float64
	zi       [][2]float64
	pad      int64
	picks    []int
	picked   []bool
	blockLen int64
	nBlocks  int
	b0       int
	nOut     int
	workers  int

	prepared bool
	x0, xl   []float64      // first and last sample of each picked channel
	fwd      [][][2]float64 // fwd[b]: forward states entering block b, per picked channel
	bwd      [][][2]float64 // bwd[b]: backward states leaving block b towards b-1
	read     []float64      // source samples of all channels, [rlo, rhi)
	rlo, rhi int64
	ext      []float64 // padded block per picked channel, stride blockLen
}

func newIIREngine(src fif.RawSource, f *Filter, picked []bool, chunkLen, workers int) *iirEngine {
	n := src.RawNTimes()
	e := &iirEngine{src: src, nch: len(picked), n: n, sos: f.SOS, zi: sosZI(f.SOS),
		pad: int64(min(int64(f.PadLen), n-1)), picked: picked, workers: workers}
	for ch, p := range picked {
		if p {
			e.picks = append(e.picks, ch)
		}
	}
	bl := int64(chunkLen)
	if bl <= 0 {
		bl = 32768
	}
	e.blockLen = bl
	total := n + 2*e.pad
	e.nBlocks = int((total + bl - 1) / bl)
	e.b0 = int(e.pad / bl)
	e.nOut = int((n-1+e.pad)/bl) - e.b0 + 1
	return e
}

func (e *iirEngine) numChunks() int { return e.nOut }

func (e *iirEngine) bounds(c int) (int64, int64) {
	b := int64(e.b0 + c)
	return max(0, b*e.blockLen-e.pad), min(e.n, (b+1)*e.blockLen-e.pad)
}

func (e *iirEngine) chunkOf(i int64) int { return int((i+e.pad)/e.blockLen) - e.b0 }

// blockRange returns the padded indices [e0, e1) of block b.
func (e *iirEngine) blockRange(b int) (int64, int64) {
	e0 := int64(b) * e.blockLen
	return e0, min(e0+e.blockLen, e.n+2*e.pad)
}

// loadBlock reads the source samples that block b needs (its own and
// those its padding reflects) and builds the padded block of every
// picked channel.
func (e *iirEngine) loadBlock(b int) error {
	e0, e1 := e.blockRange(b)
	lo, hi := int64(-1), int64(-1)
	span := func(a, z int64) { // include samples [a, z)
		if a >= z {
			return
		}
		if lo < 0 || a < lo {
			lo = a
		}
		if z > hi {
			hi = z
		}
	}
	span(max(0, e0-e.pad), min(e.n, e1-e.pad))
	if e0 < e.pad { // left padding reflects samples pad-e for e in [e0, min(e1, pad))
		span(e.pad-min(e1, e.pad)+1, e.pad-e0+1)
	}
	if e1 > e.n+e.pad { // right padding reflects 2n+pad-2-e
		span(2*e.n+e.pad-1-e1, 2*e.n+e.pad-1-max(e0, e.n+e.pad))
	}
	cnt := hi - lo
	if int64(cap(e.read)) < int64(e.nch)*cnt {
		e.read = make([]float64, int64(e.nch)*cnt)
	}
	e.read = e.read[:int64(e.nch)*cnt]
	if err := e.src.ReadAll(e.read, lo, hi); err != nil {
		return err
	}
	e.rlo, e.rhi = lo, hi
	if e.ext == nil {
		e.ext = make([]float64, int64(len(e.picks))*e.blockLen)
	}
	for k, ch := range e.picks {
		row := e.read[int64(ch)*cnt : int64(ch+1)*cnt]
		fillExt(e.extRow(k, e1-e0), e0-e.pad, e.n, e.pad, row, lo, e.x0[k], e.xl[k])
	}
	return nil
}

func (e *iirEngine) extRow(k int, size int64) []float64 {
	return e.ext[int64(k)*e.blockLen : int64(k)*e.blockLen+size]
}

func (e *iirEngine) states(s [][2]float64, k int) [][2]float64 {
	ns := len(e.sos)
	return s[k*ns : (k+1)*ns]
}

// prepare runs the forward pass over all blocks and the backward pass
// from the end down to the first output block, keeping the states at
// block boundaries.
func (e *iirEngine) prepare() error {
	np, ns := len(e.picks), len(e.sos)
	// first and last samples (the reflection anchors)
	one := make([]float64, e.nch)
	e.x0, e.xl = make([]float64, np), make([]float64, np)
	if err := e.src.ReadAll(one, 0, 1); err != nil {
		return err
	}
	for k, ch := range e.picks {
		e.x0[k] = one[ch]
	}
	if err := e.src.ReadAll(one, e.n-1, e.n); err != nil {
		return err
	}
	for k, ch := range e.picks {
		e.xl[k] = one[ch]
	}
	e.fwd = make([][][2]float64, e.nBlocks+1)
	e.bwd = make([][][2]float64, e.nBlocks+1)
	for b := range e.fwd {
		e.fwd[b] = make([][2]float64, np*ns)
	}
	yLast := make([]float64, np)
	groups := (np + 3) / 4
	// Running block b forward leaves the state entering block b+1
	// (fwd[0] is unused: block 0 starts from the steady state of its
	// first sample, see startForward).
	for b := 0; b < e.nBlocks; b++ {
		if err := e.loadBlock(b); err != nil {
			return err
		}
		parallelRows(groups, func() any { return nil }, func(g int, _ any) {
			ks, rows := e.group(b, g)
			states := make([][][2]float64, len(ks))
			for j, k := range ks {
				states[j] = e.states(e.fwd[b+1], k)
				copy(states[j], e.startForward(b, k, rows[j]))
			}
			sosRows(e.sos, states, rows, false)
			if b == e.nBlocks-1 {
				for j, k := range ks {
					yLast[k] = rows[j][len(rows[j])-1]
				}
			}
		}, e.workers)
	}
	last := make([][2]float64, np*ns)
	for k := range np {
		copy(e.states(last, k), scaledZI(e.zi, yLast[k]))
	}
	e.bwd[e.nBlocks] = last
	for b := e.nBlocks - 1; b > e.b0; b-- {
		if err := e.loadBlock(b); err != nil {
			return err
		}
		e.bwd[b] = make([][2]float64, np*ns)
		parallelRows(groups, func() any { return nil }, func(g int, _ any) {
			ks, rows := e.group(b, g)
			e.forward(b, ks, rows)
			states := make([][][2]float64, len(ks))
			for j, k := range ks {
				states[j] = e.states(e.bwd[b], k)
				copy(states[j], e.states(e.bwd[b+1], k))
			}
			sosRows(e.sos, states, rows, true)
		}, e.workers)
	}
	e.prepared = true
	return nil
}

// group returns the picked channels of group g (four at a time) and
// their padded rows of block b.
func (e *iirEngine) group(b, g int) ([]int, [][]float64) {
	e0, e1 := e.blockRange(b)
	var ks []int
	var rows [][]float64
	for k := 4 * g; k < min(4*g+4, len(e.picks)); k++ {
		ks = append(ks, k)
		rows = append(rows, e.extRow(k, e1-e0))
	}
	return ks, rows
}

// startForward returns the forward state entering block b of picked
// channel k (a copy): the steady state of the first padded sample for
// block 0, else the saved state.
func (e *iirEngine) startForward(b, k int, row []float64) [][2]float64 {
	if b == 0 {
		return scaledZI(e.zi, row[0])
	}
	return append([][2]float64(nil), e.states(e.fwd[b], k)...)
}

// forward filters the padded block b of picked channels ks forward in
// place, from their saved entering states.
func (e *iirEngine) forward(b int, ks []int, rows [][]float64) {
	states := make([][][2]float64, len(ks))
	for j, k := range ks {
		states[j] = e.startForward(b, k, rows[j])
	}
	sosRows(e.sos, states, rows, false)
}

func (e *iirEngine) compute(c int, out []float64) error {
	if !e.prepared {
		if err := e.prepare(); err != nil {
			return err
		}
	}
	b := e.b0 + c
	if err := e.loadBlock(b); err != nil {
		return err
	}
	e0, _ := e.blockRange(b)
	o0, o1 := e.bounds(c)
	clen := o1 - o0
	cnt := e.rhi - e.rlo
	for ch, p := range e.picked {
		if !p {
			copy(out[int64(ch)*clen:int64(ch+1)*clen], e.read[int64(ch)*cnt+o0-e.rlo:int64(ch)*cnt+o1-e.rlo])
		}
	}
	parallelRows((len(e.picks)+3)/4, func() any { return nil }, func(g int, _ any) {
		ks, rows := e.group(b, g)
		e.forward(b, ks, rows)
		states := make([][][2]float64, len(ks))
		for j, k := range ks {
			states[j] = append([][2]float64(nil), e.states(e.bwd[b+1], k)...)
		}
		sosRows(e.sos, states, rows, true)
		for j, k := range ks {
			ch := e.picks[k]
			copy(out[int64(ch)*clen:int64(ch+1)*clen], rows[j][o0+e.pad-e0:o1+e.pad-e0])
		}
	}, e.workers)
	return nil
}
