// Package sharedtest locates the project's shared reference data (the
// recordings in shared/data and MNE-Python's outputs in shared/golden) for
// tests, and skips a test with a message when they are absent, as on a
// fresh clone without ../shared.
package sharedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Dir returns the shared directory: $MEGFLOW_SHARED if set, else the
// "shared" folder beside the repository root. It skips t when absent.
func Dir(t testing.TB) string {
	t.Helper()
	d := dir()
	if d == "" {
		t.Skip("shared reference data not found (set MEGFLOW_SHARED or place it at ../shared beside the repository); skipping")
	}
	return d
}

func dir() string {
	if d := os.Getenv("MEGFLOW_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// file is <repo>/internal/sharedtest/sharedtest.go
	d := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	if st, err := os.Stat(filepath.Join(d, "golden")); err == nil && st.IsDir() {
		return filepath.Clean(d)
	}
	return ""
}

// Path returns a path inside the shared directory (e.g. "data/fif/x.fif"),
// skipping t when the shared directory or the file is absent.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared file %s not found; skipping", rel)
	}
	return p
}

// Golden returns the path of a golden reference file (e.g. "fif_read.h5").
func Golden(t testing.TB, name string) string {
	t.Helper()
	return Path(t, filepath.Join("golden", name))
}

var (
	mneOnce sync.Once
	mneOK   bool
)

// Python is the interpreter that has MNE-Python (Debian's python3-mne).
const Python = "/usr/bin/python3"

// RequireMNE skips t unless /usr/bin/python3 can import mne and h5py.
func RequireMNE(t testing.TB) {
	t.Helper()
	mneOnce.Do(func() {
		mneOK = exec.Command(Python, "-c", "import mne, h5py").Run() == nil
	})
	if !mneOK {
		t.Skip("MNE-Python not available (apt-get install -y python3-mne python3-h5py); skipping the comparison with MNE")
	}
}

// Find returns the shared directory, or "" when it is absent (for callers
// that can do without it, such as a fuzz corpus).
func Find() string { return dir() }
