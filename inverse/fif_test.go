package inverse_test

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

// TestInverseFIFVsMNE makes the golden operator from MNE's -fwd.fif (read
// with fif.ReadForward), writes it as -inv.fif, has MNE-Python read it and
// apply it (scripts/mne_inverse_compare.py) to two epochs with every
// method and pick_ori, and compares with megflow's own application of the
// operator and of the operator read back with fif.ReadInverse.
func TestInverseFIFVsMNE(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	mneForward(t) // makes the -fwd.fif
	ff, err := fif.ReadForward(fwdFIF)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		t.Fatal(err)
	}
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gold := goldenOperator(t)
	if e := relErr(op.Sing, gold.Sing); e > 1e-6 {
		t.Errorf("operator from -fwd.fif: sing differs from the HDF5 fixture's by %.3g", e)
	}
	dir := t.TempDir()
	invPath := filepath.Join(dir, "test-inv.fif")
	rec, err := op.ToFIF()
	if err != nil {
		t.Fatal(err)
	}
	if err := fif.WriteInverse(invPath, rec); err != nil {
		t.Fatal(err)
	}
	back, err := fif.ReadInverse(invPath)
	if err != nil {
		t.Fatal(err)
	}
	op2, err := inverse.OperatorFromFIF(back)
	if err != nil {
		t.Fatal(err)
	}

	const ne = 1
	nt := len(ep.Times)
	nc := len(ep.Info.Chs)
	epPath := filepath.Join(dir, "epochs.h5")
	w, err := h5.Create(epPath)
	if err != nil {
		t.Fatal(err)
	}
	var data []float64
	for i := range ne {
		data = append(data, ep.Data[i]...)
	}
	_ = w.WriteFloat64("data", data, []int{ne, nc, nt})
	_ = w.WriteStrings("ch_names", ep.Info.ChNames())
	_ = w.WriteFloat64("tmin", []float64{ep.Times[0]}, []int{})
	_ = w.SetAttrFloat64("/", "lambda2", 1.0/9)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "mne.h5")
	script := filepath.Join("..", "scripts", "mne_inverse_compare.py")
	cmd := exec.Command(sharedtest.Python, script, invPath, epPath, sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"), outPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	f, err := h5.Open(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sing, _, _ := f.ReadFloat64("sing")
	t.Logf("sing read by MNE: rel error %.3g", relErr(sing, op.Sing))
	if e := relErr(sing, op.Sing); e > 1e-6 {
		t.Errorf("sing read by MNE differs: %.3g", e)
	}
	in := epochInput(ep, ne)
	for _, m := range []inverse.Method{inverse.MNE, inverse.DSPM, inverse.SLORETA} {
		for _, p := range []inverse.PickOri{inverse.PickNone, inverse.PickNormal, inverse.PickVector} {
			name := string(m) + "/" + map[inverse.PickOri]string{"": "none", "normal": "normal", "vector": "vector"}[p]
			want, dims, err := f.ReadFloat64(name)
			if err != nil {
				t.Fatal(err)
			}
			for vi, o := range []*inverse.Operator{op, op2} {
				k, err := o.Prepare(m, 1.0/9, p, 1)
				if err != nil {
					t.Fatal(err)
				}
				if vi == 0 && m != inverse.MNE {
					nn, _, _ := f.ReadFloat64(string(m) + "/noisenorm")
					if e := relErr(k.NoiseNorm, nn); e > 1e-5 {
						t.Errorf("%s noisenorm vs MNE: %.3g", m, e)
					}
				}
				c := &memCollector{}
				if err := inverse.ApplyEpochs(context.Background(), k, in, c); err != nil {
					t.Fatal(err)
				}
				rows := dims[1]
				worst, worstC := 0.0, 1.0
				for i := range ne {
					if len(c.data[i]) != rows*nt {
						t.Fatalf("%s: %d values per epoch, MNE %d", name, len(c.data[i]), rows*nt)
					}
					for r := range rows {
						g := make([]float64, nt)
						for j := range g {
							g[j] = float64(c.data[i][r*nt+j])
						}
						wv := want[(i*rows+r)*nt : (i*rows+r+1)*nt]
						worst = max(worst, relErr(g, wv))
						if cc := corr(g, wv); !math.IsNaN(cc) {
							worstC = min(worstC, cc)
						}
					}
				}
				which := []string{"operator", "read back"}[vi]
				t.Logf("%s (%s): worst rel error per source %.3g, worst correlation %.7f", name, which, worst, worstC)
				if worst >= 1e-3 || worstC <= 0.999 {
					t.Errorf("%s (%s): rel error %.3g correlation %.7f", name, which, worst, worstC)
				}
			}
		}
	}
	if !slices.Equal(op2.Names, op.Names) {
		t.Error("channel names differ after reading back")
	}
}
