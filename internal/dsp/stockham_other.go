//go:build !amd64 || purego

package dsp

const useAVX = false

func radix4AVX(dst, src *complex128, k, sq int, w *complex128) {
	panic("dsp: radix4AVX without AVX")
}
