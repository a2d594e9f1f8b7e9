package coils

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestBuiltinMatchesFile checks the compiled-in definitions against MNE's
// coil_def.dat in the shared data, number for number.
func TestBuiltinMatchesFile(t *testing.T) {
	path := sharedtest.Path(t, "data/coils/coil_def.dat")
	defs, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []Def
	types := map[int32]bool{}
	for _, d := range defs {
		if slices.Contains([]int32{2, 2000, 3012, 3013, 3014, 3015, 3022, 3023, 3024, 3025}, d.Type) {
			want = append(want, d)
			types[d.Type] = true
		}
	}
	if len(types) != 10 || len(want) != 30 {
		t.Fatalf("file has %d of the 10 Neuromag types (%d definitions)", len(types), len(want))
	}
	if !reflect.DeepEqual(want, Builtin()) {
		t.Fatal("compiled-in definitions differ from coil_def.dat; run go generate in internal/coils")
	}
	// The whole file parses (all systems), with unit normals.
	if len(defs) < 90 {
		t.Fatalf("only %d definitions parsed", len(defs))
	}
	for _, d := range defs {
		for _, p := range d.Points {
			if math.Abs(p.N.Norm()-1) > 1e-12 {
				t.Fatalf("type %d: normal %v not unit", d.Type, p.N)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	d, err := Lookup(3012, AccuracyAccurate)
	if err != nil {
		t.Fatal(err)
	}
	if d.Class != ClassPlanarGrad || len(d.Points) != 8 || d.Base != 0.0168 {
		t.Fatalf("3012 accurate: %+v", d)
	}
	// Gradiometer weights sum to zero; magnetometer weights to one.
	for _, def := range Builtin() {
		s := 0.0
		for _, p := range def.Points {
			s += p.W
		}
		want := 0.0
		if def.Class == ClassMag {
			want = 1
		}
		if math.Abs(s-want) > 1e-9 {
			t.Errorf("type %d acc %d: weights sum to %g", def.Type, def.Accuracy, s)
		}
	}
	// High bits of the coil type are ignored, as in MNE.
	if d2, err := Lookup(3024|0x10000, AccuracyAccurate); err != nil || d2.Type != 3024 || len(d2.Points) != 16 {
		t.Fatalf("3024 with high bits: %v %v", d2, err)
	}
	if _, err := Lookup(5001, AccuracyAccurate); err == nil {
		t.Fatal("CTF type found among the built-in definitions")
	}
	if p, err := Lookup(TypePointMagnetometer, AccuracyAccurate); err != nil || len(p.Points) != 1 {
		t.Fatal("point magnetometer")
	}
}

func TestPlace(t *testing.T) {
	d, _ := Lookup(3024, AccuracyNormal)
	// Coil frame rotated 90 degrees about z and moved.
	tr := geom.CoilTransform([12]float64{0.1, 0, 0, 0, 1, 0, -1, 0, 0, 0, 0, 1})
	r, n := d.Place(tr)
	want := tr.Apply(d.Points[0].R)
	if r[0] != want || n[0] != (geom.Vec3{0, 0, 1}) {
		t.Fatalf("placed %v %v", r[0], n[0])
	}
}

func TestParseErrors(t *testing.T) {
	good := "# c\n1 2000 2 1 0 0 \"Point magnetometer\"\n 1 0 0 0 0 0 2\n"
	defs, err := Parse(strings.NewReader(good))
	if err != nil || len(defs) != 1 || defs[0].Points[0].N != (geom.Vec3{0, 0, 1}) || defs[0].Desc != "Point magnetometer" {
		t.Fatalf("%v %+v", err, defs)
	}
	for name, s := range map[string]string{
		"empty":      "# nothing\n",
		"no desc":    "1 2000 2 1 0 0\n1 0 0 0 0 0 1\n",
		"short":      "1 2000 2 2 0 0 \"x\"\n1 0 0 0 0 0 1\n",
		"bad point":  "1 2000 2 1 0 0 \"x\"\n1 0 0 0 0 1\n",
		"far point":  "1 2000 2 1 0 0 \"x\"\n1 0.6 0 0 0 0 1\n",
		"zero norm":  "1 2000 2 1 0 0 \"x\"\n1 0 0 0 0 0 0\n",
		"bad number": "1 2000 2 x 0 0 \"x\"\n1 0 0 0 0 0 1\n",
	} {
		if _, err := Parse(strings.NewReader(s)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
