package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/geom"
)

// Anatomy constants (MRI = head coordinates, millimetres).
var (
	brainCentre   = geom.Vec3{0, -10, 50} // centre of the brain
	hemiOffset    = 33.0                  // |x| of each hemisphere's centre
	hemiAxes      = geom.Vec3{29, 76, 55} // half axes of a hemisphere (upper half)
	hemiLowZ      = 42.0                  // half axis below the centre (flatter base)
	foldDepth     = 2.5                   // amplitude of the radial folding
	skullMarginMM = 6.5                   // least distance of the white surface to the inner skull
	sphereRadius  = 100.0                 // radius of {lh,rh}.sphere
	icoWhite      = 5                     // grade of the hemisphere surfaces (10242 vertices)
	icoSkull      = 4                     // grade of the inner skull (2562 vertices)
	hemiNames     = [2]string{"lh", "rh"} // FreeSurfer hemisphere names
	hemiSign      = [2]float64{-1, 1}     // lateral direction (x) of each hemisphere
)

// icoSphere returns the unit icosahedron subdivided grade times (10·4^g+2
// vertices), with triangles wound counter-clockwise seen from outside.
func icoSphere(grade int) ([]geom.Vec3, [][3]int32) {
	t := (1 + math.Sqrt(5)) / 2
	rr := []geom.Vec3{
		{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
		{0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
		{t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1},
	}
	for i := range rr {
		rr[i] = rr[i].Unit()
	}
	tris := [][3]int32{
		{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11},
		{1, 5, 9}, {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
		{3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8}, {3, 8, 9},
		{4, 9, 5}, {2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1},
	}
	for range grade {
		mid := map[[2]int32]int32{}
		midpoint := func(a, b int32) int32 {
			k := [2]int32{min(a, b), max(a, b)}
			if m, ok := mid[k]; ok {
				return m
			}
			rr = append(rr, rr[a].Add(rr[b]).Unit())
			m := int32(len(rr) - 1)
			mid[k] = m
			return m
		}
		next := make([][3]int32, 0, 4*len(tris))
		for _, tr := range tris {
			a, b, c := tr[0], tr[1], tr[2]
			ab, bc, ca := midpoint(a, b), midpoint(b, c), midpoint(c, a)
			next = append(next, [3]int32{a, ab, ca}, [3]int32{b, bc, ab}, [3]int32{c, ca, bc}, [3]int32{ab, bc, ca})
		}
		tris = next
	}
	// Make the winding outward.
	for i, tr := range tris {
		a, b, c := rr[tr[0]], rr[tr[1]], rr[tr[2]]
		if b.Sub(a).Cross(c.Sub(a)).Dot(a.Add(b).Add(c)) < 0 {
			tris[i] = [3]int32{tr[0], tr[2], tr[1]}
		}
	}
	return rr, tris
}

// folding is the radial gyral pattern of a hemisphere, in [-1, 1]: a sum of
// plane waves on the sphere with random directions and phases.
type folding struct {
	dirs  []geom.Vec3
	phase []float64
	freq  []float64
}

func newFolding(rng *rand.Rand) *folding {
	f := &folding{}
	for range 6 {
		f.dirs = append(f.dirs, randUnit(rng))
		f.phase = append(f.phase, 2*math.Pi*rng.Float64())
		f.freq = append(f.freq, 14+6*rng.Float64())
	}
	return f
}

func (f *folding) at(u geom.Vec3) float64 {
	s := 0.0
	for i, d := range f.dirs {
		s += math.Sin(f.freq[i]*u.Dot(d) + f.phase[i])
	}
	return math.Tanh(1.2 * s / math.Sqrt(float64(len(f.dirs))))
}

// whitePoint maps a unit direction u of hemisphere h to the white surface.
func whitePoint(h int, u geom.Vec3, fold *folding) geom.Vec3 {
	c := brainCentre.Add(geom.Vec3{hemiSign[h] * hemiOffset, 0, 0})
	az := hemiAxes[2]
	if u[2] < 0 {
		az = hemiLowZ
	}
	p := geom.Vec3{hemiAxes[0] * u[0], hemiAxes[1] * u[1], az * u[2]}
	r := p.Norm()
	// Fold radially, a few mm deep.
	return c.Add(p.Scale((r + foldDepth*fold.at(u)) / r))
}

// anatomy is the generated subject: per hemisphere the sphere, the white
// surface (same vertex order) and the parcellation; the inner skull.
type anatomy struct {
	sphere     [2]*geom.Surface
	white      [2]*geom.Surface
	annot      [2]*atlas.Annot
	parcel     [2][]int // region index (into regionNames) of every vertex
	innerSkull *geom.Surface
	skullAxes  geom.Vec3
}

func makeAnatomy(rng *rand.Rand) *anatomy {
	a := &anatomy{}
	dirs, tris := icoSphere(icoWhite)
	for h := range 2 {
		fold := newFolding(rng)
		sph := &geom.Surface{Rr: make([]geom.Vec3, len(dirs)), Tris: tris}
		wh := &geom.Surface{Rr: make([]geom.Vec3, len(dirs)), Tris: tris}
		for i, u := range dirs {
			sph.Rr[i] = u.Scale(sphereRadius)
			wh.Rr[i] = whitePoint(h, u, fold)
		}
		a.sphere[h], a.white[h] = sph, wh
		a.parcel[h], a.annot[h] = parcellate(h, dirs)
	}
	// Inner skull: a superellipsoid around the brain centre, grown until every
	// white vertex is at least skullMarginMM inside.
	sdirs, stris := icoSphere(icoSkull)
	var ax geom.Vec3
	for _, s := range a.white {
		for _, p := range s.Rr {
			for i := range 3 {
				ax[i] = max(ax[i], math.Abs(p[i]-brainCentre[i])+skullMarginMM)
			}
		}
	}
	for range 100 {
		if ellipsoidMargin(ax, a.white) >= skullMarginMM {
			break
		}
		ax = ax.Scale(1.01)
	}
	a.skullAxes = ax
	sk := &geom.Surface{Rr: make([]geom.Vec3, len(sdirs)), Tris: stris}
	for i, u := range sdirs {
		rho, _ := skullRho(geom.Vec3{1, 1, 1}, u)
		sk.Rr[i] = brainCentre.Add(geom.Vec3{ax[0] * u[0], ax[1] * u[1], ax[2] * u[2]}.Scale(1 / rho))
	}
	a.innerSkull = sk
	return a
}

// skullPower is the exponent of the inner skull's superellipsoid
// |x/a|^n + |y/b|^n + |z/c|^n = 1: boxier than an ellipsoid, as a skull.
const skullPower = 3.2

// skullRho is the superellipsoid "radius" of d (1 on the surface) and its
// gradient norm.
func skullRho(ax, d geom.Vec3) (float64, float64) {
	var s float64
	for i := range 3 {
		s += math.Pow(math.Abs(d[i]/ax[i]), skullPower)
	}
	rho := math.Pow(s, 1/skullPower)
	var g float64
	for i := range 3 {
		g += sq(math.Pow(math.Abs(d[i]/ax[i]), skullPower-1) / ax[i])
	}
	return rho, math.Pow(rho, 1-skullPower) * math.Sqrt(g)
}

// ellipsoidMargin estimates the least distance (mm) of the surfaces'
// vertices to the inner-skull superellipsoid of half axes ax around
// brainCentre (negative when a vertex is outside), with the first-order
// distance to the level set of ρ: (1−ρ)/|∇ρ|, accurate near the surface.
func ellipsoidMargin(ax geom.Vec3, surfs [2]*geom.Surface) float64 {
	m := math.Inf(1)
	for _, s := range surfs {
		for _, p := range s.Rr {
			rho, grad := skullRho(ax, p.Sub(brainCentre))
			m = min(m, (1-rho)/grad)
		}
	}
	return m
}

func sq(x float64) float64 { return x * x }

func randUnit(rng *rand.Rand) geom.Vec3 {
	for {
		v := geom.Vec3{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		if n := v.Norm(); n > 1e-6 {
			return v.Scale(1 / n)
		}
	}
}

// region is one Desikan-Killiany parcel: its name, the direction of its
// seed on the sphere (x lateral, y anterior, z superior) and its colour.
type region struct {
	name    string
	seed    geom.Vec3
	r, g, b int32
}

// regions are the 34 Desikan-Killiany parcels with seeds at anatomically
// plausible places; the parcellation is the spherical Voronoi diagram of
// the seeds. Colours are those of FreeSurfer's colour table.
var regions = []region{
	{"bankssts", geom.Vec3{0.95, -0.35, 0.1}, 25, 100, 40},
	{"caudalanteriorcingulate", geom.Vec3{-0.95, 0.15, 0.3}, 125, 100, 160},
	{"caudalmiddlefrontal", geom.Vec3{0.5, 0.3, 0.8}, 100, 25, 0},
	{"cuneus", geom.Vec3{-0.5, -0.75, 0.4}, 220, 20, 100},
	{"entorhinal", geom.Vec3{-0.15, 0.45, -0.9}, 220, 20, 10},
	{"fusiform", geom.Vec3{0.2, -0.5, -0.85}, 180, 220, 140},
	{"inferiorparietal", geom.Vec3{0.6, -0.65, 0.45}, 220, 60, 220},
	{"inferiortemporal", geom.Vec3{0.7, -0.15, -0.7}, 180, 40, 120},
	{"isthmuscingulate", geom.Vec3{-0.9, -0.45, -0.05}, 140, 20, 140},
	{"lateraloccipital", geom.Vec3{0.45, -0.9, 0.0}, 20, 30, 140},
	{"lateralorbitofrontal", geom.Vec3{0.35, 0.7, -0.6}, 35, 75, 50},
	{"lingual", geom.Vec3{-0.5, -0.7, -0.5}, 225, 140, 140},
	{"medialorbitofrontal", geom.Vec3{-0.55, 0.65, -0.5}, 200, 35, 75},
	{"middletemporal", geom.Vec3{0.95, -0.1, -0.3}, 160, 100, 50},
	{"parahippocampal", geom.Vec3{-0.35, -0.15, -0.9}, 20, 220, 60},
	{"paracentral", geom.Vec3{-0.5, -0.15, 0.85}, 60, 220, 60},
	{"parsopercularis", geom.Vec3{0.85, 0.35, 0.35}, 220, 180, 140},
	{"parsorbitalis", geom.Vec3{0.65, 0.7, -0.15}, 20, 100, 50},
	{"parstriangularis", geom.Vec3{0.75, 0.55, 0.2}, 220, 60, 20},
	{"pericalcarine", geom.Vec3{-0.6, -0.8, 0.0}, 120, 100, 60},
	{"postcentral", geom.Vec3{0.6, -0.25, 0.75}, 220, 20, 20},
	{"posteriorcingulate", geom.Vec3{-0.95, -0.2, 0.25}, 220, 180, 220},
	{"precentral", geom.Vec3{0.6, 0.05, 0.8}, 60, 20, 220},
	{"precuneus", geom.Vec3{-0.7, -0.55, 0.5}, 160, 140, 180},
	{"rostralanteriorcingulate", geom.Vec3{-0.9, 0.45, 0.0}, 80, 20, 140},
	{"rostralmiddlefrontal", geom.Vec3{0.55, 0.7, 0.4}, 75, 50, 125},
	{"superiorfrontal", geom.Vec3{-0.1, 0.5, 0.88}, 20, 220, 160},
	{"superiorparietal", geom.Vec3{0.25, -0.6, 0.8}, 20, 180, 140},
	{"superiortemporal", geom.Vec3{0.95, 0.15, 0.05}, 140, 220, 220},
	{"supramarginal", geom.Vec3{0.8, -0.35, 0.5}, 80, 160, 20},
	{"frontalpole", geom.Vec3{0.0, 1.0, 0.05}, 100, 0, 100},
	{"temporalpole", geom.Vec3{0.45, 0.75, -0.55}, 70, 20, 170},
	{"transversetemporal", geom.Vec3{0.8, -0.05, 0.35}, 150, 150, 200},
	{"insula", geom.Vec3{0.75, 0.4, 0.05}, 255, 192, 32},
}

// regionIndex returns the index of the named region, or -1.
func regionIndex(name string) int {
	for i, r := range regions {
		if r.name == name {
			return i
		}
	}
	return -1
}

// parcellate assigns every sphere direction of hemisphere h to the region
// whose seed (mirrored for the left hemisphere) is nearest.
func parcellate(h int, dirs []geom.Vec3) ([]int, *atlas.Annot) {
	seeds := make([]geom.Vec3, len(regions))
	for i, r := range regions {
		s := r.seed
		s[0] *= hemiSign[h]
		seeds[i] = s.Unit()
	}
	table := []atlas.ColorEntry{{Name: "unknown", R: 25, G: 5, B: 25}}
	for _, r := range regions {
		table = append(table, atlas.ColorEntry{Name: r.name, R: r.r, G: r.g, B: r.b})
	}
	parcel := make([]int, len(dirs))
	values := make([]int32, len(dirs))
	for v, u := range dirs {
		best, bi := -2.0, 0
		for i, s := range seeds {
			if d := u.Dot(s); d > best {
				best, bi = d, i
			}
		}
		parcel[v] = bi
		values[v] = table[bi+1].ID()
	}
	return parcel, &atlas.Annot{Values: values, Table: table, OrigTable: "megflow-simulated-aparc"}
}

// writeAnatomy writes the FreeSurfer subject: surf/{lh,rh}.{white,sphere},
// bem/inner_skull.surf and label/{lh,rh}.aparc.annot.
func writeAnatomy(subjDir string, a *anatomy) error {
	for _, d := range []string{"surf", "bem", "label"} {
		if err := os.MkdirAll(filepath.Join(subjDir, d), 0o755); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
	}
	for h, hemi := range hemiNames {
		if err := writeSurfaceAtomic(filepath.Join(subjDir, "surf", hemi+".white"), a.white[h]); err != nil {
			return err
		}
		if err := writeSurfaceAtomic(filepath.Join(subjDir, "surf", hemi+".sphere"), a.sphere[h]); err != nil {
			return err
		}
		p := filepath.Join(subjDir, "label", hemi+".aparc.annot")
		if err := atlas.WriteAnnot(p, a.annot[h]); err != nil {
			return fmt.Errorf("simulate: %s: %w", p, err)
		}
	}
	return writeSurfaceAtomic(filepath.Join(subjDir, "bem", "inner_skull.surf"), a.innerSkull)
}

// writeSurfaceAtomic writes a FreeSurfer surface under a temporary name and
// renames it into place.
func writeSurfaceAtomic(path string, s *geom.Surface) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	tmp := f.Name()
	f.Close()
	if err := geom.WriteSurface(tmp, s); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("simulate: %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("simulate: %s: %w", path, err)
	}
	return nil
}
