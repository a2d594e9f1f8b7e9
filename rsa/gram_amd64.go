//go:build amd64 && !purego

package rsa

//go:noescape
func rsaCPUID(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func rsaXGETBV() (eax uint32)

// gram8x4 computes an 8×4 tile of ZᵀᵀZᵀ from the transposed patterns zt
// (k rows of stride ld): out[8·jj+ii] = Σ_l zt[l·ld+i0+ii]·zt[l·ld+j0+jj].
//
//go:noescape
func gram8x4(zt *float64, ld, k, i0, j0 int, out *[32]float64)

// haveAVX2FMA reports CPU and OS support for AVX2 and FMA. (The same
// detection and a faster 6×8 kernel live in preprocess/maxwell; both
// belong in a shared internal package.)
var haveAVX2FMA = func() bool {
	maxID, _, _, _ := rsaCPUID(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := rsaCPUID(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 || rsaXGETBV()&6 != 6 {
		return false
	}
	_, b7, _, _ := rsaCPUID(7, 0)
	return b7&(1<<5) != 0
}()
