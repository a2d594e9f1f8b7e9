//go:build !amd64 || purego

package maxwell

var haveFMA = false

func kern6x8(k int, a, b, c *float64, ldc int, add bool) {
	panic("maxwell: kern6x8 without AVX2/FMA")
}
