// Package progress draws a one-line progress bar with rate and ETA on a
// terminal. It is meant for stderr of long-running commands:
//
//	bar := progress.New(os.Stderr, "convert", total, progress.Options{Unit: "s", Scale: 1 / sfreq})
//	defer bar.Finish()
//	for ... { bar.Add(n) }
//
// New returns nil when the writer is not a terminal (a pipe, a file, CI
// logs) or when Options.Disabled is set, and every method of a nil *Bar does
// nothing, so callers never check. NewWriter draws to any writer (tests).
package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// Options configure a Bar.
type Options struct {
	// Disabled turns the bar off (for --quiet).
	Disabled bool
	// Unit names what is counted after scaling ("s" for seconds of data,
	// "B" for bytes). Empty counts plain items.
	Unit string
	// Scale converts counts to the displayed unit (e.g. 1/sfreq to show
	// samples as seconds of data). 0 means 1.
	Scale float64
	// Width of the bar in characters; 0 means 24.
	Width int
	// Interval is the least time between two redraws; 0 means 100 ms.
	Interval time.Duration
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Bar is a progress bar. Its methods are safe for concurrent use and do
// nothing on a nil *Bar.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	total   int64
	n       int64
	opt     Options
	start   time.Time
	last    time.Time
	drawn   bool
	lastLen int
	done    bool
}

// New returns a bar drawing on f if f is a terminal and opt.Disabled is
// false, else nil (a no-op bar). total is the count at completion; 0 or
// less means unknown (no percentage or ETA).
func New(f *os.File, label string, total int64, opt Options) *Bar {
	if opt.Disabled || f == nil || !IsTerminal(f) {
		return nil
	}
	return NewWriter(f, label, total, opt)
}

// NewWriter returns a bar drawing on w whatever w is (unless
// opt.Disabled).
func NewWriter(w io.Writer, label string, total int64, opt Options) *Bar {
	if opt.Disabled || w == nil {
		return nil
	}
	if opt.Scale == 0 {
		opt.Scale = 1
	}
	if opt.Width <= 0 {
		opt.Width = 24
	}
	if opt.Interval <= 0 {
		opt.Interval = 100 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	now := opt.Now()
	return &Bar{w: w, label: label, total: total, opt: opt, start: now}
}

// Add advances the bar by n.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += n
	b.maybeDraw()
}

// Set moves the bar to n.
func (b *Bar) Set(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n = n
	b.maybeDraw()
}

func (b *Bar) maybeDraw() {
	if b.done {
		return
	}
	now := b.opt.Now()
	if b.drawn && now.Sub(b.last) < b.opt.Interval && (b.total <= 0 || b.n < b.total) {
		return
	}
	b.draw(now)
}

// Finish draws the final state and ends the line. Later calls do nothing.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.draw(b.opt.Now())
	fmt.Fprint(b.w, "\n")
	b.done = true
}

// Clear erases the bar's line (for example before printing an error) and
// stops drawing.
func (b *Bar) Clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn && !b.done {
		fmt.Fprint(b.w, "\r"+strings.Repeat(" ", b.lastLen)+"\r")
	}
	b.done = true
}

func (b *Bar) draw(now time.Time) {
	line := b.Line(now)
	pad := ""
	if n := b.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprint(b.w, "\r"+line+pad)
	b.lastLen = len(line)
	b.last = now
	b.drawn = true
}

// Line renders the bar as of now without drawing it, e.g.
//
//	convert [==========>             ]  45%  21.2/47.2 s  63.1 s/s  ETA 0:00:01
func (b *Bar) Line(now time.Time) string {
	var sb strings.Builder
	if b.label != "" {
		sb.WriteString(b.label)
		sb.WriteByte(' ')
	}
	elapsed := now.Sub(b.start).Seconds()
	frac := -1.0
	if b.total > 0 {
		frac = math.Min(1, math.Max(0, float64(b.n)/float64(b.total)))
		fill := int(frac * float64(b.opt.Width))
		sb.WriteByte('[')
		for i := 0; i < b.opt.Width; i++ {
			switch {
			case i < fill:
				sb.WriteByte('=')
			case i == fill && fill < b.opt.Width:
				sb.WriteByte('>')
			default:
				sb.WriteByte(' ')
			}
		}
		fmt.Fprintf(&sb, "] %3.0f%%  %s/%s", 100*frac, b.amount(b.n), b.amount(b.total))
	} else {
		sb.WriteString(b.amount(b.n))
	}
	if b.opt.Unit != "" {
		sb.WriteByte(' ')
		sb.WriteString(b.opt.Unit)
	}
	if elapsed > 0 && b.n > 0 {
		rate := float64(b.n) * b.opt.Scale / elapsed
		fmt.Fprintf(&sb, "  %s %s/s", fmtNum(rate), unitOr(b.opt.Unit))
		if frac >= 0 {
			if frac >= 1 {
				fmt.Fprintf(&sb, "  in %s", fmtDur(elapsed))
			} else {
				left := float64(b.total-b.n) * b.opt.Scale / rate
				fmt.Fprintf(&sb, "  ETA %s", fmtDur(left))
			}
		}
	}
	return sb.String()
}

func (b *Bar) amount(n int64) string {
	return fmtNum(float64(n) * b.opt.Scale)
}

func unitOr(u string) string {
	if u == "" {
		return "items"
	}
	return u
}

// fmtNum prints a count with three significant digits and k/M/G suffixes
// above 10^4.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e10:
		return fmt.Sprintf("%.1fG", v/1e9)
	case a >= 1e7:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtDur prints seconds as h:mm:ss.
func fmtDur(sec float64) string {
	if math.IsInf(sec, 0) || math.IsNaN(sec) || sec > 360000 {
		return "--:--:--"
	}
	s := int64(math.Round(sec))
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
