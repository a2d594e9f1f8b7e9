package rsa

import "fmt"

// CrossnobisRDM returns the cross-validated Mahalanobis (crossnobis)
// condensed RDM of n conditions measured in R ≥ 2 independent runs:
// runs[r] is n×p (row-major) patterns of run r, already noise-whitened
// (multiplied by Σ^(−1/2) of the noise covariance), so that the
// Mahalanobis inner product is the plain dot product. Then
//
//	d(i,j) = 1/(R(R−1)p) Σ_{a≠b} (u_i^a − u_j^a)·(u_i^b − u_j^b),
//
// an unbiased estimate of the squared distance (it can be negative), as
// in rsatoolbox's 'crossnobis' with the noise folded into the patterns.
// It is computed from Gram matrices: the double sum is
// |δ(Σ_a u^a)|² − Σ_a |δ(u^a)|².
func CrossnobisRDM(runs [][]float64, n, p int) ([]float64, error) {
	R := len(runs)
	if R < 2 {
		return nil, fmt.Errorf("rsa: crossnobis needs at least 2 runs, got %d", R)
	}
	for r, u := range runs {
		if len(u) != n*p {
			return nil, fmt.Errorf("rsa: crossnobis run %d has %d values, want %d×%d", r, len(u), n, p)
		}
	}
	var w worker
	np := NPairs(n)
	sq := func(x []float64) []float64 { // condensed squared distances
		d := make([]float64, np)
		w.rdm(d, n, p, Euclidean, func(i int, row []float64) { copy(row, x[i*p:(i+1)*p]) })
		for k := range d {
			d[k] *= d[k]
		}
		return d
	}
	sum := make([]float64, n*p)
	for _, u := range runs {
		for i, v := range u {
			sum[i] += v
		}
	}
	out := sq(sum)
	for _, u := range runs {
		for k, v := range sq(u) {
			out[k] -= v
		}
	}
	scale := 1 / (float64(R) * float64(R-1) * float64(p))
	for k := range out {
		out[k] *= scale
	}
	return out, nil
}
