package sharedtest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// mneForwardScript computes MNE-Python's forward solution of the simulated
// recording and writes it twice: the arrays tests need as HDF5 (out) and
// the whole solution as -fwd.fif (mne.write_forward_solution).
const mneForwardScript = `
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
	fwdOnce          sync.Once
	fwdH5, fwdFIF    string
	fwdErr           error
	fwdLog           string
	fwdComputeTookMs int64
)

// MNEForward returns MNE-Python's forward solution of the simulated
// recording (setup_source_space('fsaverage5', 'oct6'), the golden ico4 BEM
// solution, mindist 5 mm): an HDF5 file with gain, source_rr, nn,
// vertno_lh/rh, ch_names, mri_head_t and the coord_frame attribute, and the
// same solution as -fwd.fif. MNE computes it on first use (about a minute);
// it is cached in os.UserCacheDir()/megflow-test under a hash of the script
// and the inputs, so every test binary shares it. It skips without MNE or
// the shared data.
func MNEForward(t testing.TB) (h5Path, fifPath string) {
	t.Helper()
	RequireMNE(t)
	raw := Path(t, "data/sim/facerec_sim_raw.fif")
	trans := Path(t, "data/subjects/fsaverage5/bem/fsaverage5-trans.fif")
	bem := Golden(t, "fsaverage5-ico4-bem-sol.fif")
	subj := Path(t, "data/subjects")
	fwdOnce.Do(func() {
		h := sha256.New()
		h.Write([]byte(mneForwardScript))
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
		fifOut := out[:len(out)-3] + "-fwd.fif"
		_, e1 := os.Stat(out)
		_, e2 := os.Stat(fifOut)
		if e1 != nil || e2 != nil {
			t0 := time.Now()
			b, err := exec.Command(Python, "-c", mneForwardScript, raw, trans, bem, subj, out).CombinedOutput()
			if err != nil {
				fwdErr, fwdLog = err, string(b)
				return
			}
			fwdComputeTookMs = time.Since(t0).Milliseconds()
		}
		fwdH5, fwdFIF = out, fifOut
	})
	if fwdErr != nil {
		t.Fatalf("MNE forward fixture: %v\n%s", fwdErr, fwdLog)
	}
	if fwdComputeTookMs > 0 {
		t.Logf("MNE forward fixture computed in %.1f s (cached as %s)", float64(fwdComputeTookMs)/1000, fwdFIF)
	}
	return fwdH5, fwdFIF
}
