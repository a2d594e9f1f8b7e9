package geom

import (
	"encoding/binary"
	"fmt"
	"os"
)

// ReadCurv reads a FreeSurfer per-vertex scalar file in the "new" curv
// format (lh.curv, lh.sulc, lh.thickness, ...): one value per vertex.
func ReadCurv(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geom: %w", err)
	}
	v, err := ParseCurv(b)
	if err != nil {
		return nil, fmt.Errorf("geom: %s: %w", path, err)
	}
	return v, nil
}

// ParseCurv decodes the bytes of a FreeSurfer curv file (new format: magic
// 0xFFFFFF, vertex count, face count, values per vertex = 1, float32 big
// endian values).
func ParseCurv(b []byte) ([]float64, error) {
	if len(b) < 15 || b[0] != 0xFF || b[1] != 0xFF || b[2] != 0xFF {
		return nil, fmt.Errorf("not a FreeSurfer curv file (new format, magic 0xFFFFFF)")
	}
	nv := int(int32(binary.BigEndian.Uint32(b[3:])))
	per := int(int32(binary.BigEndian.Uint32(b[11:])))
	if nv <= 0 || per != 1 {
		return nil, fmt.Errorf("curv header: %d vertices, %d values per vertex (expected > 0 and 1)", nv, per)
	}
	if len(b) < 15+4*nv {
		return nil, fmt.Errorf("curv file of %d bytes too short for %d values", len(b), nv)
	}
	out := make([]float64, nv)
	for i := range out {
		out[i] = float64(float32frombits(binary.BigEndian.Uint32(b[15+4*i:])))
	}
	return out, nil
}
