package inverse

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
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
	if pick == PickNormal && op.OrientPrior == nil {
		return nil, fmt.Errorf("pick_ori normal needs a loose orientation operator (0 < loose < 1)")
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
			copy(sel[i*ns:(i+1)*ns], lead[(3*i+2)*ns:(3*i+3)*ns])
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
		// Rotate each triple to x, y, z: row_i = Σ_j nn[3k+j][i] row_j.
		kk := kr.K
		tmp := make([]float64, 3*n)
		for k := range op.NSource {
			b := kk[3*k*n : 3*(k+1)*n]
			clear(tmp)
			for j := range 3 {
				f := op.SourceNN[9*k+3*j : 9*k+3*j+3]
				for i := range 3 {
					for c := range n {
						tmp[i*n+c] += f[i] * b[j*n+c]
					}
				}
			}
			copy(b, tmp)
		}
		kr.NOut = nrow
		kr.scaleRows(3)
	default:
		kr.NOut = nrow
		kr.scaleRows(1)
	}
	return kr, nil
}

// scaleRows folds the noise normalization into the rows (per source,
// every rep rows).
func (k *Kernel) scaleRows(rep int) {
	if k.NoiseNorm == nil {
		return
	}
	n := len(k.Names)
	for r := range k.Rows {
		s := k.NoiseNorm[r/rep]
		row := k.K[r*n : (r+1)*n]
		for j := range row {
			row[j] *= s
		}
	}
}

// Workspace holds the buffers of Kernel.Apply for reuse.
type Workspace struct {
	prod []float64
}

// maxBlock bounds the columns of one GEMM so that K·x stays small.
const maxBlock = 256

// Apply computes the estimate of data x (len(Names) x nt, row-major, rows
// in the kernel's channel order) into out (NOut x nt, row-major, float32),
// in column blocks. ws may be nil.
func (k *Kernel) Apply(x []float64, nt int, out []float32, ws *Workspace) {
	n := len(k.Names)
	if ws == nil {
		ws = &Workspace{}
	}
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
