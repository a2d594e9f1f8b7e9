package fif

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/internal/bigmem"
)

// Read returns the calibrated data (SI units, projectors not applied) of
// the channels picks (indices into Info.Chs; nil means all) for samples
// [start, stop) relative to the first sample, as a len(picks) × (stop-start)
// row-major slice.
func (r *Raw) Read(picks []int, start, stop int64) ([]float64, error) {
	if picks == nil {
		picks = allPicks(r.nchan)
	}
	if stop < start {
		return nil, fmt.Errorf("fif: %s: read range [%d, %d) is reversed", r.Paths[0], start, stop)
	}
	out := bigmem.Float64s(len(picks) * int(stop-start))
	return out, r.ReadInto(out, picks, start, stop)
}

func allPicks(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// ReadInto is Read into a caller-owned slice of len(picks)*(stop-start)
// values, so that streaming readers can reuse one block buffer. Buffers are
// decoded in parallel on all cores.
func (r *Raw) ReadInto(dst []float64, picks []int, start, stop int64) error {
	if r.files == nil {
		return fmt.Errorf("fif: raw file is closed")
	}
	if picks == nil {
		picks = allPicks(r.nchan)
	}
	if start < 0 || stop > r.NTimes || start > stop {
		return fmt.Errorf("fif: %s: read range [%d, %d) outside the recording [0, %d)", r.Paths[0], start, stop, r.NTimes)
	}
	for _, p := range picks {
		if p < 0 || p >= r.nchan {
			return fmt.Errorf("fif: %s: channel index %d outside [0, %d)", r.Paths[0], p, r.nchan)
		}
	}
	ns := int(stop - start)
	if len(dst) != len(picks)*ns {
		return fmt.Errorf("fif: read buffer has %d values, need %d channels × %d samples", len(dst), len(picks), ns)
	}
	if ns == 0 {
		return nil
	}
	// Buffers overlapping [start, stop).
	first := sort.Search(len(r.buffers), func(i int) bool {
		b := r.buffers[i]
		return b.start+int64(b.n) > start
	})
	last := first
	for last < len(r.buffers) && r.buffers[last].start < stop {
		last++
	}
	todo := r.buffers[first:last]

	workers := min(runtime.GOMAXPROCS(0), len(todo))
	if workers <= 1 {
		return r.decodeBuffers(dst, picks, start, stop, todo, make([]byte, r.maxBuf))
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	per := (len(todo) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(todo))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = r.decodeBuffers(dst, picks, start, stop, todo[lo:hi], make([]byte, r.maxBuf))
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeBuffers reads and decodes the given buffers into their part of dst.
// Each buffer writes a disjoint range of columns, so workers never overlap.
func (r *Raw) decodeBuffers(dst []float64, picks []int, start, stop int64, bufs []rawBuffer, scratch []byte) error {
	ns := int(stop - start)
	for _, b := range bufs {
		lo := max(start, b.start)                  // first sample wanted from this buffer
		hi := min(stop, b.start+int64(b.n))        // one past the last
		col := int(lo - start)                     // output column of lo
		s0, s1 := int(lo-b.start), int(hi-b.start) // sample range inside the buffer
		if b.entry.Kind == 0 {                     // acquisition skip: zeros
			for i := range picks {
				clear(dst[i*ns+col : i*ns+col+(s1-s0)])
			}
			continue
		}
		payload, err := r.files[b.file].ReadPayloadInto(b.entry, scratch)
		if err != nil {
			return err
		}
		decodeSamples(dst, ns, col, payload, b.entry.Type, r.nchan, s0, s1, picks, r.cals)
	}
	return nil
}

// decodeBlock is the number of samples decoded per pass of decodeSamples.
// A block of the sample-major buffer (64 samples × 306 channels × 2-8
// bytes) stays in L1/L2 cache while it is scattered into the channel rows.
const decodeBlock = 64

// decodeSamples converts samples [s0, s1) of a sample-major big-endian
// buffer into channel-major float64 rows of dst (row stride ns, starting at
// column col), multiplying each by its channel's calibration. The value is
// float64(stored) * cal, the operation MNE performs, so results are
// bit-identical to mne.io.read_raw_fif. It works in blocks of samples,
// channel by channel inside a block: reads stay in cache and each row
// receives a run of consecutive writes (a blocked transpose).
func decodeSamples(dst []float64, ns, col int, p []byte, t tag.Type, nchan, s0, s1 int, picks []int, cals []float64) {
	size := rawElemSize(t)
	stride := size * nchan
	for b0 := s0; b0 < s1; b0 += decodeBlock {
		b1 := min(b0+decodeBlock, s1)
		for i, ch := range picks {
			o := i*ns + col + (b0 - s0)
			row := dst[o : o+(b1-b0)]
			c := cals[ch]
			off := b0*stride + size*ch
			switch t {
			case tag.Short, tag.DauPack16:
				for k := range row {
					q := p[off : off+2]
					row[k] = float64(int16(uint16(q[0])<<8|uint16(q[1]))) * c
					off += stride
				}
			case tag.Int:
				for k := range row {
					row[k] = float64(int32(be32(p[off:]))) * c
					off += stride
				}
			case tag.Float:
				for k := range row {
					row[k] = float64(math.Float32frombits(be32(p[off:]))) * c
					off += stride
				}
			case tag.Double:
				for k := range row {
					row[k] = math.Float64frombits(uint64(be32(p[off:]))<<32|uint64(be32(p[off+4:]))) * c
					off += stride
				}
			}
		}
	}
}

func be32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
