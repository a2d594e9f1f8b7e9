//go:build amd64 && !purego

package inverse

import "golang.org/x/sys/cpu"

// norm3AVX computes out[t] = sqrt(a[t]² + b[t]² + c[t]²) for t < n, n a
// multiple of 8, with the float32 operations in the order of norm3's
// scalar loop (so the results are identical: the square root of a float32
// is the same correctly rounded either way).
//
//go:noescape
func norm3AVX(a, b, c, out *float32, n int)

var haveAVX = cpu.X86.HasAVX

// norm3 writes the norm of each triple (a[t], b[t], c[t]) to out[t].
func norm3(a, b, c, out []float32) {
	n := len(out)
	a, b, c = a[:n], b[:n], c[:n]
	m := 0
	if haveAVX {
		m = n &^ 7
		if m > 0 {
			norm3AVX(&a[0], &b[0], &c[0], &out[0], m)
		}
	}
	norm3Go(a[m:], b[m:], c[m:], out[m:])
}
