package fif

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// transFlat returns the 16 matrix elements, row-major.
func transFlat(t *Transform) []float64 {
	out := make([]float64, 0, 16)
	for i := range 4 {
		out = append(out, t.M[i][:]...)
	}
	return out
}

// transMNEDump is what the Python snippets report for a transform.
type transMNEDump struct {
	From  int32       `json:"from"`
	To    int32       `json:"to"`
	Trans [][]float64 `json:"trans"`
}

func (m transMNEDump) flat() []float64 {
	var out []float64
	for _, r := range m.Trans {
		out = append(out, r...)
	}
	return out
}

func TestTransAgainstMNE(t *testing.T) {
	src := fobjData(t, "sample_audvis_trunc-trans.fif")
	tr, err := ReadTrans(src)
	if err != nil {
		t.Fatal(err)
	}
	if tr.From != FrameHead || tr.To != FrameMRI {
		t.Errorf("transform %d -> %d, want head (4) -> MRI (5)", tr.From, tr.To)
	}
	all, err := ReadTransAll(src)
	if err != nil || len(all) != 1 || *all[0] != *tr {
		t.Errorf("ReadTransAll: %v, %v", all, err)
	}
	out := filepath.Join(t.TempDir(), "ours-trans.fif")
	if err := WriteTrans(out, tr); err != nil {
		t.Fatal(err)
	}
	var got []transMNEDump
	fobjMNE(t, &got, `
import sys, json, mne
out = []
for p in sys.argv[1:]:
    t = mne.read_trans(p)
    out.append(dict(trans=t['trans'].tolist(), **{'from': int(t['from']), 'to': int(t['to'])}))
print(json.dumps(out))
`, src, out)
	if len(got) != 2 {
		t.Fatalf("snippet returned %d transforms", len(got))
	}
	for i, name := range []string{"original", "written by megflow"} {
		if got[i].From != tr.From || got[i].To != tr.To {
			t.Errorf("%s: MNE reads %d -> %d, megflow %d -> %d", name, got[i].From, got[i].To, tr.From, tr.To)
		}
		fobjBitEqual(t, name+" matrix", got[i].flat(), transFlat(tr))
	}
}

func TestTransRoundTrip(t *testing.T) {
	// A rotation about an oblique axis plus a translation, rounded to what
	// the file holds (single precision).
	a := 0.3
	c, s := math.Cos(a), math.Sin(a)
	tr := &Transform{From: FrameDevice, To: FrameHead, M: [4][4]float64{
		{c, -s, 0, 0.01}, {s * 0.6, c * 0.6, 0.8, -0.02}, {-s * 0.8, -c * 0.8, 0.6, 0.045}, {0, 0, 0, 1},
	}}
	for i := range 3 {
		for j := range 4 {
			tr.M[i][j] = float64(float32(tr.M[i][j]))
		}
	}
	p := filepath.Join(t.TempDir(), "x-trans.fif")
	if err := WriteTrans(p, tr); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTrans(p)
	if err != nil {
		t.Fatal(err)
	}
	if *back != *tr {
		t.Errorf("read back %+v, wrote %+v", back, tr)
	}

	// The stored inverse is the inverse in single precision.
	f, err := tree.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, ok := f.Root.Find(tag.CoordTrans)
	if !ok {
		t.Fatal("no FIFF_COORD_TRANS at the top level")
	}
	rec, err := f.CoordTrans(e)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := tr.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range 3 {
			if rec.InvRot[3*i+j] != float32(inv.M[i][j]) {
				t.Errorf("stored inverse rotation [%d][%d] = %v, want %v", i, j, rec.InvRot[3*i+j], float32(inv.M[i][j]))
			}
		}
		if rec.InvMove[i] != float32(inv.M[i][3]) {
			t.Errorf("stored inverse translation [%d] = %v, want %v", i, rec.InvMove[i], float32(inv.M[i][3]))
		}
	}
}

func TestTransInverse(t *testing.T) {
	tr := &Transform{From: FrameHead, To: FrameMRI, M: [4][4]float64{
		{0.99, -0.12, 0.05, 0.003}, {0.11, 0.98, 0.17, -0.015}, {-0.07, -0.16, 0.98, 0.04}, {0, 0, 0, 1},
	}}
	inv, err := tr.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	if inv.From != FrameMRI || inv.To != FrameHead {
		t.Errorf("inverse goes %d -> %d", inv.From, inv.To)
	}
	// The product is the identity up to float64 rounding of a 3x3 solve
	// (a few ulps of the unit entries).
	for i := range 4 {
		for j := range 4 {
			var sum float64
			for k := range 4 {
				sum += tr.M[i][k] * inv.M[k][j]
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(sum-want) > 4e-16 {
				t.Errorf("T * inv(T) [%d][%d] = %v", i, j, sum)
			}
		}
	}
	sing := &Transform{M: [4][4]float64{{1, 2, 3, 0}, {2, 4, 6, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}}
	if _, err := sing.Inverse(); err == nil {
		t.Error("no error inverting a singular transform")
	}
	p := filepath.Join(t.TempDir(), "sing-trans.fif")
	fobjErrorMentions(t, WriteTrans(p, sing), p, "singular")
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed write left %s behind", p)
	}
	proj := &Transform{M: [4][4]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 1, 1}}}
	if _, err := proj.Inverse(); err == nil {
		t.Error("no error inverting a non-affine matrix")
	}
}

// TestObjectReadersDamaged feeds truncated and corrupted copies of the
// shared files to the events, covariance, evoked and transform readers:
// they must return errors (or, where the damage spares what they read,
// results), never panic.
func TestObjectReadersDamaged(t *testing.T) {
	readers := []struct {
		file string
		read func(string) error
	}{
		{"sample_audvis_trunc_raw-eve.fif", func(p string) error { _, err := ReadEvents(p); return err }},
		{"sample_audvis-cov.fif", func(p string) error { _, err := ReadCov(p); return err }},
		{"test_elekta-ave.fif", func(p string) error { _, err := ReadEvokeds(p); return err }},
		{"sample_audvis_trunc-trans.fif", func(p string) error { _, err := ReadTrans(p); return err }},
	}
	dir := t.TempDir()
	for _, r := range readers {
		orig, err := os.ReadFile(fobjData(t, r.file))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, r.file)
		try := func(what string, b []byte) {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s, %s: panic: %v", r.file, what, v)
				}
			}()
			_ = r.read(p)
		}
		const steps = 23
		for i := range steps {
			cut := len(orig) * i / steps
			try(fmt.Sprintf("truncated at %d", cut), orig[:cut])
		}
		// Overwrite 16 bytes with 0xff at positions spread over the file
		// (sizes and kinds become huge or negative).
		for i := 1; i < steps; i++ {
			b := slices.Clone(orig)
			at := len(b) * i / steps
			for k := at; k < min(at+16, len(b)); k++ {
				b[k] = 0xff
			}
			try(fmt.Sprintf("corrupted at %d", at), b)
		}
	}
}

func TestTransMissing(t *testing.T) {
	src := fobjData(t, "sample_audvis_trunc_raw-eve.fif")
	_, err := ReadTrans(src)
	fobjErrorMentions(t, err, src, "FIFF_COORD_TRANS")
	_, err = ReadTrans(filepath.Join(t.TempDir(), "none-trans.fif"))
	fobjErrorMentions(t, err, "none-trans.fif")

	// A coordinate transform tag of the wrong type is an error, not a panic.
	p := filepath.Join(t.TempDir(), "bad-trans.fif")
	w, err := tree.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.Int32s(tag.CoordTrans, 1, 2, 3)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = ReadTrans(p)
	fobjErrorMentions(t, err, p, "coord_trans")
}
