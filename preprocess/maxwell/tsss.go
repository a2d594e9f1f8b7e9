package maxwell

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// tsssProjector returns the temporal projection vectors of one tSSS
// buffer (MNE's _overlap_projector): the orthonormal time courses common
// to the internal part and to the residual of the data, with subspace
// correlation at least opt.STCorrelation, as the rows of Vt (k x n,
// row-major). The good MEG channels of the buffer are the rows of data
// (n samples each) listed in rows.
//
// MNE finds orthonormal bases of the two n-dimensional row spaces with
// SVDs and QRs of n x nGood matrices. Both spaces lie in the row space of
// the data, so with data^T = Q R (Q orthonormal n x m) everything reduces
// to the small factor R: the spaces are Q (R M^T) and Q (R P^T), with the
// same singular values (hence the same ranks) and the same principal
// angles. R comes from the Cholesky factor of the (scaled) Gram matrix,
// or from a QR factorization when the Gram matrix is too ill-conditioned.
func (p *Prepared) tsssProjector(data []float64, n int, rows []int) ([]float64, int, error) {
	nGood := len(rows)
	for _, r := range rows {
		for _, v := range data[r*n : (r+1)*n] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, fmt.Errorf("maxwell: tSSS: data contain non-finite values")
			}
		}
	}
	// Scaled cross-talk: T = C K (nil: C alone).
	var T []float64
	if p.K != nil {
		T = make([]float64, nGood*nGood)
		for i := range nGood {
			for j := range nGood {
				T[i*nGood+j] = p.cs[i] * p.K[i*nGood+j]
			}
		}
	}
	if R, ok := p.gramFactor(data, n, rows, T); ok {
		W, k := p.principal(R, nGood, n)
		if k == 0 {
			return nil, 0, nil
		}
		// Q W = X^T R^-1 W with X = T D: Vt = (T^T R^-1 W)^T D.
		z := blas64.General{Rows: nGood, Cols: k, Stride: k, Data: W}
		blas64.Trsm(blas.Left, blas.NoTrans, 1, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: nGood, Stride: nGood, Data: R}, z)
		zt := make([]float64, k*nGood) // (T^T z)^T = z^T T
		if T != nil {
			matMulT(zt, W, T, nGood, k, nGood)
		} else {
			for i := range nGood {
				for j := range k {
					zt[j*nGood+i] = p.cs[i] * W[i*k+j]
				}
			}
		}
		Vt := make([]float64, k*n)
		mulRows(Vt, n, zt, k, nGood, data, n, rows, n)
		return Vt, k, nil
	}
	// QR of X^T = (T D)^T, n x nGood.
	Xt := make([]float64, n*nGood)
	for i, r := range rows {
		for t, v := range data[r*n : (r+1)*n] {
			Xt[t*nGood+i] = v
		}
	}
	if T != nil {
		tmp := make([]float64, n*nGood)
		matMulNT(tmp, Xt, T, n, nGood, nGood)
		Xt = tmp
	} else {
		for t := range n {
			row := Xt[t*nGood : (t+1)*nGood]
			for i := range row {
				row[i] *= p.cs[i]
			}
		}
	}
	m := min(n, nGood)
	a := blas64.General{Rows: n, Cols: nGood, Stride: nGood, Data: Xt}
	tau := make([]float64, m)
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(a, tau, work, len(work))
	R := make([]float64, m*nGood)
	for i := range m {
		for j := i; j < nGood; j++ {
			R[i*nGood+j] = Xt[i*nGood+j]
		}
	}
	W, k := p.principal(R, m, n)
	if k == 0 {
		return nil, 0, nil
	}
	V := make([]float64, n*k)
	for i := range m {
		copy(V[i*k:(i+1)*k], W[i*k:(i+1)*k])
	}
	c := blas64.General{Rows: n, Cols: k, Stride: k, Data: V}
	aq := blas64.General{Rows: n, Cols: m, Stride: nGood, Data: Xt}
	work = make([]float64, 1)
	lapack64.Ormqr(blas.Left, blas.NoTrans, aq, tau, c, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Ormqr(blas.Left, blas.NoTrans, aq, tau, c, work, len(work))
	Vt := make([]float64, k*n)
	for t := range n {
		for j := range k {
			Vt[j*n+t] = V[t*k+j]
		}
	}
	return Vt, k, nil
}

// forceQR makes tSSS take the QR route (tests).
var forceQR = false

// gramFactor returns the upper Cholesky factor R (nGood x nGood) of
// X X^T with X = T D (T nil: the coil scaling), or false when the Gram
// matrix is singular or too ill-conditioned for the factor to be
// trusted.
func (p *Prepared) gramFactor(data []float64, n int, rows []int, T []float64) ([]float64, bool) {
	nGood := len(rows)
	if n < nGood || forceQR {
		return nil, false
	}
	G := gramRows(data, n, rows, nGood, n)
	if T != nil {
		tmp := make([]float64, nGood*nGood)
		matMul(tmp, T, G, nGood, nGood, nGood)
		matMulNT(G, tmp, T, nGood, nGood, nGood)
	} else {
		for i := range nGood {
			for j := range nGood {
				G[i*nGood+j] *= p.cs[i] * p.cs[j]
			}
		}
	}
	a := blas64.Symmetric{Uplo: blas.Upper, N: nGood, Stride: nGood, Data: G}
	if _, ok := lapack64.Potrf(a); !ok {
		return nil, false
	}
	dmin, dmax := math.Inf(1), 0.0
	for i := range nGood {
		d := math.Abs(G[i*nGood+i])
		dmin, dmax = math.Min(dmin, d), math.Max(dmax, d)
		for j := range i {
			G[i*nGood+j] = 0
		}
	}
	// The factor is accurate to about eps * cond(G) = eps * cond(R)^2;
	// beyond ~1e6 the QR route is used.
	if !(dmin > dmax*1e-6) {
		return nil, false
	}
	return G, true
}

// principal returns, for the factor R (m x nGood) of the buffer, the
// coefficients W (m x k, row-major) of the tSSS projection vectors in the
// orthonormal basis Q, and k.
func (p *Prepared) principal(R []float64, m, n int) ([]float64, int) {
	nGood := len(p.sens.good)
	Rm := mat.NewDense(m, nGood, R)
	ua := orthBasisFactored(Rm, p.fin, p.gin, p.rin, p.Mt, nGood, n)
	ub := orthBasisFactored(Rm, p.fres, p.gres, p.rres, p.Pt, nGood, n)
	if ua == nil || ub == nil {
		return nil, 0
	}
	var C mat.Dense
	C.Mul(ua.T(), ub)
	var svd mat.SVD
	if !svd.Factorize(&C, mat.SVDThinV) {
		return nil, 0
	}
	s := svd.Values(nil)
	var Vh mat.Dense
	svd.VTo(&Vh)
	var sel []int
	for j, v := range s {
		if v >= p.opt.STCorrelation {
			sel = append(sel, j)
		}
	}
	k := len(sel)
	if k == 0 {
		return nil, 0
	}
	Vs := mat.NewDense(Vh.RawMatrix().Rows, k, nil)
	for c, j := range sel {
		for i := range Vh.RawMatrix().Rows {
			Vs.Set(i, c, Vh.At(i, j))
		}
	}
	W := mat.NewDense(m, k, nil)
	W.Mul(ub, Vs)
	return W.RawMatrix().Data, k
}

// orthBasisFactored is orthBasis for A = F G (F nGood x r, G r x nGood):
// with R F = Q_x R_x, R A = Q_x (R_x G) has the singular values of the
// small r x nGood matrix R_x G, and its left singular vectors are Q_x
// times those of R_x G. Falls back to orthBasis when R has fewer than r
// rows.
func orthBasisFactored(R *mat.Dense, F, G []float64, r int, A []float64, nGood, n int) *mat.Dense {
	m, _ := R.Dims()
	if r == 0 {
		return nil
	}
	if m < r {
		return orthBasis(R, A, nGood, n)
	}
	var X mat.Dense
	X.Mul(R, mat.NewDense(nGood, r, F))
	var qr mat.QR
	qr.Factorize(&X)
	var Qx, Rx mat.Dense
	qr.QTo(&Qx)
	qr.RTo(&Rx)
	var Y mat.Dense
	Y.Mul(Rx.Slice(0, r, 0, r), mat.NewDense(r, nGood, G))
	var svd mat.SVD
	if !svd.Factorize(&Y, mat.SVDThinU) {
		return nil
	}
	s := svd.Values(nil)
	if len(s) == 0 || !(s[0] > 0) {
		return nil
	}
	tol := float64(max(n, nGood)) * s[0] * 0x1p-52
	k := 0
	for _, v := range s {
		if v > tol {
			k++
		}
	}
	var U mat.Dense
	svd.UTo(&U)
	var out mat.Dense
	out.Mul(Qx.Slice(0, m, 0, r), U.Slice(0, r, 0, k))
	return &out
}

// orthBasis returns the left singular vectors of R A (A nGood x nGood)
// whose singular values exceed max(n, nGood) * eps * s_max (scipy's orth
// rank rule as MNE uses it), or nil when there are none.
func orthBasis(R *mat.Dense, A []float64, nGood, n int) *mat.Dense {
	m, _ := R.Dims()
	var X mat.Dense
	X.Mul(R, mat.NewDense(nGood, nGood, A))
	var svd mat.SVD
	if !svd.Factorize(&X, mat.SVDThinU) {
		return nil
	}
	s := svd.Values(nil)
	if len(s) == 0 || !(s[0] > 0) {
		return nil
	}
	tol := float64(max(n, nGood)) * s[0] * 0x1p-52
	r := 0
	for _, v := range s {
		if v > tol {
			r++
		}
	}
	var U mat.Dense
	svd.UTo(&U)
	return mat.DenseCopyOf(U.Slice(0, m, 0, r))
}

// matMulNT computes C = A B^T for row-major A (m x k), B (n x k).
func matMulNT(C, A, B []float64, m, k, n int) {
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: m, Cols: k, Stride: k, Data: A},
		blas64.General{Rows: n, Cols: k, Stride: k, Data: B}, 0,
		blas64.General{Rows: m, Cols: n, Stride: n, Data: C})
}

// matMulT computes C = A^T B for row-major A (k x m), B (k x n).
func matMulT(C, A, B []float64, k, m, n int) {
	blas64.Gemm(blas.Trans, blas.NoTrans, 1,
		blas64.General{Rows: k, Cols: m, Stride: m, Data: A},
		blas64.General{Rows: k, Cols: n, Stride: n, Data: B}, 0,
		blas64.General{Rows: m, Cols: n, Stride: n, Data: C})
}
