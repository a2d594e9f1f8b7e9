//go:build amd64 && !purego

package maxwell

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv0() (eax, edx uint32)

// kern6x8 computes a 6 x 8 block of C = A B from packed panels: a holds
// k groups of 6 values of A (one column of the 6 rows each), b k groups of
// 8 values of B (one row of the 8 columns each); row i of the block is
// written at c[i*ldc:], added to what is there when add is set.
//
//go:noescape
func kern6x8(k int, a, b, c *float64, ldc int, add bool)

// haveFMA reports whether the CPU and OS support AVX2 and FMA.
var haveFMA = detectFMA()

func detectFMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}
