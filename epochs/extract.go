package epochs

import (
	"context"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/megflow/megflow/fif"
)

// Reading plan: the windows of the epochs are read in spans of neighbouring
// windows, so that a sample shared by two epochs, or lying in a short gap
// between them, is decoded once. A span is at most spanSamples long (or one
// window, if longer); windows further apart than spanGap start a new span.
const (
	spanSamples = 1 << 14
	spanGap     = 2048
)

// extractor reads and processes the epochs of New.
type extractor struct {
	src      fif.RawSource
	picks    []int
	t        *timing
	rej      *Rejector
	ssp      *fif.SSP
	baseRows []int
	nch, nt  int
	progress func(done, total int)
	annots   []Annotation
}

// window is the raw sample range of epoch k (relative to the first
// sample of the source); n is the number of samples available.
type window struct {
	k     int
	start int64
	n     int
}

// span is a block of picked channels read for several windows.
type span struct {
	start int64
	n     int
	rows  []int // row of each picked channel in buf
	buf   []float64
	wins  []window
	err   error
}

// run reads and processes the epochs of events[sel[k]] into slot k of one
// allocation and returns the good epochs' slots in order; reasons[k] is nil
// for a good epoch.
func (x *extractor) run(ctx context.Context, events []fif.Event, sel []int) ([][]string, [][]float64, error) {
	nraw := len(x.t.rawTimes)
	first := x.src.RawFirstSamp()
	total := x.src.RawNTimes()
	reasons := make([][]string, len(sel))
	var wins []window
	for k, s := range sel {
		start := int64(math.RoundToEven(float64(events[s].Sample)+float64(x.t.rawTimes[0]*x.t.sfreq))) - first
		stop := start + int64(nraw)
		bad := x.badAnnotation(events[s].Sample, start, stop)
		switch {
		case start < 0:
			reasons[k] = []string{"NO_DATA"}
		case bad != "":
			reasons[k] = []string{bad}
		case min(stop, total)-start <= 0 || x.t.nTimesFrom(int(min(stop, total)-start)) < x.nt:
			reasons[k] = []string{"TOO_SHORT"}
		default:
			wins = append(wins, window{k: k, start: start, n: int(min(stop, total) - start)})
		}
	}
	sort.SliceStable(wins, func(i, j int) bool { return wins[i].start < wins[j].start })
	spans := planSpans(wins)

	per := x.nch * x.nt
	data := make([]float64, len(sel)*per)

	// One goroutine reads spans ahead while the epochs of the previous one
	// are processed; three buffers circulate between them, so that memory
	// stays at a few spans however long the recording.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *span, 1)
	free := make(chan []float64, 3)
	for range 3 {
		free <- nil
	}
	go func() {
		defer close(ch)
		for _, sp := range spans {
			if ctx.Err() != nil {
				return
			}
			select {
			case sp.buf = <-free:
			case <-ctx.Done():
				return
			}
			sp.err = x.read(sp)
			select {
			case ch <- sp:
			case <-ctx.Done():
				return
			}
			if sp.err != nil {
				return
			}
		}
	}()
	done := 0
	for sp := range ch {
		if sp.err != nil {
			return nil, nil, sp.err
		}
		x.processSpan(sp, data, reasons)
		free <- sp.buf
		sp.buf = nil
		done += len(sp.wins)
		if x.progress != nil {
			x.progress(done, len(wins))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var out [][]float64
	for k := range sel {
		if reasons[k] == nil {
			out = append(out, data[k*per:(k+1)*per:(k+1)*per])
		}
	}
	return reasons, out, nil
}

// badAnnotation is MNE's _check_bad_segment: the first "bad" annotation
// overlapping the rejection window of the epoch of event sample ev (window
// [start, stop) relative to the first sample).
func (x *extractor) badAnnotation(ev, start, stop int64) string {
	if len(x.annots) == 0 {
		return ""
	}
	t := x.t
	first := x.src.RawFirstSamp()
	rtmin := t.rawTimes[0]
	if t.rejectTmin != nil {
		rtmin = *t.rejectTmin
	}
	rstart := int64(math.RoundToEven(float64(ev)+float64(rtmin*t.sfreq))) - first
	rtmax := t.rawTimes[len(t.rawTimes)-1]
	if t.rejectTmax != nil {
		rtmax = *t.rejectTmax
	}
	rstop := stop - int64(math.RoundToEven(float64((t.rawTimes[len(t.rawTimes)-1]-rtmax)*t.sfreq)))
	for _, a := range x.annots {
		if a.Onset < float64(rstop)/t.sfreq && a.Onset+a.Duration > float64(rstart)/t.sfreq &&
			strings.HasPrefix(strings.ToLower(a.Description), "bad") {
			return a.Description
		}
	}
	return ""
}

// planSpans groups windows (sorted by start) into spans.
func planSpans(wins []window) []*span {
	var spans []*span
	var cur *span
	for _, w := range wins {
		end := w.start + int64(w.n)
		if cur != nil {
			curEnd := cur.start + int64(cur.n)
			if w.start <= curEnd+spanGap && max(end, curEnd)-cur.start <= spanSamples {
				cur.n = int(max(end, curEnd) - cur.start)
				cur.wins = append(cur.wins, w)
				continue
			}
		}
		cur = &span{start: w.start, n: w.n, wins: []window{w}}
		spans = append(spans, cur)
	}
	return spans
}

// pickReader is a source that reads a subset of its channels (fif.Raw).
type pickReader interface {
	ReadInto(dst []float64, picks []int, start, stop int64) error
}

// read fills the span's buffer (reusing its memory) with the picked
// channels.
func (x *extractor) read(sp *span) error {
	stop := sp.start + int64(sp.n)
	grow := func(n int) {
		if cap(sp.buf) < n {
			sp.buf = make([]float64, n)
		}
		sp.buf = sp.buf[:n]
	}
	if pr, ok := x.src.(pickReader); ok {
		grow(len(x.picks) * sp.n)
		sp.rows = make([]int, len(x.picks))
		for i := range sp.rows {
			sp.rows[i] = i
		}
		return pr.ReadInto(sp.buf, x.picks, sp.start, stop)
	}
	grow(len(x.src.RawInfo().Chs) * sp.n)
	sp.rows = x.picks
	return x.src.ReadAll(sp.buf, sp.start, stop)
}

// processSpan processes the windows of a span on all cores.
func (x *extractor) processSpan(sp *span, data []float64, reasons [][]string) {
	workers := min(runtime.GOMAXPROCS(0), len(sp.wins))
	if workers <= 1 {
		var scratch []float64
		for _, w := range sp.wins {
			scratch = x.processOne(sp, w, data, reasons, scratch)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan window)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []float64
			for w := range next {
				scratch = x.processOne(sp, w, data, reasons, scratch)
			}
		}()
	}
	for _, w := range sp.wins {
		next <- w
	}
	close(next)
	wg.Wait()
}

// processOne baseline-corrects (on the undecimated samples), decimates,
// projects and tests one epoch, writing it to its slot of data.
func (x *extractor) processOne(sp *span, w window, data []float64, reasons [][]string, scratch []float64) []float64 {
	t := x.t
	per := x.nch * x.nt
	out := data[w.k*per : (w.k+1)*per]
	off := int(w.start - sp.start)
	isBase := 0
	for c := range x.nch {
		row := sp.buf[sp.rows[c]*sp.n+off : sp.rows[c]*sp.n+off+w.n]
		mean := 0.0
		if isBase < len(x.baseRows) && x.baseRows[isBase] == c {
			isBase++
			if t.baseline != nil {
				lo, hi := t.bLo, min(t.bHi, w.n)
				if lo < hi {
					s := 0.0
					for _, v := range row[lo:hi] {
						s += v
					}
					mean = s / float64(hi-lo)
				} else {
					mean = math.NaN()
				}
			}
		}
		o := out[c*x.nt : (c+1)*x.nt]
		for j := range o {
			o[j] = row[t.iStart+j*t.decim] - mean
		}
	}
	if x.ssp != nil {
		scratch, _ = x.ssp.Apply(out, x.nt, scratch)
	}
	if x.rej.Active() {
		if bad := x.rej.Check(out, x.nt, t.rejLo, t.rejHi); bad != nil {
			reasons[w.k] = bad
			return scratch
		}
	}
	return scratch
}
