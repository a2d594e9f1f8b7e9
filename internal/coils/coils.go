// Package coils holds the MEG coil definitions: for each coil type and
// accuracy, the integration points (position and normal in the coil frame,
// weight) that turn a magnetic field into a channel's reading. They are
// the numbers of MNE's coil_def.dat (Matti Hämäläinen's definitions): the
// Neuromag/Elekta/MEGIN types (Neuromag-122, Vectorview and TRIUX planar
// gradiometers and magnetometers, the point magnetometer) are compiled in
// (defs_gen.go, made by ./gen from coil_def.dat), so megflow needs no
// external file; ReadFile and Parse read a coil_def.dat for other systems.
//
// Maxwell filtering and the forward model use the same definitions.
package coils

//go:generate go run ./gen -in ../../../shared/data/coils/coil_def.dat -out defs_gen.go

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/megflow/megflow/geom"
)

// Class is the kind of sensor a coil definition describes.
type Class int

// Coil classes of coil_def.dat.
const (
	ClassMag        Class = 1 // magnetometer
	ClassAxialGrad  Class = 2 // axial gradiometer
	ClassPlanarGrad Class = 3 // planar gradiometer
	ClassAxialGrad2 Class = 4 // axial second-order gradiometer
)

// Accuracy selects how many integration points represent a coil.
type Accuracy int

// Accuracies of coil_def.dat.
const (
	AccuracyPoint    Accuracy = 0 // point approximation
	AccuracyNormal   Accuracy = 1
	AccuracyAccurate Accuracy = 2 // what Maxwell filtering and MNE's forward model use
)

// Point is one integration point of a coil, in the coil's own frame
// (metres): the field at R along the unit normal N, times the weight W,
// summed over the points, gives the channel's reading.
type Point struct {
	W float64
	R geom.Vec3
	N geom.Vec3
}

// Def is one coil definition.
type Def struct {
	Class    Class
	Type     int32 // FIFF coil type (e.g. 3012 Vectorview planar gradiometer T1)
	Accuracy Accuracy
	Size     float64 // metres
	Base     float64 // baseline of gradiometers, metres (0 for magnetometers)
	Desc     string
	Points   []Point
}

// TypePointMagnetometer is the coil type of an ideal point magnetometer
// (one integration point), used for gradiometer imbalance in fine
// calibration.
const TypePointMagnetometer int32 = 2000

// Builtin returns the compiled-in definitions (every accuracy of the
// Neuromag-122, Vectorview/TRIUX and point-magnetometer types). The slice
// is shared: do not modify it.
func Builtin() []Def { return builtin }

// Lookup returns the compiled-in definition of a coil type (the low 16
// bits of a FIFF coil type, as MNE matches them) at an accuracy.
func Lookup(coilType int32, acc Accuracy) (*Def, error) {
	if d, ok := Find(builtin, coilType, acc); ok {
		return d, nil
	}
	return nil, fmt.Errorf("coils: no built-in definition for coil type %d at accuracy %d (megflow compiles in the Neuromag/Vectorview/TRIUX types; read a coil_def.dat with ReadFile for other systems)", coilType, acc)
}

// Find returns the first definition of defs with the coil type (low 16
// bits compared) and accuracy.
func Find(defs []Def, coilType int32, acc Accuracy) (*Def, bool) {
	for i := range defs {
		if defs[i].Type == coilType&0xFFFF && defs[i].Accuracy == acc {
			return &defs[i], true
		}
	}
	return nil, false
}

// Place returns the integration points of the coil placed with the sensor
// transform t (coil frame to device or head): positions moved and rotated,
// normals rotated.
func (d *Def) Place(t geom.Transform) (r, n []geom.Vec3) {
	r = make([]geom.Vec3, len(d.Points))
	n = make([]geom.Vec3, len(d.Points))
	for i, p := range d.Points {
		r[i] = t.Apply(p.R)
		n[i] = t.ApplyDir(p.N)
	}
	return r, n
}

// ReadFile reads a coil definition file in MNE's coil_def.dat format.
func ReadFile(path string) ([]Def, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defs, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return defs, nil
}

// Parse reads coil definitions in MNE's coil_def.dat format: lines starting
// with '#' are comments; a definition is a header line
//
//	class type accuracy npoints size baseline "description"
//
// followed by npoints lines "w x y z nx ny nz". Normals are scaled to unit
// length, as MNE does; points farther than 0.5 m from the coil centre and
// zero normals are errors.
func Parse(r io.Reader) ([]Def, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	lineNo := 0
	next := func() (string, bool) {
		for sc.Scan() {
			lineNo++
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			return line, true
		}
		return "", false
	}
	var defs []Def
	for {
		line, ok := next()
		if !ok {
			break
		}
		q := strings.IndexByte(line, '"')
		if q < 0 || !strings.HasSuffix(line, `"`) || q == len(line)-1 {
			return nil, fmt.Errorf("coils: line %d: coil header without a quoted description: %q", lineNo, line)
		}
		vals, err := parseFloats(line[:q])
		if err != nil || len(vals) != 6 {
			return nil, fmt.Errorf("coils: line %d: want 6 numbers before the description, got %q", lineNo, line[:q])
		}
		np := int(vals[3])
		if float64(np) != vals[3] || np < 1 || np > 10000 {
			return nil, fmt.Errorf("coils: line %d: bad number of integration points %g", lineNo, vals[3])
		}
		d := Def{
			Class:    Class(vals[0]),
			Type:     int32(vals[1]),
			Accuracy: Accuracy(vals[2]),
			Size:     vals[4],
			Base:     vals[5],
			Desc:     line[q+1 : len(line)-1],
			Points:   make([]Point, np),
		}
		for p := range np {
			pl, ok := next()
			if !ok {
				return nil, fmt.Errorf("coils: coil type %d: file ends after %d of %d integration points", d.Type, p, np)
			}
			v, err := parseFloats(pl)
			if err != nil || len(v) != 7 {
				return nil, fmt.Errorf("coils: line %d: want 7 numbers (w x y z nx ny nz), got %q", lineNo, pl)
			}
			pt := Point{W: v[0], R: geom.Vec3{v[1], v[2], v[3]}, N: geom.Vec3{v[4], v[5], v[6]}}
			if pt.R.Norm() > 0.5 {
				return nil, fmt.Errorf("coils: line %d: unreasonable integration point %v (more than 0.5 m from the coil centre)", lineNo, pt.R)
			}
			size := math.Sqrt(pt.N.Dot(pt.N))
			if !(size > 0) {
				return nil, fmt.Errorf("coils: line %d: unreasonable normal %v", lineNo, pt.N)
			}
			pt.N = geom.Vec3{pt.N[0] / size, pt.N[1] / size, pt.N[2] / size}
			d.Points[p] = pt
		}
		defs = append(defs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("coils: line %d: %w", lineNo, err)
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("coils: no coil definitions found")
	}
	return defs, nil
}

func parseFloats(s string) ([]float64, error) {
	f := strings.Fields(s)
	out := make([]float64, len(f))
	for i, t := range f {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
