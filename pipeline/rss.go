package pipeline

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssMonitor samples the process's resident set size (Linux
// /proc/self/statm) every 20 ms: the peak of a stage includes memory that
// C libraries (HDF5, OpenBLAS) allocate, which the Go runtime's statistics
// miss. Elsewhere it reports zeros.
type rssMonitor struct {
	mu   sync.Mutex
	all  float64
	open map[*float64]struct{} // peaks of the steps running now
	done chan struct{}
	once sync.Once
}

func startRSSMonitor() *rssMonitor {
	m := &rssMonitor{done: make(chan struct{}), open: map[*float64]struct{}{}}
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			m.sample()
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

var pageSize = float64(os.Getpagesize())

func (m *rssMonitor) sample() {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return
	}
	pages, err := strconv.ParseFloat(string(f[1]), 64)
	if err != nil {
		return
	}
	mb := pages * pageSize / (1 << 20)
	m.mu.Lock()
	for p := range m.open {
		*p = max(*p, mb)
	}
	m.all = max(m.all, mb)
	m.mu.Unlock()
}

// begin starts following a step; the returned function ends it and gives
// the peak while it ran (MB). Steps may overlap: each sees the whole
// process, so the peak of a step includes what a concurrent step holds.
func (m *rssMonitor) begin() func() float64 {
	p := new(float64)
	m.mu.Lock()
	m.open[p] = struct{}{}
	m.mu.Unlock()
	m.sample()
	return func() float64 {
		m.sample()
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.open, p)
		return *p
	}
}

// overall is the peak of the whole run (MB).
func (m *rssMonitor) overall() float64 {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.all
}

func (m *rssMonitor) stop() { m.once.Do(func() { close(m.done) }) }
