//go:build amd64 && !purego

package maxwell

import "golang.org/x/sys/cpu"

// kern6x8 computes a 6 x 8 block of C = A B from packed panels: a holds
// k groups of 6 values of A (one column of the 6 rows each), b k groups of
// 8 values of B (one row of the 8 columns each); row i of the block is
// written at c[i*ldc:], added to what is there when add is set.
//
//go:noescape
func kern6x8(k int, a, b, c *float64, ldc int, add bool)

// encF32x4 encodes 4 channels x 4*nblk samples as float32 data buffers
// (see encodeFloat32): channel i of sample s (row i of src at src+i*ld)
// is stored as the big-endian float32 of the value / cals[i] at
// dst + s*frame + 4i.
//
//go:noescape
func encF32x4(dst *byte, frame int, src *float64, ld int, cals *float64, nblk int)

// packRow8 copies 8*nsub values of src in groups of 8 to dst + s*stride
// (s < nsub), prefetching as many bytes from pf.
//
//go:noescape
func packRow8(dst *float64, stride int, src *float64, nsub int, pf *float64)

// haveFMA reports whether the CPU and OS support AVX2 and FMA.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
