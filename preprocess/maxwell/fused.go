package maxwell

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
)

// Without tSSS the MEG output of a block is B (A X): the moments A X are
// only an intermediate. applyFused computes both products panel by panel
// (panelCols samples at a time, the panels split between the cores): the
// kernel writes the moments of a panel straight in the packed layout the
// second product reads, so they never leave the cache, and the output is
// written in place. The arithmetic is that of two mulRows calls (same
// kernel, same packed operands, same order of the sums), so the result is
// bit for bit the same.

// packPanels6 packs row-major A (m x k) into panels of 6 rows: panel P
// holds k groups of 6 values (column p of rows 6P..6P+5, zero past m).
func packPanels6(A []float64, m, k int) []float64 {
	mp := (m + 5) / 6
	Ap := make([]float64, mp*6*k)
	for P := range mp {
		pa := Ap[P*6*k : (P+1)*6*k]
		for ii := range 6 {
			i := P*6 + ii
			if i >= m {
				break
			}
			for p, v := range A[i*k : (i+1)*k] {
				pa[p*6+ii] = v
			}
		}
	}
	return Ap
}

// packed returns A and B packed for the kernel.
func (p *Prepared) packed() (Ap, Bp []float64) {
	p.packOnce.Do(func() {
		nGood, nMEG, nUse := len(p.sens.good), len(p.sens.meg), p.dec.nUseIn
		p.packedA = packPanels6(p.A, nUse, nGood)
		p.packedB = packPanels6(p.B, nMEG, nUse)
	})
	return p.packedA, p.packedB
}

// noFuse turns applyFused off (tests compare both paths).
var noFuse bool

// canFuse reports whether applyFused handles a block.
func (p *Prepared) canFuse(tsss bool) bool {
	return haveFMA && !noFuse && !tsss && p.megContiguous && p.dec.nUseIn > 0 && len(p.sens.good) > 0
}

// fusedWork is the per-goroutine work space of applyFused.
type fusedWork struct {
	x, mm []float64
}

// applyFused replaces the MEG rows of data (every channel, n samples
// each) by B (A X), X the good MEG rows.
func (p *Prepared) applyFused(data []float64, n int, sc *scratch) {
	s := p.sens
	k1, m1 := len(s.good), p.dec.nUseIn // first product: m1 x k1 times k1 x n
	m2, k2 := len(s.meg), m1            // second: m2 x k2 times k2 x n
	if n == 0 {
		return
	}
	Ap, Bp := p.packed()
	m1p := (m1 + 5) / 6 * 6 // rows of a packed column group of the moments
	mp1, mp2 := m1p/6, (m2+5)/6
	rows := p.goodRows
	C := data[s.meg[0]*n:]
	nPanels := (n + panelCols - 1) / panelCols
	workers := parallelism(nPanels, 2*n*(m1*k1+m2*k2))
	for len(sc.fused) < workers {
		sc.fused = append(sc.fused, &fusedWork{})
	}
	// Panels are handed out one at a time, so that a goroutine slowed
	// down by other work (reading, writing) does not hold the block up.
	var nextPanel atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		ws := sc.fused[w]
		ws.x = grow(ws.x, k1*panelCols)
		ws.mm = grow(ws.mm, m1p*panelCols)
		wg.Add(1)
		go func() {
			defer wg.Done()
			xp, mm := ws.x, ws.mm
			var tile [48]float64
			for {
				J := int(nextPanel.Add(1) - 1)
				if J >= nPanels {
					return
				}
				j0 := J * panelCols
				wdt := min(panelCols, n-j0)
				nsub := (wdt + 7) / 8
				// Pack the panel of X: group s holds k1 rows of 8 samples.
				// Whole groups go through packRow8, which brings the next
				// row (then the first row of the next panel) into the
				// cache meanwhile.
				full := wdt / 8
				for q := range k1 {
					src := data[rows[q]*n+j0:][:wdt]
					if full > 0 {
						_ = xp[(full-1)*k1*8+q*8+7]
						pf := &src[0]
						if q+1 < k1 {
							pf = &data[rows[q+1]*n+j0]
						} else if j0+panelCols < n {
							pf = &data[rows[0]*n+j0+panelCols]
						}
						packRow8(&xp[q*8], k1*8, &src[0], full, pf)
					}
					if full < nsub { // the last, partial group: zero-padded
						dst := xp[full*k1*8+q*8:][:8]
						clear(dst[copy(dst, src[full*8:]):])
					}
				}
				// Moments of the panel, written as the packed operand of
				// the second product: group s is m1p rows of 8 samples.
				for sb := range nsub {
					bp := &xp[sb*k1*8]
					for P := range mp1 {
						kern6x8(k1, &Ap[P*6*k1], bp, &mm[sb*m1p*8+P*6*8], 8, false)
					}
				}
				// Output of the panel.
				for sb := range nsub {
					cols := min(8, wdt-sb*8)
					bp := &mm[sb*m1p*8]
					for P := range mp2 {
						r := min(6, m2-P*6)
						c0 := P*6*n + j0 + sb*8
						if r == 6 && cols == 8 {
							kern6x8(k2, &Bp[P*6*k2], bp, &C[c0], n, false)
							continue
						}
						kern6x8(k2, &Bp[P*6*k2], bp, &tile[0], 8, false)
						for ii := range r {
							copy(C[c0+ii*n:c0+ii*n+cols], tile[ii*8:ii*8+cols])
						}
					}
				}
				if sc.cals != nil {
					// Encode the panel while it is in cache.
					encodeFloat32(sc.enc, data, n, sc.cals, j0, j0+wdt)
				}
			}
		}()
	}
	wg.Wait()
}

func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// encodeFloat32 writes samples [s0, s1) of the block (every channel, n
// samples each) into enc as fif.WriteRaw encodes float32 data buffers:
// sample-major (sample s at enc[s*4*nch:]), channel ch stored as the
// big-endian float32 of value / cals[ch]: the same operations as the
// writer, so the same bytes.
//
//go:noinline
func encodeFloat32(enc []byte, data []float64, n int, cals []float64, s0, s1 int) {
	nch := len(cals)
	frame := 4 * nch
	if haveFMA && !noVecEncode && s1-s0 >= 4 && nch >= 4 {
		// Groups of 4 channels x 4 samples in vector registers; the
		// remainders below.
		nblk := (s1 - s0) / 4
		_ = enc[(s0+4*nblk)*frame-1]
		ch := 0
		for ; ch+4 <= nch; ch += 4 {
			_ = data[(ch+3)*n+s0+4*nblk-1]
			encF32x4(&enc[s0*frame+4*ch], frame, &data[ch*n+s0], n, &cals[ch], nblk)
		}
		if ch < nch {
			encodeFloat32Scalar(enc, data, n, cals, ch, s0, s0+4*nblk)
		}
		s0 += 4 * nblk
	}
	encodeFloat32Scalar(enc, data, n, cals, 0, s0, s1)
}

// noVecEncode turns the vector encoding off (tests compare both).
var noVecEncode bool

// encodeFloat32Scalar is encodeFloat32 of channels ch0.. only, one value
// at a time.
func encodeFloat32Scalar(enc []byte, data []float64, n int, cals []float64, ch0, s0, s1 int) {
	nch := len(cals)
	frame := 4 * nch
	for s := s0; s < s1; s++ {
		dst := enc[s*frame : (s+1)*frame]
		for ch := ch0; ch < nch; ch++ {
			binary.BigEndian.PutUint32(dst[4*ch:4*ch+4], math.Float32bits(float32(data[ch*n+s]/cals[ch])))
		}
	}
}

// encodeFloat32Par is encodeFloat32 of the whole block, split between the
// cores.
func encodeFloat32Par(enc []byte, data []float64, n int, cals []float64) {
	workers := parallelism(n, 16*len(cals)*n)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			encodeFloat32(enc, data, n, cals, lo, hi)
		}()
	}
	wg.Wait()
}
