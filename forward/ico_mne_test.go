package forward

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// mneIcoOffTable is how many coordinates of IcoSphere(grade) are allowed
// to be one unit of the fourth decimal away from MNE's icosahedron table:
// the table's values were rounded from a computation whose last-bit noise
// is unknown, and those coordinates lie within 3e-7 of a rounding
// boundary. All other coordinates are equal to < 1e-12.
var mneIcoOffTable = [IcoMaxGrade + 1]int{0, 0, 0, 1, 8, 10, 57, 277}

// readRaw reads a file of little-endian values written by numpy's tofile.
func readRaw[T float64 | int32](t *testing.T, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var z T
	out := make([]T, len(b)/binary.Size(z))
	if _, err := binary.Decode(b, binary.LittleEndian, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIcoSphereVsMNE compares IcoSphere with mne.surface._get_ico_surface
// for every grade MNE has: identical triangles (so identical vertex
// numbering), and positions equal to < 1e-12 except for the few table
// roundings counted in mneIcoOffTable.
func TestIcoSphereVsMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	dir := t.TempDir()
	script := `
import sys, os, numpy as np, mne
mne.set_log_level("ERROR")
from mne.surface import _get_ico_surface
for g in range(8):
    s = _get_ico_surface(g)
    np.ascontiguousarray(s["rr"], "<f8").tofile(os.path.join(sys.argv[1], "rr%d" % g))
    np.ascontiguousarray(s["tris"], "<i4").tofile(os.path.join(sys.argv[1], "tris%d" % g))
`
	if out, err := exec.Command(sharedtest.Python, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("MNE: %v\n%s", err, out)
	}
	for g := 0; g <= IcoMaxGrade; g++ {
		t.Run(fmt.Sprintf("ico%d", g), func(t *testing.T) {
			rr, tris, err := IcoSphere(g)
			if err != nil {
				t.Fatal(err)
			}
			exact, _ := icoSphereExact(g)
			mrr := readRaw[float64](t, filepath.Join(dir, fmt.Sprint("rr", g)))
			mtris := readRaw[int32](t, filepath.Join(dir, fmt.Sprint("tris", g)))
			if 3*len(rr) != len(mrr) || 3*len(tris) != len(mtris) {
				t.Fatalf("%d vertices, %d triangles; MNE has %d, %d", len(rr), len(tris), len(mrr)/3, len(mtris)/3)
			}
			badTri := 0
			for i, tr := range tris {
				if tr != [3]int32{mtris[3*i], mtris[3*i+1], mtris[3*i+2]} {
					if badTri < 5 {
						t.Errorf("triangle %d: %v, MNE %v", i, tr, mtris[3*i:3*i+3])
					}
					badTri++
				}
			}
			var maxd float64
			off := 0
			for i, r := range rr {
				for k := range 3 {
					d := math.Abs(r[k] - mrr[3*i+k])
					switch {
					case d < 1e-12:
						maxd = math.Max(maxd, d)
					case math.Abs(d-1e-4) < 1e-6:
						// A table rounding: the exact value must be
						// next to the boundary between the two.
						q := math.Abs(exact[i][k]) * 1e4
						if b := math.Abs(q-math.Floor(q)-0.5) / 1e4; b > 3e-7 {
							t.Errorf("vertex %d coordinate %d: %.10f, MNE %.10f, exact %.10f is %.3g from a rounding boundary",
								i, k, r[k], mrr[3*i+k], exact[i][k], b)
						}
						off++
					default:
						t.Errorf("vertex %d coordinate %d: %.10f, MNE %.10f", i, k, r[k], mrr[3*i+k])
					}
				}
			}
			t.Logf("ico%d: %d vertices, %d triangles (%d differ); max |drr| %.3g over all but %d coordinates, which are 1e-4 off (table rounding)",
				g, len(rr), len(tris), badTri, maxd, off)
			if badTri > 0 {
				t.Errorf("%d triangles differ", badTri)
			}
			if off > mneIcoOffTable[g] {
				t.Errorf("%d coordinates off by one table unit, expected at most %d", off, mneIcoOffTable[g])
			}
		})
	}
}

// TestSourceSpaceIcoVsMNE compares SetupSourceSpace(spacing icoN) for
// fsaverage5 with mne.setup_source_space(..., add_dist=False): MNE reads
// megflow's -src.fif and checks vertno, nuse, use_tris and the geometry
// against its own, and megflow reads MNE's file and checks the same.
// fsaverage5 is itself an ico5 subject, so ico5 uses every vertex.
func TestSourceSpaceIcoVsMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	sd := subjectsDir(t)
	for _, spacing := range []string{"ico3", "ico4", "ico5"} {
		t.Run(spacing, func(t *testing.T) {
			src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: spacing})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			mine := filepath.Join(dir, "mine-src.fif")
			if err := fif.WriteSourceSpaces(mine, src); err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(dir, "mne-src.fif")
			script := `
import sys, numpy as np, mne
mne.set_log_level("ERROR")
spacing, sd, mine, ref = sys.argv[1:5]
src = mne.setup_source_space("fsaverage5", spacing=spacing, subjects_dir=sd, add_dist=False)
mne.write_source_spaces(ref, src, overwrite=True)
got = mne.read_source_spaces(mine)
for a, b in zip(src, got):
    assert a["nuse"] == b["nuse"], (a["nuse"], b["nuse"])
    assert np.array_equal(a["vertno"], b["vertno"]), "vertno"
    assert np.array_equal(a["use_tris"], b["use_tris"]), "use_tris"
    assert int(np.ravel(a["nuse_tri"])[0]) == int(np.ravel(b["nuse_tri"])[0]), "nuse_tri"
    assert np.abs(a["rr"] - b["rr"]).max() < 1e-6, "rr"
    assert np.abs(a["nn"][a["vertno"]] - b["nn"][b["vertno"]]).max() < 1e-6, "nn"
    print(spacing, a["nuse"], len(a["use_tris"]), "vertno and use_tris identical")
`
			out, err := exec.Command(sharedtest.Python, "-c", script, spacing, sd, mine, ref).CombinedOutput()
			if err != nil {
				t.Fatalf("MNE: %v\n%s", err, out)
			}
			t.Logf("MNE: %s", strings.TrimSpace(string(out)))
			want, err := fif.ReadSourceSpaces(ref)
			if err != nil {
				t.Fatal(err)
			}
			for h, s := range src {
				w := want[h]
				if s.NUse() != w.NUse() || len(s.UseTris) != len(w.UseTris) {
					t.Fatalf("hemisphere %d: nuse %d, %d triangles; MNE %d, %d", h, s.NUse(), len(s.UseTris), w.NUse(), len(w.UseTris))
				}
				for i := range s.Inuse {
					if s.Inuse[i] != w.Inuse[i] {
						t.Fatalf("hemisphere %d: vertex %d in use %d, MNE %d", h, i, s.Inuse[i], w.Inuse[i])
					}
				}
				for i := range s.UseTris {
					if s.UseTris[i] != w.UseTris[i] {
						t.Fatalf("hemisphere %d: use_tris[%d] = %v, MNE %v", h, i, s.UseTris[i], w.UseTris[i])
					}
				}
				t.Logf("hemisphere %d: %d of %d vertices, %d triangles, identical to MNE", h, s.NUse(), s.NP(), len(s.UseTris))
			}
		})
	}
}

// TestBEMIcoOrderGolden checks that MakeBEMModel downsamples fsaverage5's
// ico5 inner skull to ico4 exactly as mne.make_bem_model(ico=4) does:
// the vertices in MNE's order (no permutation) and identical triangles.
func TestBEMIcoOrderGolden(t *testing.T) {
	g := openGolden(t)
	b, err := MakeBEMModel(subjectsDir(t), "fsaverage5", 4, []float64{0.3})
	if err != nil {
		t.Fatal(err)
	}
	s := b.Surfs[0]
	rr, _ := readF(t, g, "bem/rr")
	tris := readI(t, g, "bem/tris")
	if 3*len(s.Rr) != len(rr) || 3*len(s.Tris) != len(tris) {
		t.Fatalf("%d vertices, %d triangles; MNE %d, %d", len(s.Rr), len(s.Tris), len(rr)/3, len(tris)/3)
	}
	drr := maxAbsVec(s.Rr, rr)
	for i, tr := range s.Tris {
		for k := range 3 {
			if int64(tr[k]) != tris[3*i+k] {
				t.Fatalf("triangle %d: %v, MNE %v", i, tr, tris[3*i:3*i+3])
			}
		}
	}
	t.Logf("ico4 inner skull: %d vertices in MNE's order (max |drr| %.3g m), %d identical triangles", len(s.Rr), drr, len(s.Tris))
	if drr > 1e-9 {
		t.Errorf("vertex positions differ from MNE's in the same order: %.3g m", drr)
	}
}
