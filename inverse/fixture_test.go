package inverse_test

import (
	"sync"
	"testing"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

var (
	fwdOnce sync.Once
	fwdVal  *inverse.Forward
	fwdErr  error
	fwdFIF  string // the same solution written by mne.write_forward_solution
)

// mneForward returns the MNE-computed forward solution of the simulated
// recording (oct6 fsaverage5, ico4 BEM; see sharedtest.MNEForward).
func mneForward(t testing.TB) *inverse.Forward {
	t.Helper()
	h5Path, fifPath := sharedtest.MNEForward(t)
	fwdOnce.Do(func() {
		fwdFIF = fifPath
		fwdVal, fwdErr = readFixtureForward(h5Path)
	})
	if fwdErr != nil {
		t.Fatal(fwdErr)
	}
	return fwdVal
}

func readFixtureForward(path string) (*inverse.Forward, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fw := &inverse.Forward{}
	var dims []int
	if fw.Gain, dims, err = f.ReadFloat64("gain"); err != nil {
		return nil, err
	}
	fw.NSource = dims[1] / 3
	if fw.SourceRR, _, err = f.ReadFloat64("source_rr"); err != nil {
		return nil, err
	}
	if fw.SourceNN, _, err = f.ReadFloat64("nn"); err != nil {
		return nil, err
	}
	if fw.Names, err = f.ReadStrings("ch_names"); err != nil {
		return nil, err
	}
	for _, h := range []string{"vertno_lh", "vertno_rh"} {
		v, _, err := f.ReadInt64(h)
		if err != nil {
			return nil, err
		}
		vv := make([]int, len(v))
		for i, x := range v {
			vv[i] = int(x)
		}
		fw.Vertices = append(fw.Vertices, vv)
	}
	cf, err := f.AttrInt64("/", "coord_frame")
	if err != nil {
		return nil, err
	}
	fw.CoordFrame = int32(cf)
	m, _, err := f.ReadFloat64("mri_head_t")
	if err != nil {
		return nil, err
	}
	tr := &fif.Transform{From: 5, To: 4}
	for i := range 4 {
		for j := range 4 {
			tr.M[i][j] = m[4*i+j]
		}
	}
	fw.MRIHeadT = tr
	return fw, nil
}

var (
	covOnce sync.Once
	covVal  *inverse.Covariance
	covErr  error
)

// goldenShrunk is the shrunk covariance of the v1 epochs (baseline).
func goldenShrunk(t testing.TB) *inverse.Covariance {
	t.Helper()
	ep := goldenV1(t)
	covOnce.Do(func() {
		zero := 0.0
		covVal, covErr = inverse.ComputeCovariance(epochsData(ep), inverse.CovOptions{Method: "shrunk", Tmax: &zero})
	})
	if covErr != nil {
		t.Fatal(covErr)
	}
	return covVal
}

// epochInput adapts megflow epochs to inverse.EpochInput.
func epochInput(ep *epochs.Epochs, n int) inverse.EpochInput {
	in := inverse.EpochInput{Info: ep.Info, Times: ep.Times, N: n,
		Epoch: func(i int) ([]float64, error) { return ep.Data[i], nil }}
	for i := range n {
		in.EventID = append(in.EventID, int64(ep.Events[i].ID))
	}
	return in
}
