package inverse

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

// Forward is the forward solution an inverse operator is made from, as
// plain data so that any forward model (package forward, an MNE file, a
// test fixture) can provide it.
type Forward struct {
	// Names are the channels of the gain rows.
	Names []string
	// Gain is len(Names) x 3·NSource, row-major: free-orientation gain
	// with the three columns of each source along the x, y, z axes of
	// CoordFrame (MNE's fwd['sol']['data'] before surface orientation).
	Gain    []float64
	NSource int
	// SourceRR are the source positions (m), NSource x 3.
	SourceRR []float64
	// SourceNN are the surface normals of the sources (NSource x 3), used
	// for loose and fixed orientations.
	SourceNN []float64
	// Vertices are the vertex numbers of the sources per hemisphere (lh,
	// rh), in source order.
	Vertices [][]int
	// CoordFrame is the FIFF coordinate frame of SourceRR, SourceNN and
	// the gain orientations (fif head frame for MNE's solutions).
	CoordFrame int32
	// MRIHeadT is the MRI -> head transform (optional, stored in -inv.fif).
	MRIHeadT *fif.Transform
	// Src are the full source spaces (optional; needed to write -inv.fif).
	Src []*fif.SourceSpace
}

// Options are the parameters of MakeOperator (MNE's make_inverse_operator).
type Options struct {
	// Loose is the weight of the two tangential orientations (0: fixed,
	// 1: free); nil means MNE's 'auto' = 0.2 for surface source spaces.
	Loose *float64
	// Fixed makes a fixed-orientation operator (loose = 0).
	Fixed bool
	// Depth is the depth-weighting exponent; nil means 0.8, 0 disables
	// depth weighting.
	Depth *float64
	// DepthLimit is the limit of the depth weights (nil: MNE's 10).
	DepthLimit *float64
	// Rank of the noise covariance (default: estimated, MNE's rank=None).
	Rank Rank
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
}

// Orientation frames of an operator's sources.
const (
	OriFixed = 1 // one component per source along the normal
	OriFree  = 2 // three components per source (FIFFV_MNE_FREE_ORI)
)

// Operator is an inverse operator (MNE's InverseOperator): the SVD of the
// whitened, weighted gain W G R^½ = U S Vᵀ and what is needed to apply it.
type Operator struct {
	// Info describes the channels of the operator (picked from the data
	// info, without bads), in the order of the kernel columns.
	Info  *fif.Info
	Names []string
	// SourceOri is OriFree or OriFixed; NComp the components per source
	// (3 or 1).
	SourceOri int
	NComp     int
	NSource   int
	// SourceNN is the orientation of every component (NComp·NSource x 3).
	SourceNN []float64
	SourceRR []float64
	Vertices [][]int
	// SurfNN are the surface normals (NSource x 3).
	SurfNN     []float64
	CoordFrame int32
	MRIHeadT   *fif.Transform
	Src        []*fif.SourceSpace
	// Sing are the singular values S (descending, len(Names) of them);
	// EigenFields is Uᵀ (len(Sing) x len(Names)) and EigenLeads V
	// (NComp·NSource x len(Sing)), row-major.
	Sing        []float64
	EigenFields []float64
	EigenLeads  []float64
	// SourceCov is the diagonal source covariance R (one value per
	// component, scaled to trace(W G R Gᵀ Wᵀ) = rank); DepthPrior and
	// OrientPrior are its factors (nil when not used).
	SourceCov   []float64
	DepthPrior  []float64
	OrientPrior []float64
	// Noise is the prepared noise covariance and its whitener.
	Noise *Whitener
	// NoiseCov is the noise covariance record (channels Names) as stored
	// in -inv.fif.
	NoiseCov fif.Cov
	// Projs are the projectors of the data info.
	Projs []fif.Projector
	// NAve is the number of averages the noise covariance corresponds to.
	NAve float64
	// Loose and Depth are the parameters used (Depth 0: none).
	Loose, Depth float64
	// TraceGRGT is ‖W G R^½‖² before the source covariance was scaled.
	TraceGRGT float64
}

// SelectChannels returns MNE's channel selection for an inverse operator:
// the channels of info, in its order, that are not bad (in info or in the
// covariance) and are in the forward and in the covariance. It fails when
// a good channel of info of a type present in the forward is missing from
// the forward or the covariance.
func SelectChannels(info *fif.Info, fwdNames []string, cov *fif.Cov) ([]string, error) {
	inFwd := map[string]bool{}
	for _, n := range fwdNames {
		inFwd[n] = true
	}
	inCov := map[string]bool{}
	for _, n := range cov.Names {
		inCov[n] = true
	}
	fwdTypes := map[string]bool{}
	for _, n := range fwdNames {
		if k := info.ChIndex(n); k >= 0 {
			fwdTypes[fif.ChannelType(info.Chs[k])] = true
		}
	}
	var names, missFwd, missCov []string
	for _, c := range info.Chs {
		t := fif.ChannelType(c)
		if info.IsBad(c.Name) || slices.Contains(cov.Bads, c.Name) || !slices.Contains(dataTypes, t) {
			continue
		}
		switch {
		case !inFwd[c.Name]:
			if fwdTypes[t] {
				missFwd = append(missFwd, c.Name)
			}
		case !inCov[c.Name]:
			missCov = append(missCov, c.Name)
		default:
			names = append(names, c.Name)
		}
	}
	if len(missFwd) > 0 {
		return nil, fmt.Errorf("channel sets do not agree: %d good data channel(s) missing from the forward solution (%s); mark them bad or recompute the forward", len(missFwd), short(missFwd))
	}
	if len(missCov) > 0 {
		return nil, fmt.Errorf("channel sets do not agree: %d good data channel(s) missing from the noise covariance (%s); mark them bad or recompute the covariance", len(missCov), short(missCov))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("channel sets do not agree: no good channel is in the data info, the forward solution and the noise covariance")
	}
	return names, nil
}

func short(s []string) string {
	if len(s) > 6 {
		return fmt.Sprintf("%v ...", s[:6])
	}
	return fmt.Sprint(s)
}

// MakeOperator is MNE's make_inverse_operator(info, forward, noise_cov,
// loose, depth, fixed, rank): channel selection, whitening, depth and
// orientation priors, source covariance scaling and the SVD of the
// whitened, weighted gain.
func MakeOperator(info *fif.Info, fwd *Forward, cov *fif.Cov, opt Options) (*Operator, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	loose := 0.2
	if opt.Loose != nil {
		loose = *opt.Loose
	}
	if opt.Fixed {
		if opt.Loose != nil && loose != 0 {
			return nil, fmt.Errorf("fixed orientation requires loose = 0, got %g", loose)
		}
		loose = 0
	}
	if !(loose >= 0 && loose <= 1) {
		return nil, fmt.Errorf("loose must be in [0, 1], got %g", loose)
	}
	depth := 0.8
	if opt.Depth != nil {
		depth = *opt.Depth
	}
	if !(depth >= 0) || math.IsInf(depth, 0) {
		return nil, fmt.Errorf("depth exponent must be >= 0, got %g", depth)
	}
	limit := 10.0
	if opt.DepthLimit != nil {
		limit = *opt.DepthLimit
	}
	ns := fwd.NSource
	if ns <= 0 || len(fwd.Gain) != len(fwd.Names)*3*ns {
		return nil, fmt.Errorf("forward: gain has %d values, want %d channels x 3·%d sources", len(fwd.Gain), len(fwd.Names), ns)
	}
	if loose < 1 && len(fwd.SourceNN) != 3*ns {
		return nil, fmt.Errorf("forward: loose/fixed orientation needs the %d source normals", ns)
	}
	names, err := SelectChannels(info, fwd.Names, cov)
	if err != nil {
		return nil, err
	}
	n := len(names)
	log.Info(fmt.Sprintf("Selected %d channels", n))
	fpos := map[string]int{}
	for i, nm := range fwd.Names {
		fpos[nm] = i
	}
	ncol := 3 * ns
	g := make([]float64, n*ncol)
	for i, nm := range names {
		r := fpos[nm]
		copy(g[i*ncol:(i+1)*ncol], fwd.Gain[r*ncol:(r+1)*ncol])
	}
	picks := make([]int, n)
	for i, nm := range names {
		picks[i] = info.ChIndex(nm)
	}
	pinfo := info.Pick(picks)
	pinfo.Bads = nil

	op := &Operator{Info: pinfo, Names: names, NSource: ns, SourceRR: slices.Clone(fwd.SourceRR),
		Vertices: fwd.Vertices, SurfNN: slices.Clone(fwd.SourceNN), CoordFrame: fwd.CoordFrame,
		MRIHeadT: fwd.MRIHeadT, Src: fwd.Src, Projs: slices.Clone(info.Projs), NAve: 1, Loose: loose, Depth: depth}

	var depthPrior []float64
	if depth > 0 {
		depthPrior = depthWeights(g, n, ns, pinfo, depth, limit)
	}
	// Orientation frame.
	frame := make([]float64, 9*ns) // rows ex, ey, ez per source
	for k := range ns {
		if loose == 1 {
			frame[9*k], frame[9*k+4], frame[9*k+8] = 1, 1, 1
		} else {
			normalFrame(fwd.SourceNN[3*k:3*k+3], frame[9*k:9*k+9])
		}
	}
	if loose == 0 {
		op.SourceOri, op.NComp = OriFixed, 1
		op.SourceNN = make([]float64, 3*ns)
		gf := make([]float64, n*ns)
		for k := range ns {
			copy(op.SourceNN[3*k:], frame[9*k+6:9*k+9])
			z := frame[9*k+6 : 9*k+9]
			for i := range n {
				row := g[i*ncol+3*k:]
				gf[i*ns+k] = row[0]*z[0] + row[1]*z[1] + row[2]*z[2]
			}
		}
		g, ncol = gf, ns
		if depthPrior != nil {
			d := make([]float64, ns)
			for k := range d {
				d[k] = depthPrior[3*k+2]
			}
			depthPrior = d
		}
	} else {
		op.SourceOri, op.NComp = OriFree, 3
		op.SourceNN = frame
		var tmp [3]float64
		for i := range n {
			for k := range ns {
				row := g[i*ncol+3*k : i*ncol+3*k+3]
				f := frame[9*k : 9*k+9]
				for j := range 3 {
					tmp[j] = f[3*j]*row[0] + f[3*j+1]*row[1] + f[3*j+2]*row[2]
				}
				copy(row, tmp[:])
			}
		}
		// Free operators (loose 1) get a prior of ones, as MNE writes it:
		// MNE 1.3 cannot apply pick_ori normal to a file without one.
		op.OrientPrior = make([]float64, ncol)
		for k := range ns {
			op.OrientPrior[3*k], op.OrientPrior[3*k+1], op.OrientPrior[3*k+2] = loose, loose, 1
		}
	}
	op.DepthPrior = depthPrior

	wh, err := PrepareWhitener(info, cov, names, opt.Rank)
	if err != nil {
		return nil, err
	}
	op.Noise = wh
	op.NoiseCov = fif.Cov{Kind: cov.Kind, Names: slices.Clone(names), Data: slices.Clone(wh.Data),
		NFree: cov.NFree, Bads: slices.Clone(cov.Bads), Projs: slices.Clone(cov.Projs), Method: cov.Method,
		Loglik: cov.Loglik, HasLoglik: cov.HasLoglik}
	log.Info(fmt.Sprintf("Whitener rank %d %v", wh.Rank, wh.RankByGroup))

	// Whitened gain W·G (n x ncol), then column weights R^½.
	wg := make([]float64, n*ncol)
	gemm(blas.NoTrans, blas.NoTrans, n, ncol, n, 1, wh.W, n, g, ncol, 0, wg, ncol)
	g = nil
	std := make([]float64, ncol)
	for j := range std {
		v := 1.0
		if depthPrior != nil {
			v *= depthPrior[j]
		}
		if op.OrientPrior != nil {
			v *= op.OrientPrior[j]
		}
		std[j] = math.Sqrt(v)
	}
	trace := 0.0
	for i := range n {
		row := wg[i*ncol : (i+1)*ncol]
		for j := range row {
			row[j] *= std[j]
			trace += row[j] * row[j]
		}
	}
	op.TraceGRGT = trace
	scale := math.Sqrt(float64(wh.Rank) / trace)
	for j := range std {
		std[j] *= scale
	}
	for i := range wg {
		wg[i] *= scale
	}
	op.SourceCov = make([]float64, ncol)
	for j, s := range std {
		op.SourceCov[j] = s * s
	}
	if err := op.svd(wg, n, ncol); err != nil {
		return nil, err
	}
	log.Info(fmt.Sprintf("largest singular value = %g, trace scaling %g", op.Sing[0], trace))
	return op, nil
}

// depthWeights is MNE's compute_depth_prior with limit_depth_chs=True and
// combine_xyz='spectral': the largest eigenvalue of each source's 3 x 3
// Gram matrix over the gradiometers (else magnetometers, else EEG), w =
// 1/d limited at limit² times the smallest, to the power exp, repeated
// for the three components.
func depthWeights(g []float64, n, ns int, info *fif.Info, exp, limit float64) []float64 {
	var rows []int
	for _, t := range []string{"grad", "mag", "eeg"} {
		for i, c := range info.Chs {
			if fif.ChannelType(c) == t {
				rows = append(rows, i)
			}
		}
		if len(rows) > 0 {
			break
		}
	}
	if len(rows) == 0 {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	ncol := 3 * ns
	d := make([]float64, ns)
	for k := range ns {
		var a [6]float64
		for _, i := range rows {
			x := g[i*ncol+3*k : i*ncol+3*k+3]
			a[0] += x[0] * x[0]
			a[1] += x[0] * x[1]
			a[2] += x[0] * x[2]
			a[3] += x[1] * x[1]
			a[4] += x[1] * x[2]
			a[5] += x[2] * x[2]
		}
		d[k] = maxEig3(a)
	}
	w := make([]float64, ns)
	for k := range d {
		w[k] = 1 / d[k]
	}
	if limit > 0 {
		ws := slices.Clone(w)
		sort.Float64s(ws)
		lim := ws[len(ws)-1]
		if ws[len(ws)-1] > limit*limit*ws[0] {
			for _, v := range ws {
				if v > limit*limit*ws[0] {
					lim = v
					break
				}
			}
		}
		for k := range w {
			w[k] = min(w[k]/lim, 1)
		}
	}
	out := make([]float64, 3*ns)
	for k, v := range w {
		p := math.Pow(v, exp)
		out[3*k], out[3*k+1], out[3*k+2] = p, p, p
	}
	return out
}

// maxEig3 is the largest eigenvalue of the symmetric 3 x 3 matrix with
// upper triangle a (xx, xy, xz, yy, yz, zz).
func maxEig3(a [6]float64) float64 {
	s := mat.NewSymDense(3, []float64{a[0], a[1], a[2], a[1], a[3], a[4], a[2], a[4], a[5]})
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		return a[0] + a[3] + a[5]
	}
	v := es.Values(nil)
	return slices.Max(v)
}

// normalFrame writes an orthonormal frame (rows ex, ey, ez) with ez along
// the normal nn. Within the tangent plane the choice is arbitrary; the
// loose prior is isotropic there, so estimates do not depend on it.
func normalFrame(nn []float64, f []float64) {
	z := [3]float64{nn[0], nn[1], nn[2]}
	nz := math.Sqrt(z[0]*z[0] + z[1]*z[1] + z[2]*z[2])
	for i := range z {
		z[i] /= nz
	}
	// Start from the axis least aligned with the normal.
	a := [3]float64{}
	ax := 0
	for i := 1; i < 3; i++ {
		if math.Abs(z[i]) < math.Abs(z[ax]) {
			ax = i
		}
	}
	a[ax] = 1
	d := a[0]*z[0] + a[1]*z[1] + a[2]*z[2]
	x := [3]float64{a[0] - d*z[0], a[1] - d*z[1], a[2] - d*z[2]}
	nx := math.Sqrt(x[0]*x[0] + x[1]*x[1] + x[2]*x[2])
	for i := range x {
		x[i] /= nx
	}
	y := [3]float64{z[1]*x[2] - z[2]*x[1], z[2]*x[0] - z[0]*x[2], z[0]*x[1] - z[1]*x[0]}
	copy(f[0:3], x[:])
	copy(f[3:6], y[:])
	copy(f[6:9], z[:])
}

// svd computes the thin SVD of the whitened, weighted gain a (n x ncol,
// n <= ncol) from the eigendecomposition of a·aᵀ: U and S², then
// V = aᵀ U S⁻¹.
func (op *Operator) svd(a []float64, n, ncol int) error {
	if n > ncol {
		return fmt.Errorf("inverse: more channels (%d) than source components (%d)", n, ncol)
	}
	gram := make([]float64, n*n)
	blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: n, Cols: ncol, Stride: ncol, Data: a},
		0, blas64.Symmetric{N: n, Stride: n, Uplo: blas.Upper, Data: gram})
	sym := mat.NewSymDense(n, gram)
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return fmt.Errorf("inverse: eigendecomposition of the whitened gain did not converge")
	}
	val := es.Values(nil)
	var vec mat.Dense
	es.VectorsTo(&vec)
	order := make([]int, n)
	for i := range order {
		order[i] = n - 1 - i
	}
	sort.SliceStable(order, func(x, y int) bool { return val[order[x]] > val[order[y]] })
	op.Sing = make([]float64, n)
	op.EigenFields = make([]float64, n*n)
	u := make([]float64, n*n) // U, n x n: column k = eigenvector order[k]
	for k, j := range order {
		op.Sing[k] = math.Sqrt(max(val[j], 0))
		for i := range n {
			v := vec.At(i, j)
			u[i*n+k] = v
			op.EigenFields[k*n+i] = v
		}
	}
	// V = aᵀ U, then columns divided by S.
	op.EigenLeads = make([]float64, ncol*n)
	gemm(blas.Trans, blas.NoTrans, ncol, n, n, 1, a, ncol, u, n, 0, op.EigenLeads, n)
	tol := op.Sing[0] * float64(n) * 0x1p-52
	inv := make([]float64, n)
	for k, s := range op.Sing {
		if s > tol {
			inv[k] = 1 / s
		}
	}
	for r := range ncol {
		row := op.EigenLeads[r*n : (r+1)*n]
		for k := range row {
			row[k] *= inv[k]
		}
	}
	return nil
}

// gemm is C = alpha op(A) op(B) + beta C for row-major slices through the
// blas64 interface (so that a registered BLAS backend is used).
func gemm(ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ar, ac := m, k
	if ta == blas.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb == blas.Trans {
		br, bc = n, k
	}
	blas64.Gemm(ta, tb, alpha,
		blas64.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas64.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}
