package rsa

// gramCondensedScratch writes out[PairIndex(i,j,n)] = a·(z_i·z_j) + b for
// every i<j, where z is n×k row-major. It is the blocked Gram-matrix
// product behind every RDM: with AVX2+FMA, 8×4 tiles of the upper triangle
// on an assembly kernel over the transposed patterns (each tile
// accumulates over the whole pattern length k in registers); elsewhere
// 4×4 register tiles in Go. zt is a reusable scratch buffer, returned
// (grown when needed).
func gramCondensedScratch(out, z []float64, n, k int, a, b float64, zt []float64) []float64 {
	if haveAVX2FMA && n >= 8 && k > 0 {
		return gramCondensedAVX(out, z, n, k, a, b, zt)
	}
	gramCondensedGo(out, z, n, k, a, b)
	return zt
}

// gramCondensedAVX runs gramCondensedScratch on the AVX2 8×4 kernel over the
// transposed patterns (k × n, packed here; zt is scratch of any size).
func gramCondensedAVX(out, z []float64, n, k int, a, b float64, zt []float64) []float64 {
	if cap(zt) < n*k {
		zt = make([]float64, n*k)
	}
	zt = zt[:n*k]
	for i := 0; i < n; i++ {
		for l, v := range z[i*k : (i+1)*k] {
			zt[l*n+i] = v
		}
	}
	var t [32]float64
	n8, n4 := n&^7, n&^3
	for i0 := 0; i0 < n8; i0 += 8 {
		for j0 := i0; j0 < n4; j0 += 4 {
			gram8x4(&zt[0], n, k, i0, j0, &t)
			if j0 >= i0+8 { // tile strictly above the diagonal
				for di := 0; di < 8; di++ {
					i := i0 + di
					o := out[n*i-i*(i+1)/2+j0-i-1:]
					o = o[:4]
					o[0] = a*t[di] + b
					o[1] = a*t[8+di] + b
					o[2] = a*t[16+di] + b
					o[3] = a*t[24+di] + b
				}
				continue
			}
			for dj := 0; dj < 4; dj++ {
				j := j0 + dj
				for di := 0; di < 8; di++ {
					if i := i0 + di; j > i {
						out[n*i-i*(i+1)/2+j-i-1] = a*t[dj*8+di] + b
					}
				}
			}
		}
		for i := i0; i < i0+8; i++ {
			zi := z[i*k : (i+1)*k]
			for j := max(n4, i+1); j < n; j++ {
				out[n*i-i*(i+1)/2+j-i-1] = a*dot(zi, z[j*k:(j+1)*k]) + b
			}
		}
	}
	for i := n8; i < n; i++ {
		zi := z[i*k : (i+1)*k]
		for j := i + 1; j < n; j++ {
			out[n*i-i*(i+1)/2+j-i-1] = a*dot(zi, z[j*k:(j+1)*k]) + b
		}
	}
	return zt
}

// gramCondensedGo is the portable kernel: 4×4 register tiles.
func gramCondensedGo(out, z []float64, n, k int, a, b float64) {
	var t [16]float64
	n4 := n &^ 3
	for i0 := 0; i0 < n4; i0 += 4 {
		for j0 := i0; j0 < n4; j0 += 4 {
			dot4x4(&t, z, k, i0, j0)
			for di := 0; di < 4; di++ {
				i := i0 + di
				base := n*i - i*(i+1)/2 - i - 1
				for dj := 0; dj < 4; dj++ {
					if j := j0 + dj; j > i {
						out[base+j] = a*t[di*4+dj] + b
					}
				}
			}
		}
		// columns beyond the last full tile
		for j := n4; j < n; j++ {
			zj := z[j*k : (j+1)*k]
			for i := i0; i < i0+4; i++ {
				out[n*i-i*(i+1)/2+j-i-1] = a*dot(z[i*k:(i+1)*k], zj) + b
			}
		}
	}
	for i := n4; i < n; i++ {
		zi := z[i*k : (i+1)*k]
		for j := i + 1; j < n; j++ {
			out[n*i-i*(i+1)/2+j-i-1] = a*dot(zi, z[j*k:(j+1)*k]) + b
		}
	}
}

func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot4x4 sets t[4a+b] = z_{i0+a}·z_{j0+b} for a, b < 4.
func dot4x4(t *[16]float64, z []float64, k, i0, j0 int) {
	a0 := z[i0*k : i0*k+k]
	a1 := z[(i0+1)*k : (i0+1)*k+k]
	a2 := z[(i0+2)*k : (i0+2)*k+k]
	a3 := z[(i0+3)*k : (i0+3)*k+k]
	b0 := z[j0*k : j0*k+k]
	b1 := z[(j0+1)*k : (j0+1)*k+k]
	b2 := z[(j0+2)*k : (j0+2)*k+k]
	b3 := z[(j0+3)*k : (j0+3)*k+k]
	a1, a2, a3 = a1[:len(a0)], a2[:len(a0)], a3[:len(a0)]
	b0, b1, b2, b3 = b0[:len(a0)], b1[:len(a0)], b2[:len(a0)], b3[:len(a0)]
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	var c20, c21, c22, c23, c30, c31, c32, c33 float64
	for l := range a0 {
		x0, x1, x2, x3 := a0[l], a1[l], a2[l], a3[l]
		y0, y1, y2, y3 := b0[l], b1[l], b2[l], b3[l]
		c00 += x0 * y0
		c01 += x0 * y1
		c02 += x0 * y2
		c03 += x0 * y3
		c10 += x1 * y0
		c11 += x1 * y1
		c12 += x1 * y2
		c13 += x1 * y3
		c20 += x2 * y0
		c21 += x2 * y1
		c22 += x2 * y2
		c23 += x2 * y3
		c30 += x3 * y0
		c31 += x3 * y1
		c32 += x3 * y2
		c33 += x3 * y3
	}
	*t = [16]float64{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
}
