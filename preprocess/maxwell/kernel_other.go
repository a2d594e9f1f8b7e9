//go:build !amd64 || purego

package maxwell

var haveFMA = false

func kern6x8(k int, a, b, c *float64, ldc int, add bool) {
	panic("maxwell: kern6x8 without AVX2/FMA")
}

func encF32x4(dst *byte, frame int, src *float64, ld int, cals *float64, nblk int) {
	panic("maxwell: encF32x4 without AVX2")
}

func packRow8(dst *float64, stride int, src *float64, nsub int, pf *float64) {
	panic("maxwell: packRow8 without AVX2")
}
