package h5

/*
#include "h5c.h"
*/
import "C"

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Direct chunk writes.
//
// libhdf5 runs its filters (shuffle, deflate) inside H5Dwrite, under the
// library's global lock, on one core, and its zlib at any level moves
// about 45 MB/s through shuffled float32 data: most of the time of writing
// parcel time courses or RDMs went there. When a slab covers whole chunks
// of a dataset whose filters megflow knows (shuffle and/or deflate), the
// chunks are shuffled and deflated here instead — on all cores, with Go's
// compress/zlib (3× faster than libz at level 1 on such data) — and
// handed to H5Dwrite_chunk, which stores them as they are. Readers see
// ordinary filtered chunks: the same filter pipeline, byte for byte the
// same decompressed values.

// directChunks can be turned off to measure libhdf5's own filters.
var directChunks = true

// chunkLayout is what a Dataset needs to build its chunks itself.
type chunkLayout struct {
	chunk   []int // chunk shape, each entry at most the dimension
	shuffle bool
	gzip    int // deflate level, -1: none
	size    int // bytes per element
}

// layoutFor returns the chunk layout of a dataset created with o, or nil
// when chunks are better left to libhdf5: no filter (nothing to gain, and
// libhdf5 writes unfiltered chunks without a copy), or a big-endian host,
// where memory order differs from the little-endian file types.
func layoutFor(o dsetOpts, dims []int, size int) *chunkLayout {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 || len(dims) == 0 || (!o.shuffle && o.gzip < 0) {
		return nil
	}
	chunks := effectiveChunks(o, dims, size)
	if chunks == nil {
		return nil
	}
	for _, d := range dims {
		if d == 0 {
			return nil
		}
	}
	return &chunkLayout{chunk: chunks, shuffle: o.shuffle, gzip: o.gzip, size: size}
}

// effectiveChunks is the chunk shape setFilters gives a dataset of shape
// dims (nil: contiguous).
func effectiveChunks(o dsetOpts, dims []int, size int) []int {
	if o.chunks == nil && o.gzip < 0 && !o.shuffle {
		return nil
	}
	chunks := o.chunks
	if chunks == nil {
		chunks = guessChunks(dims, size)
	}
	out := make([]int, len(dims))
	for i := range dims {
		out[i] = min(chunks[i], dims[i])
	}
	return out
}

// aligned reports whether the slab [start, start+count) is a union of
// whole chunks (edge chunks, which reach past the dataset's end, count as
// whole when the slab reaches the end).
func (l *chunkLayout) aligned(dims, start, count []int) bool {
	for i, c := range l.chunk {
		if start[i]%c != 0 || (count[i]%c != 0 && start[i]+count[i] != dims[i]) || count[i] == 0 {
			return false
		}
	}
	return true
}

// encodedChunk is one chunk ready for H5Dwrite_chunk.
type encodedChunk struct {
	offset []C.hsize_t
	data   []byte
}

// zlibWriters keeps compressors per level (a Reset keeps the level).
var zlibWriters [10]sync.Pool

// encodeSlab cuts the slab data (row-major, shape count, at start) into
// chunks, pads edge chunks with zeros to the full chunk shape, and runs
// the filter pipeline on each, on up to GOMAXPROCS goroutines.
func (l *chunkLayout) encodeSlab(start, count []int, src []byte) ([]encodedChunk, error) {
	nd := len(l.chunk)
	grid := make([]int, nd) // chunks along each dimension
	n := 1
	for i := range nd {
		grid[i] = (count[i] + l.chunk[i] - 1) / l.chunk[i]
		n *= grid[i]
	}
	total := l.size
	for _, c := range l.chunk {
		total *= c
	}
	out := make([]encodedChunk, n)
	errs := make([]error, n)
	var next sync.Mutex
	k := 0
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := make([]byte, total)
			shuf := make([]byte, total)
			idx := make([]int, nd)
			for {
				next.Lock()
				j := k
				k++
				next.Unlock()
				if j >= n {
					return
				}
				// Chunk j's position in the grid, last dimension fastest.
				for i, r := nd-1, j; i >= 0; i-- {
					idx[i] = r % grid[i]
					r /= grid[i]
				}
				l.gather(raw, src, count, idx)
				buf := raw
				if l.shuffle {
					shuffleBytes(shuf, raw, l.size)
					buf = shuf
				}
				enc := encodedChunk{offset: make([]C.hsize_t, nd)}
				for i := range nd {
					enc.offset[i] = C.hsize_t(start[i] + idx[i]*l.chunk[i])
				}
				if l.gzip >= 0 {
					var z bytes.Buffer
					z.Grow(total/2 + 64)
					zw, _ := zlibWriters[l.gzip].Get().(*zlib.Writer)
					if zw == nil {
						var err error
						if zw, err = zlib.NewWriterLevel(&z, l.gzip); err != nil {
							errs[j] = err
							continue
						}
					} else {
						zw.Reset(&z)
					}
					_, err := zw.Write(buf)
					if err == nil {
						err = zw.Close()
					}
					zlibWriters[l.gzip].Put(zw)
					if err != nil {
						errs[j] = fmt.Errorf("deflate chunk: %w", err)
						continue
					}
					enc.data = z.Bytes()
				} else {
					enc.data = append([]byte(nil), buf...)
				}
				out[j] = enc
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// gather copies chunk idx of the slab (shape count, row-major in src)
// into dst (the full chunk shape, row-major), zero-filling what lies past
// the slab.
func (l *chunkLayout) gather(dst, src []byte, count, idx []int) {
	nd := len(l.chunk)
	clear(dst)
	// Extent of this chunk inside the slab.
	ext := make([]int, nd)
	for i := range nd {
		ext[i] = min(l.chunk[i], count[i]-idx[i]*l.chunk[i])
	}
	rowBytes := ext[nd-1] * l.size
	pos := make([]int, nd) // position within the chunk, last dim fixed at 0
	for {
		so, do := 0, 0
		for i := range nd {
			so = so*count[i] + idx[i]*l.chunk[i] + pos[i]
			do = do*l.chunk[i] + pos[i]
		}
		copy(dst[do*l.size:do*l.size+rowBytes], src[so*l.size:so*l.size+rowBytes])
		i := nd - 2
		for ; i >= 0; i-- {
			pos[i]++
			if pos[i] < ext[i] {
				break
			}
			pos[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// shuffleBytes is HDF5's shuffle filter: byte k of every element goes to
// the k-th plane.
func shuffleBytes(dst, src []byte, size int) {
	n := len(src) / size
	for k := range size {
		plane := dst[k*n : (k+1)*n]
		for i := range plane {
			plane[i] = src[i*size+k]
		}
	}
}

// writeChunks stores encoded chunks; the caller holds the library lock.
func writeChunks(id C.hid_t, chunks []encodedChunk) error {
	for _, c := range chunks {
		if C.H5Dwrite_chunk(id, C.H5P_DEFAULT, 0, &c.offset[0], C.size_t(len(c.data)), unsafe.Pointer(&c.data[0])) < 0 {
			return hdfErr(fmt.Sprintf("cannot write chunk at %v", c.offset))
		}
	}
	return nil
}
