package inverse

import (
	"fmt"
	"github.com/megflow/megflow/internal/backend"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/megflow/megflow/fif"
)

// Method is an inverse method.
type Method string

// Methods.
const (
	MNE     Method = "MNE"
	DSPM    Method = "dSPM"
	SLORETA Method = "sLORETA"
)

// PickOri chooses the source orientations of the estimates.
type PickOri string

// Orientation picks (MNE's pick_ori).
const (
	// PickNone combines the three components of free/loose operators by
	// their norm.
	PickNone PickOri = ""
	// PickNormal keeps the component along the surface normal.
	PickNormal PickOri = "normal"
	// PickVector keeps the three components, in the operator's coordinate
	// frame (x, y, z).
	PickVector PickOri = "vector"
)

// ParseMethod accepts MNE, dSPM and sLORETA (case-insensitive).
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{MNE, DSPM, SLORETA} {
		if equalFold(string(m), s) {
			return m, nil
		}
	}
	return "", fmt.Errorf("method %q: want MNE, dSPM or sLORETA", s)
}

// ParsePickOri accepts none, normal and vector.
func ParsePickOri(s string) (PickOri, error) {
	switch {
	case s == "" || equalFold(s, "none"):
		return PickNone, nil
	case equalFold(s, "normal"):
		return PickNormal, nil
	case equalFold(s, "vector"):
		return PickVector, nil
	}
	return "", fmt.Errorf("pick_ori %q: want none, normal or vector", s)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// Kernel is a prepared inverse operator (MNE's prepare_inverse_operator
// and _assemble_kernel): estimates are K·x for data x on the kernel's
// channels, optionally combined over the three components of each source,
// then multiplied by the noise normalization.
type Kernel struct {
	Method  Method
	Lambda2 float64
	PickOri PickOri
	NAve    float64
	// Names are the channels (kernel columns) in order.
	Names []string
	// K is Rows x len(Names), row-major.
	K    []float64
	Rows int
	// Combine is true when the rows come in triples to be combined by
	// their norm (pick_ori none with a free/loose operator).
	Combine bool
	// Scale multiplies each output source after combination (the inverse
	// noise norms of dSPM / sLORETA with combination); nil when folded
	// into K or MNE.
	Scale []float64
	// NoiseNorm is MNE's inv['noisenorm'] (1/noise norm per source), nil
	// for MNE.
	NoiseNorm []float64
	// NOut is the number of output rows: sources, or 3 x sources for
	// vector estimates (source-major, x y z).
	NOut int
	// Vertices are the vertex numbers per hemisphere.
	Vertices [][]int
	// Float64 makes Apply compute K·x in double precision, as
	// MNE-Python does. By default Apply whitens the data in double
	// precision and runs the large product (sources x rank) in single
	// precision, about twice as fast; the estimates are float32 either
	// way and differ by ~1e-6 (relative).
	Float64 bool

	fac *factored // the single-precision factors (see factors)
}

// Prepare assembles the kernel of op for method, λ², orientation pick and
// number of averages (nave <= 0 means 1).
func (op *Operator) Prepare(method Method, lambda2 float64, pick PickOri, nave float64) (*Kernel, error) {
	if _, err := ParseMethod(string(method)); err != nil {
		return nil, err
	}
	if !(lambda2 >= 0) || math.IsInf(lambda2, 0) {
		return nil, fmt.Errorf("lambda2 must be >= 0, got %g", lambda2)
	}
	if nave <= 0 {
		nave = 1
	}
	if pick != PickNone && op.SourceOri != OriFree {
		return nil, fmt.Errorf("pick_ori %q needs a free or loose orientation operator", pick)
	}
	var normals []float64
	if pick == PickNormal {
		var err error
		if normals, err = op.normalPick(); err != nil {
			return nil, err
		}
	}
	n := len(op.Names)
	scale := op.NAve / nave
	ns := len(op.Sing)
	nz := op.Noise.Rank
	reginv := make([]float64, ns)
	for k := 0; k < min(nz, ns); k++ {
		s := op.Sing[k]
		if s > 0 {
			reginv[k] = s / (s*s + lambda2)
		}
	}
	// trans = diag(reginv) Uᵀ W P / sqrt(scale)
	wp := op.Noise.W
	if op.Noise.Proj != nil {
		wp = make([]float64, n*n)
		gemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, op.Noise.W, n, op.Noise.Proj, n, 0, wp, n)
	}
	trans := make([]float64, ns*n)
	gemm(blas.NoTrans, blas.NoTrans, ns, n, n, 1/math.Sqrt(scale), op.EigenFields, n, wp, n, 0, trans, n)
	for k := range ns {
		row := trans[k*n : (k+1)*n]
		for j := range row {
			row[j] *= reginv[k]
		}
	}
	nrow := op.NComp * op.NSource
	// Weighted eigen leads: sqrt(source_cov·scale) V.
	lead := make([]float64, nrow*ns)
	for r := range nrow {
		w := math.Sqrt(op.SourceCov[r] * scale)
		src := op.EigenLeads[r*ns : (r+1)*ns]
		dst := lead[r*ns : (r+1)*ns]
		for k := range src {
			dst[k] = w * src[k]
		}
	}
	kr := &Kernel{Method: method, Lambda2: lambda2, PickOri: pick, NAve: nave, Names: slices.Clone(op.Names), Vertices: op.Vertices}
	if method != MNE {
		weight := slices.Clone(reginv)
		if method == SLORETA {
			for k := range weight {
				weight[k] *= math.Sqrt(1 + op.Sing[k]*op.Sing[k]/lambda2)
			}
		}
		nn := make([]float64, op.NSource)
		for r := range nrow {
			row := lead[r*ns : (r+1)*ns]
			s := 0.0
			for k, v := range row {
				x := v * weight[k]
				s += x * x
			}
			nn[r/op.NComp] += s
		}
		for i := range nn {
			nn[i] = 1 / math.Sqrt(nn[i])
		}
		kr.NoiseNorm = nn
	}
	if pick == PickNormal {
		sel := make([]float64, op.NSource*ns)
		for i := range op.NSource {
			dst := sel[i*ns : (i+1)*ns]
			if normals == nil {
				// Surface-oriented frame: the third row is the normal.
				copy(dst, lead[(3*i+2)*ns:(3*i+3)*ns])
				continue
			}
			// x, y, z frame (loose = 1): the normal component is the
			// combination of the three rows along the unit normal.
			// MNE rotates the unweighted leads and weights them
			// afterwards; the weights of a free source are equal over
			// its three components, so the order does not matter.
			nv := normals[3*i : 3*i+3]
			for j := range 3 {
				src := lead[(3*i+j)*ns : (3*i+j+1)*ns]
				for c, v := range src {
					dst[c] += nv[j] * v
				}
			}
		}
		lead, nrow = sel, op.NSource
	}
	kr.K = make([]float64, nrow*n)
	gemm(blas.NoTrans, blas.NoTrans, nrow, n, ns, 1, lead, ns, trans, n, 0, kr.K, n)
	kr.Rows = nrow
	switch {
	case op.SourceOri == OriFree && pick == PickNone:
		kr.Combine = true
		kr.NOut = op.NSource
		kr.Scale = kr.NoiseNorm
	case pick == PickVector:
		// Rotate each triple to x, y, z: row_i = Σ_j nn[3k+j][i] row_j
		// (of K and of the leads, K = lead·trans).
		rotateTriples(kr.K, n, op.SourceNN)
		rotateTriples(lead, ns, op.SourceNN)
		kr.NOut = nrow
		scaleRows(kr.K, n, kr.NoiseNorm, 3)
		scaleRows(lead, ns, kr.NoiseNorm, 3)
	default:
		kr.NOut = nrow
		scaleRows(kr.K, n, kr.NoiseNorm, 1)
		scaleRows(lead, ns, kr.NoiseNorm, 1)
	}
	kr.fac = factorKernel(kr, lead, ns, trans, reginv)
	return kr, nil
}

// normalPick prepares pick_ori normal (MNE's _assemble_kernel): nil when
// the operator's orientation frame is already the surface frame (loose <
// 1: the third component of each source is the normal), else the unit
// surface normals of the sources in the operator's coordinate frame, for
// a free-orientation (loose = 1) operator whose components are along x,
// y and z. As MNE, only surface source spaces have normals to pick.
func (op *Operator) normalPick() ([]float64, error) {
	for i, s := range op.Src {
		if s.Type != fif.SpaceSurface {
			return nil, fmt.Errorf("pick_ori normal needs surface source spaces; source space %d of the operator is of type %d (volume or discrete)", i, s.Type)
		}
	}
	if len(op.SourceNN) != 9*op.NSource {
		return nil, fmt.Errorf("pick_ori normal: the operator has %d orientation values, want 9 per source for %d sources", len(op.SourceNN), op.NSource)
	}
	identity := true
	for k := 0; k < op.NSource && identity; k++ {
		f := op.SourceNN[9*k : 9*k+9]
		for i, v := range f {
			want := 0.0
			if i%4 == 0 {
				want = 1
			}
			if math.Abs(v-want) > 1e-6 {
				identity = false
				break
			}
		}
	}
	if !identity {
		return nil, nil
	}
	nn, err := op.surfaceNormals()
	if err != nil {
		return nil, fmt.Errorf("pick_ori normal with a free-orientation (loose = 1) operator: %w", err)
	}
	for k := range op.NSource {
		v := nn[3*k : 3*k+3]
		l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
		if !(l > 0) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("pick_ori normal: source %d has no surface normal", k)
		}
		for j := range v {
			v[j] /= l
		}
	}
	return nn, nil
}

// surfaceNormals returns the surface normals of the sources (NSource x 3)
// in the operator's coordinate frame: from the source spaces when the
// operator has them (an operator read from -inv.fif keeps them in the
// frame of the file, MRI for MNE's), else SurfNN, which MakeOperator takes
// from the forward solution in its frame.
func (op *Operator) surfaceNormals() ([]float64, error) {
	if len(op.Src) == 0 {
		if len(op.SurfNN) != 3*op.NSource {
			return nil, fmt.Errorf("the operator has neither source spaces nor surface normals")
		}
		return slices.Clone(op.SurfNN), nil
	}
	var nn []float64
	for _, s := range op.Src {
		s2, err := s.InFrame(op.CoordFrame, op.MRIHeadT)
		if err != nil {
			return nil, err
		}
		for _, v := range s2.Vertno() {
			nn = append(nn, s2.NN[v][:]...)
		}
	}
	if len(nn) != 3*op.NSource {
		return nil, fmt.Errorf("the source spaces hold %d sources, the operator %d", len(nn)/3, op.NSource)
	}
	return nn, nil
}

// rotateTriples replaces each triple of rows of m (cols columns) by its
// x, y, z components: row_i = Σ_j nn[3k+j][i] row_j for source k.
func rotateTriples(m []float64, cols int, nn []float64) {
	tmp := make([]float64, 3*cols)
	for k := range len(m) / (3 * cols) {
		b := m[3*k*cols : 3*(k+1)*cols]
		clear(tmp)
		for j := range 3 {
			f := nn[9*k+3*j : 9*k+3*j+3]
			for i := range 3 {
				for c := range cols {
					tmp[i*cols+c] += f[i] * b[j*cols+c]
				}
			}
		}
		copy(b, tmp)
	}
}

// scaleRows folds the noise normalization nn (nil for MNE) into the rows
// of m (cols columns; one factor per source, every rep rows).
func scaleRows(m []float64, cols int, nn []float64, rep int) {
	if nn == nil {
		return
	}
	for r := range len(m) / cols {
		s := nn[r/rep]
		row := m[r*cols : (r+1)*cols]
		for j := range row {
			row[j] *= s
		}
	}
}

// factored is K = A·T for the single-precision product: T (inner x
// channels, float64) whitens and projects the data, and A (Rows x inner,
// float32) holds the weighted eigen leads with the noise normalization
// (for combined triples, the scale of each source folded into its rows:
// s·‖v‖ = ‖s·v‖ for s > 0).
//
// T·x is computed in double precision: the whitener of rank-deficient
// data (after SSS, say) has large entries whose contributions cancel,
// which a float32 K would not resolve. Only the components with a
// non-zero regularized singular value are kept, so that inner is the
// rank of the whitened data (fewer flops than K·x when it is below the
// number of channels). T is nil when A is K itself (kernels not made by
// Prepare).
type factored struct {
	a     []float32
	inner int
	t     []float64
}

// factorKernel keeps the components of lead (Rows x ns) and trans (ns x
// channels) whose weight reginv is not zero.
func factorKernel(k *Kernel, lead []float64, ns int, trans, reginv []float64) *factored {
	n := len(k.Names)
	var keep []int
	for i, w := range reginv {
		if w != 0 {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	ne := len(keep)
	f := &factored{a: make([]float32, k.Rows*ne), inner: ne, t: make([]float64, ne*n)}
	for j, i := range keep {
		copy(f.t[j*n:(j+1)*n], trans[i*n:(i+1)*n])
	}
	for r := range k.Rows {
		sc := 1.0
		if k.Combine && k.Scale != nil {
			sc = k.Scale[r/3]
		}
		src := lead[r*ns : (r+1)*ns]
		dst := f.a[r*ne : (r+1)*ne]
		for j, i := range keep {
			dst[j] = float32(sc * src[i])
		}
	}
	return f
}

// Workspace holds the buffers of Kernel.Apply for reuse.
type Workspace struct {
	prod []float64   // float64 path: one column block of K·x
	x32  []float32   // float32 path: the (whitened) data block
	y    []float64   // float32 path: the whitened data block
	bufs [][]float32 // float32 path: one product panel per worker
}

// maxBlock bounds the columns of one GEMM so that K·x stays small.
const maxBlock = 256

// Apply computes the estimate of data x (len(Names) x nt, row-major, rows
// in the kernel's channel order) into out (NOut x nt, row-major, float32),
// in column blocks. ws may be nil.
//
// Unless k.Float64 is set, the data are whitened in double precision and
// the large product runs in single precision, with as many inner terms
// as the rank of the whitened data (see Float64 and factored). K (and
// Scale) must not be changed after Prepare, or, for kernels assembled by
// hand, after the first Apply.
func (k *Kernel) Apply(x []float64, nt int, out []float32, ws *Workspace) {
	if ws == nil {
		ws = &Workspace{}
	}
	if k.Float64 {
		k.apply64(x, nt, out, ws)
		return
	}
	defer backend.SingleThreaded()()
	f := k.factors()
	m := min(nt, colBlock)
	for t0 := 0; t0 < nt; t0 += m {
		nb := min(m, nt-t0)
		x32 := grow(&ws.x32, f.inner*nb)
		k.whiten32(f, x[t0:], nt, nb, x32, nb, 0, ws)
		k.product(f, x32, nb, out, nt, t0, ws)
	}
}

// whiten32 writes T·x for nb columns of x (row stride ldx) in single
// precision into columns [c0, c0+nb) of x32 (row stride ld).
func (k *Kernel) whiten32(f *factored, x []float64, ldx, nb int, x32 []float32, ld, c0 int, ws *Workspace) {
	n := len(k.Names)
	if f.t == nil {
		for c := range n {
			src := x[c*ldx : c*ldx+nb]
			dst := x32[c*ld+c0 : c*ld+c0+nb]
			for t, v := range src {
				dst[t] = float32(v)
			}
		}
		return
	}
	if cap(ws.y) < f.inner*nb {
		ws.y = make([]float64, f.inner*nb)
	}
	y := ws.y[:f.inner*nb]
	gemm(blas.NoTrans, blas.NoTrans, f.inner, nb, n, 1, f.t, n, x, ldx, 0, y, nb)
	for r := range f.inner {
		dst := x32[r*ld+c0 : r*ld+c0+nb]
		for t, v := range y[r*nb : (r+1)*nb] {
			dst[t] = float32(v)
		}
	}
}

// batchEpochs is how many epochs of nt samples ApplyEpochs puts side by
// side in one single-precision product: the kernel's panels are then
// packed by the BLAS once per batch instead of once per epoch (for
// 220-sample epochs that packing took a tenth of the time).
func (k *Kernel) batchEpochs(nt int) int {
	if k.Float64 || nt <= 0 || 2*nt > colBlock {
		return 1
	}
	return colBlock / nt
}

// applyBatch is Apply for the epochs xs (each len(Names) x nt) at once,
// into outs (NOut x nt each); len(xs)*nt must not exceed colBlock. The
// whitened epochs share one product.
func (k *Kernel) applyBatch(xs [][]float64, nt int, outs [][]float32, ws *Workspace) {
	defer backend.SingleThreaded()()
	f := k.factors()
	m := len(xs) * nt
	x32 := grow(&ws.x32, f.inner*m)
	for j, x := range xs {
		k.whiten32(f, x, nt, nt, x32, m, j*nt, ws)
	}
	// Each panel goes straight to the epochs' estimates: epoch j holds
	// the panel's columns [j·nt, (j+1)·nt).
	k.productTo(f, x32, m, ws, func(buf []float32, r0, r1 int) {
		for j, out := range outs {
			k.store(buf[j*nt:], r0, r1, m, nt, out, nt)
		}
	})
}

// apply64 is Apply in double precision (MNE's arithmetic).
func (k *Kernel) apply64(x []float64, nt int, out []float32, ws *Workspace) {
	n := len(k.Names)
	blk := min(nt, maxBlock)
	if cap(ws.prod) < k.Rows*blk {
		ws.prod = make([]float64, k.Rows*blk)
	}
	for t0 := 0; t0 < nt; t0 += blk {
		nb := min(blk, nt-t0)
		prod := ws.prod[:k.Rows*nb]
		gemm(blas.NoTrans, blas.NoTrans, k.Rows, nb, n, 1, k.K, n, x[t0:], nt, 0, prod, nb)
		if k.Combine {
			for s := range k.NOut {
				a := prod[3*s*nb : (3*s+1)*nb]
				b := prod[(3*s+1)*nb : (3*s+2)*nb]
				c := prod[(3*s+2)*nb : (3*s+3)*nb]
				sc := 1.0
				if k.Scale != nil {
					sc = k.Scale[s]
				}
				o := out[s*nt+t0 : s*nt+t0+nb]
				for t := range o {
					o[t] = float32(sc * math.Sqrt(a[t]*a[t]+b[t]*b[t]+c[t]*c[t]))
				}
			}
			continue
		}
		for s := range k.NOut {
			p := prod[s*nb : (s+1)*nb]
			o := out[s*nt+t0 : s*nt+t0+nb]
			for t := range o {
				o[t] = float32(p[t])
			}
		}
	}
}

// colBlock bounds the columns (samples) of one single-precision product
// and panelRows (a multiple of 3) the kernel rows of one GEMM call, whose
// product a worker then combines and stores. On 2 cores with OpenBLAS
// (synthetic kernel of the golden size, load ~1.5), 1536 x 1024 ran at
// 157–160 GFLOPS, 768 x 512 at 153–156, 192 x 512 at 145; 220-sample
// epochs ran as fast as 1101-sample ones (within 5%), so epochs are not
// batched into one product.
const (
	colBlock  = 1024
	panelRows = 1536
)

// factors returns the factors of the single-precision product: those of
// Prepare, or K itself rounded to float32 (built once) for kernels made
// otherwise.
func (k *Kernel) factors() *factored {
	k32mu.Lock()
	defer k32mu.Unlock()
	if k.fac != nil {
		return k.fac
	}
	n := len(k.Names)
	f := &factored{a: make([]float32, k.Rows*n), inner: n}
	for r := range k.Rows {
		s := 1.0
		if k.Combine && k.Scale != nil {
			s = k.Scale[r/3]
		}
		src := k.K[r*n : (r+1)*n]
		dst := f.a[r*n : (r+1)*n]
		for j, v := range src {
			dst[j] = float32(s * v)
		}
	}
	k.fac = f
	return f
}

var k32mu sync.Mutex

func grow(b *[]float32, n int) []float32 {
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}

// product computes A·x32 (A of f, x32: f.inner x m, row-major) in panels
// of rows, spread over the workers, and stores the estimates in columns
// [t0, t0+m) of out (NOut x nt).
func (k *Kernel) product(f *factored, x32 []float32, m int, out []float32, nt, t0 int, ws *Workspace) {
	k.productTo(f, x32, m, ws, func(buf []float32, r0, r1 int) { k.store(buf, r0, r1, m, m, out[t0:], nt) })
}

// productTo computes A·x32 in panels of rows spread over the workers and
// hands each panel (rows [r0, r1), row stride m) to store.
func (k *Kernel) productTo(f *factored, x32 []float32, m int, ws *Workspace, store func(buf []float32, r0, r1 int)) {
	a, n := f.a, f.inner
	pr := panelRows
	np := (k.Rows + pr - 1) / pr
	if np == 0 {
		return
	}
	workers := min(applyWorkers(), np)
	for len(ws.bufs) < workers {
		ws.bufs = append(ws.bufs, nil)
	}
	impl := blas32.Implementation()
	var next atomic.Int64
	run := func(w int) {
		buf := grow(&ws.bufs[w], pr*m)
		for {
			p := int(next.Add(1) - 1)
			if p >= np {
				return
			}
			r0 := p * pr
			r1 := min(k.Rows, r0+pr)
			impl.Sgemm(blas.NoTrans, blas.NoTrans, r1-r0, m, n, 1, a[r0*n:r1*n], n, x32, m, 0, buf, m)
			store(buf, r0, r1)
		}
	}
	if workers == 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { run(w) })
	}
	run(0)
	wg.Wait()
}

// store writes cols columns of the product rows [r0, r1) (buf, row stride ld) to out
// (row stride nt): the norm of each triple when combining, else the rows.
// The sum of squares is single precision (estimates of MNE, dSPM or
// sLORETA are far from float32's range limits).
func (k *Kernel) store(buf []float32, r0, r1, ld, cols int, out []float32, nt int) {
	if !k.Combine {
		for r := r0; r < r1; r++ {
			copy(out[r*nt:r*nt+cols], buf[(r-r0)*ld:(r-r0)*ld+cols])
		}
		return
	}
	for s := r0 / 3; s < r1/3; s++ {
		i := (3*s - r0) * ld
		norm3(buf[i:i+cols], buf[i+ld:i+ld+cols], buf[i+2*ld:i+2*ld+cols], out[s*nt:s*nt+cols])
	}
}

// norm3Go is norm3 in Go (the square root in double precision rounds to
// the correctly rounded float32 root).
func norm3Go(a, b, c, out []float32) {
	for t := range out {
		out[t] = float32(math.Sqrt(float64(a[t]*a[t] + b[t]*b[t] + c[t]*c[t])))
	}
}
