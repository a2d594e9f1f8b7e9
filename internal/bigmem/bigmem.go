// Package bigmem allocates large numeric arrays (whole recordings, source
// estimates) so that their first touch is cheap: on Linux it asks the
// kernel for transparent huge pages on the array, which turns hundreds of
// thousands of 4 KiB page faults into a few hundred 2 MiB ones. Reading a
// 1.5 GB recording spent more time faulting pages in than decoding them.
package bigmem

import "unsafe"

// threshold is the size above which huge pages are requested.
const threshold = 8 << 20

// Float64s returns a zeroed slice of n float64 values.
func Float64s(n int) []float64 {
	s := make([]float64, n)
	if n*8 >= threshold {
		adviseHuge(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n*8))
	}
	return s
}
