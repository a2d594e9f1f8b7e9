package atlas

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/megflow/megflow/geom"
)

// LabelFile is the content of a FreeSurfer .label file: vertices with
// positions (mm, as in the file) and values.
type LabelFile struct {
	Comment  string
	Vertices []int
	Pos      []geom.Vec3
	Values   []float64
}

// ReadLabelFile reads a FreeSurfer .label file. The hemisphere is taken
// from the file name (lh.* / *-lh.label) by MNE's convention; it is
// returned empty when the name says neither.
func ReadLabelFile(path string) (*LabelFile, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	lf, err := ParseLabelFile(b)
	if err != nil {
		return nil, "", fmt.Errorf("atlas: %s: %w", path, err)
	}
	base := filepath.Base(path)
	hemi := ""
	switch {
	case strings.HasPrefix(base, "lh.") || strings.HasSuffix(base, "-lh.label"):
		hemi = "lh"
	case strings.HasPrefix(base, "rh.") || strings.HasSuffix(base, "-rh.label"):
		hemi = "rh"
	}
	return lf, hemi, nil
}

// ParseLabelFile parses the text of a .label file.
func ParseLabelFile(b []byte) (*LabelFile, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	lf := &LabelFile{}
	line := 0
	next := func() (string, bool) {
		for sc.Scan() {
			line++
			return sc.Text(), true
		}
		return "", false
	}
	first, ok := next()
	if !ok {
		return nil, fmt.Errorf("empty file")
	}
	lf.Comment = strings.TrimPrefix(first, "#")
	cnt, ok := next()
	if !ok {
		return nil, fmt.Errorf("line 2: missing vertex count")
	}
	n, err := strconv.Atoi(strings.TrimSpace(cnt))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("line 2: bad vertex count %q", cnt)
	}
	for i := 0; i < n; i++ {
		s, ok := next()
		if !ok {
			return nil, fmt.Errorf("line %d: %d of %d vertices", line+1, i, n)
		}
		f := strings.Fields(s)
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: want 5 fields (vertex x y z value), got %d", line, len(f))
		}
		v, err := strconv.Atoi(f[0])
		if err != nil || v < 0 {
			return nil, fmt.Errorf("line %d: bad vertex %q", line, f[0])
		}
		var x [4]float64
		for k := range x {
			if x[k], err = strconv.ParseFloat(f[k+1], 64); err != nil {
				return nil, fmt.Errorf("line %d: bad number %q", line, f[k+1])
			}
		}
		lf.Vertices = append(lf.Vertices, v)
		lf.Pos = append(lf.Pos, geom.Vec3{x[0], x[1], x[2]})
		lf.Values = append(lf.Values, x[3])
	}
	return lf, sc.Err()
}

// Bytes encodes the label in FreeSurfer's text format.
func (lf *LabelFile) Bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#%s\n%d\n", lf.Comment, len(lf.Vertices))
	for i, v := range lf.Vertices {
		var p geom.Vec3
		if i < len(lf.Pos) {
			p = lf.Pos[i]
		}
		var val float64
		if i < len(lf.Values) {
			val = lf.Values[i]
		}
		fmt.Fprintf(&b, "%d  %.3f  %.3f  %.3f %.10f\n", v, p[0], p[1], p[2], val)
	}
	return b.Bytes()
}

// WriteLabelFile writes l as <dir>/<name>.label (name as in MNE,
// "<parcel>-<hemi>"), positions from surf (mm; nil: zeros).
func WriteLabelFile(dir string, l Label, surf *geom.Surface) (string, error) {
	lf := &LabelFile{Comment: "Label " + l.Name + " written by megflow", Vertices: l.Vertices}
	for _, v := range l.Vertices {
		var p geom.Vec3
		if surf != nil {
			if v >= len(surf.Rr) {
				return "", fmt.Errorf("atlas: label %s: vertex %d outside the surface (%d vertices)", l.Name, v, len(surf.Rr))
			}
			p = surf.Rr[v]
		}
		lf.Pos = append(lf.Pos, p)
	}
	path := filepath.Join(dir, l.Name+".label")
	return path, writeAtomic(path, lf.Bytes())
}
