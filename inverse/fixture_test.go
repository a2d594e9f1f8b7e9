package inverse_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

// fwdScript computes the forward solution of the golden inverse with
// MNE-Python and stores what package inverse needs in an HDF5 file.
const fwdScript = `
import sys, os, numpy as np, h5py, mne
raw_path, trans, bem, subjects_dir, out = sys.argv[1:6]
info = mne.io.read_info(raw_path, verbose=False)
src = mne.setup_source_space('fsaverage5', 'oct6', subjects_dir=subjects_dir, add_dist=False, verbose=False)
fwd = mne.make_forward_solution(info, trans=trans, src=src, bem=bem, meg=True, eeg=False, mindist=5., verbose=False)
with h5py.File(out + '.tmp', 'w') as f:
    f['gain'] = fwd['sol']['data']
    f['source_rr'] = fwd['source_rr']
    f['nn'] = np.concatenate([s['nn'][s['vertno']] for s in fwd['src']])
    f['vertno_lh'] = fwd['src'][0]['vertno'].astype(np.int64)
    f['vertno_rh'] = fwd['src'][1]['vertno'].astype(np.int64)
    f['ch_names'] = np.array([c.encode() for c in fwd['sol']['row_names']])
    f['mri_head_t'] = fwd['mri_head_t']['trans']
    f.attrs['coord_frame'] = int(fwd['coord_frame'])
mne.write_forward_solution(out[:-3] + '-fwd.fif', fwd, overwrite=True, verbose=False)
os.replace(out + '.tmp', out)
`

var (
	fwdOnce sync.Once
	fwdVal  *inverse.Forward
	fwdErr  error
	fwdFIF  string // the same solution written by mne.write_forward_solution
)

// mneForward returns the MNE-computed forward solution of the simulated
// recording (oct6 fsaverage5, ico4 BEM), cached on disk by a hash of the
// script and inputs.
func mneForward(t testing.TB) *inverse.Forward {
	t.Helper()
	sharedtest.RequireMNE(t)
	raw := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	trans := sharedtest.Path(t, "data/subjects/fsaverage5/bem/fsaverage5-trans.fif")
	bem := sharedtest.Golden(t, "fsaverage5-ico4-bem-sol.fif")
	subj := sharedtest.Path(t, "data/subjects")
	fwdOnce.Do(func() {
		h := sha256.New()
		h.Write([]byte(fwdScript))
		for _, p := range []string{raw, trans, bem} {
			st, err := os.Stat(p)
			if err != nil {
				fwdErr = err
				return
			}
			h.Write([]byte(p + st.ModTime().String()))
		}
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		dir = filepath.Join(dir, "megflow-test")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fwdErr = err
			return
		}
		out := filepath.Join(dir, "fwd-"+hex.EncodeToString(h.Sum(nil))[:16]+".h5")
		if _, err := os.Stat(out); err != nil {
			cmd := exec.Command(sharedtest.Python, "-c", fwdScript, raw, trans, bem, subj, out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Logf("%s", b)
				fwdErr = err
				return
			}
		}
		fwdFIF = out[:len(out)-3] + "-fwd.fif"
		fwdVal, fwdErr = readFixtureForward(out)
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
