package maxwell

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// sphereActivationIn returns, per degree, the power of the internal moments
// produced by random currents in a sphere of radius 8 cm (MNE's
// _compute_sphere_activation_in, after Knuutila et al. 1993).
func sphereActivationIn(intOrder int) []float64 {
	const rIn = 0.080
	const rhoI = 5.91107375632e-07
	out := make([]float64, intOrder+1)
	for d := range out {
		fd := float64(d)
		out[d] = rhoI * rhoI * (fd * math.Pow(rIn, 2*fd+4) / ((2*fd + 1) * (2*fd + 1) * (fd + 1)))
	}
	return out
}

// degreesOrders returns the degree and order of each internal moment.
func degreesOrders(order int) (deg, ord []int) {
	n := nMoments(order)
	deg, ord = make([]int, n), make([]int, n)
	for l := 1; l <= order; l++ {
		for m := -l; m <= l; m++ {
			i := momentIndex(l, m)
			deg[i], ord[i] = l, m
		}
	}
	return deg, ord
}

// regularizeOut lists the external moments always dropped: the three
// homogeneous-field components when no channel is a magnetometer (and no
// fine calibration gives magnetometer-like terms).
func regularizeOut(intOrder, extOrder int, magOrFine bool) []int {
	nIn := nMoments(intOrder)
	if extOrder > 0 && !magOrFine {
		return []int{nIn, nIn + 1, nIn + 2}
	}
	return nil
}

// invGramDiag returns the first nd diagonal entries of (R^T R)^-1 for the
// upper-triangular matrix R held in the leading k x k block of a square
// work array (row stride ldOf(R)), using inv (same size) as work space;
// false when R is singular.
func invGramDiag(R, inv []float64, k, nd int) ([]float64, bool) {
	ld := ldOf(R)
	// X = R^-1 (upper triangular), column by column.
	for j := k - 1; j >= 0; j-- {
		d := R[j*ld+j]
		if d == 0 || math.IsNaN(d) {
			return nil, false
		}
		inv[j*ld+j] = 1 / d
		for i := j - 1; i >= 0; i-- {
			s := 0.0
			for l := i + 1; l <= j; l++ {
				s += R[i*ld+l] * inv[l*ld+j]
			}
			inv[i*ld+j] = -s / R[i*ld+i]
		}
	}
	out := make([]float64, nd)
	for i := range nd {
		s := 0.0
		for j := i; j < k; j++ {
			v := inv[i*ld+j]
			s += v * v
		}
		out[i] = s
	}
	return out, true
}

// ldOf returns the row stride of the square work matrices (their initial
// size: len is a perfect square).
func ldOf(R []float64) int { return int(math.Round(math.Sqrt(float64(len(R))))) }

// deleteColumn removes column c from the upper-triangular k x k factor R
// (row stride ldOf(R)) and restores the triangle with Givens rotations:
// the R factor of the matrix without that column, in the leading
// (k-1) x (k-1) block.
func deleteColumn(R []float64, k, c int) {
	ld := ldOf(R)
	for i := range k {
		copy(R[i*ld+c:i*ld+k-1], R[i*ld+c+1:i*ld+k])
		R[i*ld+k-1] = 0
	}
	for j := c; j < k-1; j++ {
		a, b := R[j*ld+j], R[(j+1)*ld+j]
		if b == 0 {
			continue
		}
		r := math.Hypot(a, b)
		cs, sn := a/r, b/r
		for l := j; l < k-1; l++ {
			x, y := R[j*ld+l], R[(j+1)*ld+l]
			R[j*ld+l] = cs*x + sn*y
			R[(j+1)*ld+l] = -sn*x + cs*y
		}
		R[(j+1)*ld+j] = 0
	}
}

// regularizeIn is MaxFilter's 'in' regularization as MNE implements it
// (_regularize_in): internal moments are removed one at a time, always the
// one with the lowest estimated SNR for random currents in the head against
// white sensor noise, and the removal stops at the set that carries at
// least 98 % of the largest total information. S is the good-channel basis
// (rows: channels, magnetometers scaled) with all columns, row-major
// nRow x nCol. It returns the internal moments removed and the external
// moments removed.
func regularizeIn(S []float64, nRow, nCol, intOrder, extOrder int, magOrFine bool) (inRemove, outRemove []int) {
	nIn := nMoments(intOrder)
	act := sphereActivationIn(intOrder)
	deg, ord := degreesOrders(intOrder)
	outRemove = regularizeOut(intOrder, extOrder, magOrFine)
	var outKeep []int
	for j := nIn; j < nCol; j++ {
		if !slices.Contains(outRemove, j) {
			outKeep = append(outKeep, j)
		}
	}
	inKeep := make([]int, nIn)
	for i := range inKeep {
		inKeep[i] = i
	}
	// Normalize the columns (in the order internal keepers, external
	// keepers) and factor A = Q R. The estimated noise of each internal
	// moment is the diagonal of (A^T A)^-1 = R^-1 R^-T (what MNE obtains
	// from an SVD); removing a column is a QR downdate of R.
	cols := append(slices.Clone(inKeep), outKeep...)
	k := len(cols)
	norms := make([]float64, k)
	A := mat.NewDense(nRow, k, nil)
	for c, j := range cols {
		s := 0.0
		for i := range nRow {
			v := S[i*nCol+j]
			s += v * v
		}
		norms[c] = math.Sqrt(s)
		for i := range nRow {
			A.Set(i, c, S[i*nCol+j]/norms[c])
		}
	}
	var qr mat.QR
	qr.Factorize(A)
	var Rd mat.Dense
	qr.RTo(&Rd)
	R := make([]float64, k*k) // upper triangular, row stride k
	for i := range k {
		for j := i; j < k; j++ {
			R[i*k+j] = Rd.At(i, j)
		}
	}
	inv := make([]float64, k*k)

	const noise = 5e-13 * 5e-13
	iTot := make([]float64, nIn)
	var removeOrder []int
	for ii := range nIn {
		diag, ok := invGramDiag(R, inv, k, len(inKeep))
		if !ok {
			break
		}
		snrMin, argMin := math.Inf(1), -1
		info := 0.0
		for a, m := range inKeep {
			eta := diag[a] / (norms[a] * norms[a])
			eta *= noise
			if ord[m] == 0 {
				eta *= 2
			}
			eta *= 0.0025
			snr := act[deg[m]] / eta
			info += math.Log2(snr + 1)
			if snr < snrMin {
				snrMin, argMin = snr, a
			}
		}
		if argMin < 0 {
			break // no finite SNR
		}
		iTot[ii] = 0.5 * info
		removeOrder = append(removeOrder, inKeep[argMin])
		inKeep = slices.Delete(inKeep, argMin, argMin+1)
		norms = slices.Delete(norms, argMin, argMin+1)
		deleteColumn(R, k, argMin)
		k--
		if ii > 10 {
			peak := slices.Max(iTot)
			if iTot[ii-1] < 0.95*peak && iTot[ii] < 0.95*peak {
				break
			}
		}
	}
	peak := slices.Max(iTot)
	lim := 0
	for i, v := range iTot {
		if v >= 0.98*peak {
			lim = i
			break
		}
	}
	return removeOrder[:lim], outRemove
}
