//go:build !amd64 || purego

package inverse

// norm3 writes the norm of each triple (a[t], b[t], c[t]) to out[t].
func norm3(a, b, c, out []float32) { norm3Go(a, b, c, out) }
