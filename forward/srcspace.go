package forward

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
)

// OctSphere returns MNE's recursively subdivided octahedron on the unit
// sphere (_tessellate_sphere): level 1 is the octahedron (6 vertices),
// every further level splits each triangle in four; level 6 has 4098
// vertices and 8192 triangles. Vertex order and triangle winding follow
// MNE, so the source spaces built from it are identical.
func OctSphere(level int) ([]geom.Vec3, [][3]int32, error) {
	if level < 1 || level > 8 {
		return nil, nil, fmt.Errorf("forward: octahedron subdivision level %d out of range 1..8", level)
	}
	rr := []geom.Vec3{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}
	// The octahedron's faces with reversed winding (counter-clockwise).
	base := [][3]int32{{0, 4, 2}, {2, 4, 1}, {1, 4, 3}, {3, 4, 0}, {0, 2, 5}, {2, 1, 5}, {1, 3, 5}, {3, 0, 5}}
	tris := make([][3]int32, len(base))
	for i, t := range base {
		tris[i] = [3]int32{t[2], t[1], t[0]}
	}
	mid := func(a, b int32) geom.Vec3 {
		c := rr[a].Add(rr[b])
		normalizeVec(&c)
		return c
	}
	for l := 1; l < level; l++ {
		nt := len(tris)
		n0 := int32(len(rr))
		as := make([]geom.Vec3, nt)
		bs := make([]geom.Vec3, nt)
		cs := make([]geom.Vec3, nt)
		for i, t := range tris {
			as[i] = mid(t[0], t[2])
			bs[i] = mid(t[0], t[1])
			cs[i] = mid(t[1], t[2])
		}
		rr = append(rr, as...)
		rr = append(rr, bs...)
		rr = append(rr, cs...)
		next := make([][3]int32, 0, 4*nt)
		for i, t := range tris {
			a := n0 + int32(i)
			b := n0 + int32(nt) + int32(i)
			c := n0 + int32(2*nt) + int32(i)
			next = append(next, [3]int32{t[0], b, a}, [3]int32{b, t[1], c}, [3]int32{a, b, c}, [3]int32{a, c, t[2]})
		}
		tris = next
	}
	// Merge duplicate points in order of first use, as MNE does.
	out := make([]geom.Vec3, 0, len(rr))
	for k := range tris {
		for j := range 3 {
			p := rr[tris[k][j]]
			found := -1
			for i := range out {
				if out[i].Dot(p) > 0.99999 {
					found = i
					break
				}
			}
			if found < 0 {
				out = append(out, p)
				found = len(out) - 1
			}
			tris[k][j] = int32(found)
		}
	}
	return out, tris, nil
}

func normalizeVec(v *geom.Vec3) float64 {
	n := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	if n > 0 {
		v[0] /= n
		v[1] /= n
		v[2] /= n
	}
	return n
}

// ParseSpacing parses a source-space spacing ("oct6", "ico5", "all") into
// its kind and grade.
func ParseSpacing(s string) (kind string, grade int, err error) {
	if s == "all" {
		return "all", 0, nil
	}
	for _, k := range []string{"oct", "ico"} {
		if rest, ok := strings.CutPrefix(s, k); ok {
			// As MNE: octahedra from grade 1, icosahedra from grade 0.
			lowest := 1
			if k == "ico" {
				lowest = 0
			}
			g, err := strconv.Atoi(rest)
			if err != nil || g < lowest {
				return "", 0, fmt.Errorf("forward: spacing %q: expected %s followed by a grade >= %d", s, k, lowest)
			}
			return k, g, nil
		}
	}
	return "", 0, fmt.Errorf("forward: spacing %q: expected octN, icoN or all", s)
}

// SourceSpaceOptions selects the surfaces of SetupSourceSpace.
type SourceSpaceOptions struct {
	Spacing string // "oct6" (default), "ico4", "all", ...
	Surface string // "white" (default)
}

// SetupSourceSpace builds the cortical source spaces of both hemispheres
// as mne.setup_source_space(subject, spacing, add_dist=False) does: the
// vertices of subjectsDir/subject/surf/{lh,rh}.<surface> nearest (on
// {lh,rh}.sphere) to the vertices of a subdivided octahedron (octN,
// OctSphere) or icosahedron (icoN, IcoSphere), in MRI coordinates (m),
// with vertex normals of the full surface.
func SetupSourceSpace(subjectsDir, subject string, opt SourceSpaceOptions) ([]*fif.SourceSpace, error) {
	if opt.Spacing == "" {
		opt.Spacing = "oct6"
	}
	if opt.Surface == "" {
		opt.Surface = "white"
	}
	kind, grade, err := ParseSpacing(opt.Spacing)
	if err != nil {
		return nil, err
	}
	var ico []geom.Vec3
	var icoTris [][3]int32
	switch kind {
	case "oct":
		if ico, icoTris, err = OctSphere(grade); err != nil {
			return nil, err
		}
		for i := range ico {
			normalizeVec(&ico[i])
		}
	case "ico":
		if grade > IcoMaxGrade {
			return nil, fmt.Errorf("forward: spacing %q: icosahedron grade %d is above %d (MNE's finest)", opt.Spacing, grade, IcoMaxGrade)
		}
		if ico, icoTris, err = IcoSphere(grade); err != nil {
			return nil, err
		}
		for i := range ico {
			normalizeVec(&ico[i])
		}
	}
	var out []*fif.SourceSpace
	for hi, hemi := range []string{"lh", "rh"} {
		surfPath := filepath.Join(subjectsDir, subject, "surf", hemi+"."+opt.Surface)
		surf, err := geom.ReadSurface(surfPath)
		if err != nil {
			return nil, err
		}
		mesh, err := geom.NewMesh(surf.Rr, surf.Tris)
		if err != nil {
			return nil, fmt.Errorf("forward: %s: %w", surfPath, err)
		}
		np := len(surf.Rr)
		inuse := make([]int32, np)
		var useTris [][3]int32
		if kind == "all" {
			for i := range inuse {
				inuse[i] = 1
			}
		} else {
			spherePath := filepath.Join(subjectsDir, subject, "surf", hemi+".sphere")
			sph, err := geom.ReadSurface(spherePath)
			if err != nil {
				return nil, err
			}
			if len(sph.Rr) != np {
				return nil, fmt.Errorf("forward: %s has %d vertices but %s has %d: the sphere does not belong to this surface (parcellation or reconstruction error?)", spherePath, len(sph.Rr), surfPath, np)
			}
			srr := make([]geom.Vec3, np)
			for i, r := range sph.Rr {
				srr[i] = r
				normalizeVec(&srr[i])
			}
			// MNE maps with scikit-learn's BallTree; exact ties between
			// sphere vertices are common, so the same tree decides them.
			tree := newBallTree(srr)
			mmap := make([]int32, len(ico))
			parallelFor(len(ico), func(lo, hi int) {
				for k := lo; k < hi; k++ {
					mmap[k] = tree.nearest(ico[k])
				}
			})
			for k, v := range mmap {
				if inuse[v] != 0 {
					neigh := mesh.NeighborVertices(int(v))
					moved := false
					for i := len(neigh) - 1; i >= 0; i-- {
						if inuse[neigh[i]] == 0 {
							mmap[k] = neigh[i]
							moved = true
							break
						}
					}
					if !moved {
						return nil, fmt.Errorf("forward: %s: could not find a free neighbour for source %d of %d", surfPath, k, len(mmap))
					}
				}
				inuse[mmap[k]] = 1
			}
			useTris = make([][3]int32, len(icoTris))
			for i, t := range icoTris {
				useTris[i] = [3]int32{mmap[t[0]], mmap[t[1]], mmap[t[2]]}
			}
		}
		s := &fif.SourceSpace{
			Type: fif.SpaceSurface, ID: fif.SourceSpaceLH + int32(hi), CoordFrame: fif.FrameMRI,
			SubjectHisID: subject, Rr: make([][3]float64, np), NN: make([][3]float64, np),
			Inuse: inuse, Tris: surf.Tris, UseTris: useTris,
		}
		for i := range np {
			s.Rr[i] = surf.Rr[i].Scale(1e-3)
			s.NN[i] = mesh.NN[i]
			if mesh.NN[i] == (geom.Vec3{}) {
				s.Inuse[i] = 0
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// nearestVertices returns, for each query point, the index of the nearest
// point of pts (brute force; first index on ties).
func nearestVertices(pts, queries []geom.Vec3) []int32 {
	out := make([]int32, len(queries))
	parallelFor(len(queries), func(lo, hi int) {
		for q := lo; q < hi; q++ {
			best, bi := math.Inf(1), 0
			x := queries[q]
			for i, p := range pts {
				d0, d1, d2 := p[0]-x[0], p[1]-x[1], p[2]-x[2]
				if d := d0*d0 + d1*d1 + d2*d2; d < best {
					best, bi = d, i
				}
			}
			out[q] = int32(bi)
		}
	})
	return out
}
