package forward

import (
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
)

// ipApproachLimit is the skull/brain conductivity ratio below which the
// isolated problem approach is used (MNE's FWD.BEM_IP_APPROACH_LIMIT).
const ipApproachLimit = 0.1

var bemSurfName = map[int32]string{fif.BEMSurfBrain: "inner skull", fif.BEMSurfSkull: "outer skull", fif.BEMSurfHead: "outer skin", fif.BEMSurfCSF: "csf"}

// MakeBEMModel reads the BEM surfaces of a subject as mne.make_bem_model
// does: bem/inner_skull.surf for one conductivity (single-layer MEG
// model), plus bem/outer_skull.surf and bem/outer_skin.surf for three
// (brain, skull, scalp). ico is the icosahedral grade the surfaces must
// have (e.g. 4: 2562 vertices, 5120 triangles), or -1 to take them as
// they are. The surfaces are returned outermost first, in metres, MRI
// coordinates, with their normals, after the topology, closedness,
// nesting and size checks.
func MakeBEMModel(subjectsDir, subject string, ico int, conductivity []float64) (*fif.BEM, error) {
	names := []string{"inner_skull", "outer_skull", "outer_skin"}
	ids := []int32{fif.BEMSurfBrain, fif.BEMSurfSkull, fif.BEMSurfHead}
	switch len(conductivity) {
	case 1, 3:
	default:
		return nil, fmt.Errorf("forward: %d conductivities given: expected 1 (single layer) or 3 (brain, skull, scalp)", len(conductivity))
	}
	var surfs []*fif.BEMSurface
	for i, sigma := range conductivity {
		if !(sigma > 0) || math.IsInf(sigma, 0) {
			return nil, fmt.Errorf("forward: conductivity %g of the %s compartment must be positive", sigma, names[i])
		}
		path := filepath.Join(subjectsDir, subject, "bem", names[i]+".surf")
		s, err := geom.ReadSurface(path)
		if err != nil {
			return nil, err
		}
		if ico >= 0 {
			found, err := icoGrade(len(s.Tris), ico)
			if err != nil {
				return nil, fmt.Errorf("forward: %s: %w", path, err)
			}
			if s.Rr, s.Tris, err = icoDownsample(s.Rr, s.Tris, found, ico); err != nil {
				return nil, fmt.Errorf("forward: %s: %w", path, err)
			}
		}
		s.Scale(1e-3)
		bs, err := newBEMSurface(s.Rr, s.Tris, ids[i], sigma, path)
		if err != nil {
			return nil, err
		}
		surfs = append(surfs, bs)
	}
	// Outermost first.
	for i, j := 0, len(surfs)-1; i < j; i, j = i+1, j-1 {
		surfs[i], surfs[j] = surfs[j], surfs[i]
	}
	b := &fif.BEM{Surfs: surfs}
	if err := CheckBEMSurfaces(b); err != nil {
		return nil, err
	}
	return b, nil
}

// icoGrade returns the icosahedral grade of a surface of nTri triangles,
// checking that it can be reduced to grade ico.
func icoGrade(nTri, ico int) (int, error) {
	if nTri%20 != 0 {
		return 0, fmt.Errorf("%d triangles cannot be a subdivided icosahedron (ico %d needs %d)", nTri, ico, 20<<(2*ico))
	}
	found := int(math.Round(math.Log(float64(nTri/20)) / math.Log(4)))
	if nTri/20 != 1<<(2*found) {
		return 0, fmt.Errorf("%d triangles cannot be a subdivided icosahedron (ico %d needs %d)", nTri, ico, 20<<(2*ico))
	}
	if found < ico {
		return 0, fmt.Errorf("surface is an ico %d subdivision (%d triangles); decimation grade must be %d or less, not %d", found, nTri, found, ico)
	}
	return found, nil
}

func newBEMSurface(rr []geom.Vec3, tris [][3]int32, id int32, sigma float64, src string) (*fif.BEMSurface, error) {
	m, err := geom.NewMesh(rr, tris)
	if err != nil {
		return nil, fmt.Errorf("forward: %s: %w", src, err)
	}
	if err := m.CheckTopology(); err != nil {
		return nil, fmt.Errorf("forward: %s (%s): %w", src, bemSurfName[id], err)
	}
	s := &fif.BEMSurface{ID: id, Sigma: sigma, CoordFrame: fif.FrameMRI,
		Rr: make([][3]float64, len(rr)), NN: make([][3]float64, len(rr)), Tris: tris}
	for i := range rr {
		s.Rr[i] = rr[i]
		s.NN[i] = m.NN[i]
	}
	return s, nil
}

// bemMesh returns the triangle geometry of a BEM surface.
func bemMesh(s *fif.BEMSurface) (*geom.Mesh, error) {
	rr := make([]geom.Vec3, len(s.Rr))
	for i, r := range s.Rr {
		rr[i] = r
	}
	return geom.NewMesh(rr, s.Tris)
}

// CheckBEMSurfaces checks a BEM's surfaces as MNE does before solving:
// each closed and without topological defects, each inside the previous
// one, and of plausible size (at least 5 cm across, i.e. in metres).
func CheckBEMSurfaces(b *fif.BEM) error {
	if len(b.Surfs) != 1 && len(b.Surfs) != 3 {
		return fmt.Errorf("forward: BEM with %d surfaces: only 1- and 3-layer models are supported", len(b.Surfs))
	}
	meshes := make([]*geom.Mesh, len(b.Surfs))
	for i, s := range b.Surfs {
		m, err := bemMesh(s)
		if err != nil {
			return err
		}
		if err := m.CheckTopology(); err != nil {
			return fmt.Errorf("forward: BEM surface %s: %w", bemSurfName[s.ID], err)
		}
		if err := m.CheckClosed(bemSurfName[s.ID]); err != nil {
			return fmt.Errorf("forward: %w", err)
		}
		meshes[i] = m
	}
	for i := 1; i < len(meshes); i++ {
		outer := newInsideTester(meshes[i-1])
		for _, r := range meshes[i].Rr {
			if !outer.inside(r) {
				return fmt.Errorf("forward: BEM surface %s is not completely inside surface %s", bemSurfName[b.Surfs[i].ID], bemSurfName[b.Surfs[i-1].ID])
			}
		}
	}
	for _, s := range b.Surfs {
		for j := range 3 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range s.Rr {
				lo, hi = math.Min(lo, r[j]), math.Max(hi, r[j])
			}
			if hi-lo < 0.05 {
				return fmt.Errorf("forward: BEM surface %s is only %.3f mm across: are the coordinates in metres rather than millimetres?", bemSurfName[s.ID], 1000*(hi-lo))
			}
		}
	}
	return nil
}

// MakeBEMSolution computes the linear-collocation BEM potential solution
// of a model from MakeBEMModel (mne.make_bem_solution with solver='mne'),
// with the isolated problem approach for three layers when the skull is
// much less conductive than the brain. It sets b.Solution and b.Approx and
// recomputes the vertex normals.
func MakeBEMSolution(b *fif.BEM) error {
	if err := CheckBEMSurfaces(b); err != nil {
		return err
	}
	meshes := make([]*geom.Mesh, len(b.Surfs))
	for i, s := range b.Surfs {
		m, err := bemMesh(s)
		if err != nil {
			return err
		}
		meshes[i] = m
		for v := range s.NN {
			s.NN[v] = m.NN[v]
		}
	}
	sigma := make([]float64, len(b.Surfs)+1)
	for i, s := range b.Surfs {
		sigma[i+1] = s.Sigma
	}
	ns := len(b.Surfs)
	gamma := make([][]float64, ns)
	for i := range gamma {
		gamma[i] = make([]float64, ns)
		for j := range gamma[i] {
			gamma[i][j] = (sigma[j+1] - sigma[j]) / (sigma[i+1] + sigma[i])
		}
	}
	coeff := linPotCoeff(meshes)
	sol, err := multiSolution(coeff, gamma, meshes)
	if err != nil {
		return err
	}
	if ns == 3 {
		ipMult := b.Surfs[1].Sigma / b.Surfs[2].Sigma
		if ipMult <= ipApproachLimit {
			inner := meshes[2:]
			ip, err := multiSolution(linPotCoeff(inner), nil, inner)
			if err != nil {
				return err
			}
			ipModify(sol, ip, ipMult, meshes)
		}
	}
	b.Solution = sol.RawMatrix().Data
	b.Approx = fif.BEMApproxLinear
	return nil
}

// multiSolution inverts I + 1/N - coeff·gamma/(2π) (with deflation).
func multiSolution(coeff *mat.Dense, gamma [][]float64, meshes []*geom.Mesh) (*mat.Dense, error) {
	n, _ := coeff.Dims()
	off := []int{0}
	for _, m := range meshes {
		off = append(off, off[len(off)-1]+len(m.Rr))
	}
	defl := 1 / float64(n)
	data := coeff.RawMatrix().Data
	for s1 := range meshes {
		for s2 := range meshes {
			mult := 1 / (2 * math.Pi)
			if gamma != nil {
				mult *= gamma[s1][s2]
			}
			for j := off[s1]; j < off[s1+1]; j++ {
				row := data[j*n:]
				for k := off[s2]; k < off[s2+1]; k++ {
					row[k] = defl - row[k]*mult
				}
			}
		}
	}
	for j := range n {
		data[j*n+j] += 1
	}
	// Invert in place through the LU factorization (LAPACK getrf + getri,
	// as scipy.linalg.inv does), without mat.Dense.Inverse's copy and
	// condition estimate.
	if err := invertInPlace(coeff); err != nil {
		return nil, err
	}
	return coeff, nil
}

// invertInPlace replaces the square matrix a by its inverse.
func invertInPlace(a *mat.Dense) error {
	raw := a.RawMatrix()
	if !luInvert(raw.Rows, raw.Data) {
		return fmt.Errorf("forward: BEM coefficient matrix cannot be inverted: it is singular")
	}
	for _, v := range raw.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("forward: BEM coefficient matrix cannot be inverted: the inverse is not finite")
		}
	}
	return nil
}

// ipModify folds the isolated-problem solution of the innermost surface
// into the full solution (MNE's _fwd_bem_ip_modify_solution).
func ipModify(sol, ip *mat.Dense, ipMult float64, meshes []*geom.Mesh) {
	nLast := len(meshes[len(meshes)-1].Rr)
	n, _ := sol.Dims()
	mult := (1 + ipMult) / ipMult
	first := n - nLast
	// Right column block, all rows: sub -= 2 sub·ip.
	sub := sol.Slice(0, n, first, n).(*mat.Dense)
	var prod mat.Dense
	prod.Mul(sub, ip)
	prod.Scale(2, &prod)
	sub.Sub(sub, &prod)
	corner := sol.Slice(first, n, first, n).(*mat.Dense)
	var add mat.Dense
	add.Scale(mult, ip)
	corner.Add(corner, &add)
	sol.Scale(ipMult, sol)
}
