//go:build amd64 && !purego

package rsa

import "golang.org/x/sys/cpu"

// gram8x4 computes an 8×4 tile of ZᵀᵀZᵀ from the transposed patterns zt
// (k rows of stride ld): out[8·jj+ii] = Σ_l zt[l·ld+i0+ii]·zt[l·ld+j0+jj].
//
//go:noescape
func gram8x4(zt *float64, ld, k, i0, j0 int, out *[32]float64)

// haveAVX2FMA reports CPU and OS support for AVX2 and FMA. (A faster 6×8
// kernel lives in preprocess/maxwell; both belong in a shared internal
// GEMM package.)
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
