package geom

import (
	"math"
	"path/filepath"
	"testing"
)

// octahedron returns a closed unit octahedron with outward winding.
func octahedron() ([]Vec3, [][3]int32) {
	rr := []Vec3{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}
	tris := [][3]int32{{2, 4, 0}, {1, 4, 2}, {3, 4, 1}, {0, 4, 3}, {5, 2, 0}, {5, 1, 2}, {5, 3, 1}, {5, 0, 3}}
	return rr, tris
}

func TestSurfaceRoundTrip(t *testing.T) {
	rr, tris := octahedron()
	p := filepath.Join(t.TempDir(), "lh.test")
	if err := WriteSurface(p, &Surface{Rr: rr, Tris: tris}); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSurface(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rr) != 6 || len(s.Tris) != 8 || s.Tris[3] != tris[3] || s.Rr[4] != rr[4] {
		t.Fatalf("round trip: %v %v", s.Rr, s.Tris)
	}
	if _, err := ParseSurface([]byte{1, 2, 3, 4}); err == nil {
		t.Fatal("bad magic accepted")
	}
}

func TestMeshGeometry(t *testing.T) {
	rr, tris := octahedron()
	m, err := NewMesh(rr, tris)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckTopology(); err != nil {
		t.Fatal(err)
	}
	if err := m.CheckClosed("octahedron"); err != nil {
		t.Fatal(err)
	}
	// Vertex normals of a symmetric octahedron point outwards.
	for i, n := range m.NN {
		if d := n.Dot(rr[i]); math.Abs(d-1) > 1e-12 {
			t.Errorf("normal %d = %v", i, n)
		}
	}
	if !m.Inside(Vec3{0.1, 0.1, 0.1}) || m.Inside(Vec3{2, 0, 0}) {
		t.Error("inside test wrong")
	}
	if got := m.NeighborVertices(4); len(got) != 4 {
		t.Errorf("neighbours of 4: %v", got)
	}
	// Removing a triangle opens the surface.
	open, _ := NewMesh(rr, tris[1:])
	if err := open.CheckClosed("open"); err == nil {
		t.Error("open surface passes the closedness check")
	}
	if _, err := NewMesh(rr, [][3]int32{{0, 1, 9}}); err == nil {
		t.Error("bad vertex index accepted")
	}
}

func TestParseCurv(t *testing.T) {
	b := []byte{0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}
	b = append(b, 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0) // 1, -2
	v, err := ParseCurv(b)
	if err != nil || len(v) != 2 || v[0] != 1 || v[1] != -2 {
		t.Fatalf("%v %v", v, err)
	}
	if _, err := ParseCurv(b[:16]); err == nil {
		t.Fatal("short file accepted")
	}
}

func TestQuadSurface(t *testing.T) {
	// New quad format: magic, 3-byte counts, float32 vertices, 3-byte quads.
	b := []byte{0xFF, 0xFF, 0xFD, 0, 0, 4, 0, 0, 1}
	for _, x := range []float32{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0} {
		u := math.Float32bits(x)
		b = append(b, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	b = append(b, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3)
	s, err := ParseSurface(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rr) != 4 || len(s.Tris) != 2 || s.Rr[2] != (Vec3{1, 1, 0}) {
		t.Fatalf("%v %v", s.Rr, s.Tris)
	}
}
