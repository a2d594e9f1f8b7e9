package geom

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// Surface is a FreeSurfer surface geometry file: vertex positions (in the
// units of the file, millimetres for FreeSurfer surfaces) and triangles
// (vertex indices, zero based, in the file's winding order).
type Surface struct {
	Rr   []Vec3
	Tris [][3]int32
	// VolumeInfo is the raw text of the trailing volume-geometry block
	// (empty when the file has none).
	VolumeInfo string
}

// FreeSurfer geometry magic numbers (three bytes, big endian).
const (
	fsTriangleMagic = 0xFFFFFE
	fsQuadMagic     = 0xFFFFFF
	fsNewQuadMagic  = 0xFFFFFD
)

// ReadSurface reads a FreeSurfer surface geometry file (lh.white,
// rh.sphere, bem/inner_skull.surf, ...) in the triangle format, or in the
// (old or new) quadrangle format whose quads are split into two triangles
// as FreeSurfer and MNE do.
func ReadSurface(path string) (*Surface, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geom: %w", err)
	}
	s, err := ParseSurface(b)
	if err != nil {
		return nil, fmt.Errorf("geom: %s: %w", path, err)
	}
	return s, nil
}

// ParseSurface decodes the bytes of a FreeSurfer surface geometry file.
func ParseSurface(b []byte) (*Surface, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("file of %d bytes is too short for a FreeSurfer surface", len(b))
	}
	magic := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	r := bytes.NewReader(b[3:])
	switch magic {
	case fsTriangleMagic:
		return parseTriangleSurface(r)
	case fsQuadMagic, fsNewQuadMagic:
		return parseQuadSurface(r, magic == fsNewQuadMagic)
	}
	return nil, fmt.Errorf("magic number %#06x at offset 0 is not a FreeSurfer surface (expected %#x triangles or %#x quads)", magic, fsTriangleMagic, fsQuadMagic)
}

func parseTriangleSurface(r *bytes.Reader) (*Surface, error) {
	// Two text lines ("created by ..." and an empty line) precede the counts.
	br := bufio.NewReader(r)
	for range 2 {
		if _, err := br.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("reading the comment lines: %w", err)
		}
	}
	var counts [2]int32
	if err := binary.Read(br, binary.BigEndian, &counts); err != nil {
		return nil, fmt.Errorf("reading the vertex and triangle counts: %w", err)
	}
	nv, nt := int(counts[0]), int(counts[1])
	if nv <= 0 || nt <= 0 || nv > 1<<26 || nt > 1<<27 {
		return nil, fmt.Errorf("implausible counts: %d vertices, %d triangles", nv, nt)
	}
	coords := make([]float32, 3*nv)
	if err := binary.Read(br, binary.BigEndian, coords); err != nil {
		return nil, fmt.Errorf("reading %d vertices: %w", nv, err)
	}
	faces := make([]int32, 3*nt)
	if err := binary.Read(br, binary.BigEndian, faces); err != nil {
		return nil, fmt.Errorf("reading %d triangles: %w", nt, err)
	}
	s := &Surface{Rr: make([]Vec3, nv), Tris: make([][3]int32, nt)}
	for i := range s.Rr {
		s.Rr[i] = Vec3{float64(coords[3*i]), float64(coords[3*i+1]), float64(coords[3*i+2])}
	}
	for i := range s.Tris {
		for j := range 3 {
			v := faces[3*i+j]
			if v < 0 || int(v) >= nv {
				return nil, fmt.Errorf("triangle %d refers to vertex %d (the surface has %d)", i, v, nv)
			}
			s.Tris[i][j] = v
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		s.VolumeInfo = string(rest)
	}
	return s, nil
}

func read3(r io.Reader) (int, error) {
	var b [3]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return int(b[0])<<16 | int(b[1])<<8 | int(b[2]), nil
}

func parseQuadSurface(r *bytes.Reader, newFormat bool) (*Surface, error) {
	nv, err := read3(r)
	if err != nil {
		return nil, fmt.Errorf("reading the vertex count: %w", err)
	}
	nq, err := read3(r)
	if err != nil {
		return nil, fmt.Errorf("reading the quad count: %w", err)
	}
	if nv == 0 || nq == 0 {
		return nil, fmt.Errorf("empty quad surface (%d vertices, %d quads)", nv, nq)
	}
	s := &Surface{Rr: make([]Vec3, nv)}
	if newFormat {
		coords := make([]float32, 3*nv)
		if err := binary.Read(r, binary.BigEndian, coords); err != nil {
			return nil, fmt.Errorf("reading %d vertices: %w", nv, err)
		}
		for i := range s.Rr {
			s.Rr[i] = Vec3{float64(coords[3*i]), float64(coords[3*i+1]), float64(coords[3*i+2])}
		}
	} else {
		coords := make([]int16, 3*nv)
		if err := binary.Read(r, binary.BigEndian, coords); err != nil {
			return nil, fmt.Errorf("reading %d vertices: %w", nv, err)
		}
		for i := range s.Rr {
			s.Rr[i] = Vec3{float64(coords[3*i]) / 100, float64(coords[3*i+1]) / 100, float64(coords[3*i+2]) / 100}
		}
	}
	s.Tris = make([][3]int32, 0, 2*nq)
	for q := range nq {
		var v [4]int32
		for j := range 4 {
			x, err := read3(r)
			if err != nil {
				return nil, fmt.Errorf("reading quad %d: %w", q, err)
			}
			if x >= nv {
				return nil, fmt.Errorf("quad %d refers to vertex %d (the surface has %d)", q, x, nv)
			}
			v[j] = int32(x)
		}
		// FreeSurfer's split: the diagonal depends on the parity of the
		// first vertex.
		if v[0]%2 == 0 {
			s.Tris = append(s.Tris, [3]int32{v[0], v[1], v[3]}, [3]int32{v[2], v[3], v[1]})
		} else {
			s.Tris = append(s.Tris, [3]int32{v[0], v[1], v[2]}, [3]int32{v[0], v[2], v[3]})
		}
	}
	return s, nil
}

// Scale multiplies every vertex position by f (e.g. 1e-3 for mm to m).
func (s *Surface) Scale(f float64) {
	for i := range s.Rr {
		s.Rr[i] = s.Rr[i].Scale(f)
	}
}

// normalizeInPlace scales v to unit length and returns its former length
// (zero vectors are left alone).
func normalizeInPlace(v *Vec3) float64 {
	n := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	if n > 0 {
		v[0] /= n
		v[1] /= n
		v[2] /= n
	}
	return n
}

// WriteSurface writes s as a FreeSurfer triangle-format geometry file
// (big endian, float32 coordinates), with the volume info text if any.
func WriteSurface(path string, s *Surface) error {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xFF, 0xFE})
	b.WriteString("created by megflow\n\n")
	_ = binary.Write(&b, binary.BigEndian, [2]int32{int32(len(s.Rr)), int32(len(s.Tris))})
	for _, r := range s.Rr {
		_ = binary.Write(&b, binary.BigEndian, [3]float32{float32(r[0]), float32(r[1]), float32(r[2])})
	}
	for _, t := range s.Tris {
		_ = binary.Write(&b, binary.BigEndian, t)
	}
	b.WriteString(s.VolumeInfo)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("geom: %w", err)
	}
	return nil
}

func float32frombits(u uint32) float32 { return math.Float32frombits(u) }
