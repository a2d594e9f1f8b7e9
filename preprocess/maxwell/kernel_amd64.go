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

// haveFMA reports whether the CPU and OS support AVX2 and FMA.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
