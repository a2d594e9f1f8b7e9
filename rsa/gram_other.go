//go:build !amd64 || purego

package rsa

const haveAVX2FMA = false

func gram8x4(zt *float64, ld, k, i0, j0 int, out *[32]float64) {
	panic("rsa: gram8x4 without AVX2/FMA")
}
