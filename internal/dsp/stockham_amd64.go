//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

// useAVX selects the AVX radix-4 butterflies (stockham_amd64.s). They
// perform the same IEEE operations in the same order as the Go loop
// (products rounded, then added: no fused multiply-add), so results are
// bit-identical; they only do two complex values per instruction.
var useAVX = cpu.X86.HasAVX

// radix4AVX runs the radix-4 butterflies of one Stockham group: inputs
// src + j·sq, outputs dst + j·k (j = 0..3, in complex128 elements), k
// butterflies (k even), twiddles w[0..2].
//
//go:noescape
func radix4AVX(dst, src *complex128, k, sq int, w *complex128)
