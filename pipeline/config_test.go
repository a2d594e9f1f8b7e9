package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "study.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadStrictKeys(t *testing.T) {
	p := writeConfig(t, "bids_root: /x\nmaxwell:\n  st_durration: 10\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("misspelled key accepted")
	}
	msg := err.Error()
	for _, want := range []string{p, `"maxwell.st_durration"`, `did you mean "maxwell.st_duration"`, "valid keys:", "rsa.window_tmin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if _, err := Load(writeConfig(t, "bids_root: /x\n"), []string{"rsa.windw_tmin=0.2"}); err == nil || !strings.Contains(err.Error(), `"rsa.windw_tmin"`) {
		t.Errorf("--set with a misspelled key: %v", err)
	}
}

func TestLoadOverrides(t *testing.T) {
	p := writeConfig(t, `bids_root: /data
subjects: [01, 02]
runs: [1]
bads:
  "1": [MEG0111]
  sub-02_run-1: [MEG2443]
maxwell:
  st_duration: 10
  calibration: "{bids_root}/sss_cal.dat"
`)
	t.Setenv("MEGFLOW_MAXWELL__ST_DURATION", "4")
	t.Setenv("MEGFLOW_SHARED", "/not/a/config/key")
	l, err := Load(p, []string{"inverse.snr=2", "rsa.average_by=condition", "subject_map.01=fsaverage"})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Subjects; len(got) != 2 || got[0] != "01" || got[1] != "02" {
		t.Errorf("subjects %q: unquoted 01 must stay the label \"01\"", got)
	}
	if l.Maxwell.STDuration != 4 {
		t.Errorf("environment override: st_duration %g, want 4", l.Maxwell.STDuration)
	}
	if l.Inverse.SNR != 2 || l.RSA.AverageBy != "condition" {
		t.Errorf("--set: snr %g average_by %q", l.Inverse.SNR, l.RSA.AverageBy)
	}
	if l.Maxwell.Calibration != "/data/sss_cal.dat" {
		t.Errorf("calibration %q: {bids_root} not expanded", l.Maxwell.Calibration)
	}
	if l.FSSubject("01") != "fsaverage" || l.FSSubject("02") != "sub-02" {
		t.Errorf("subject map: %q %q", l.FSSubject("01"), l.FSSubject("02"))
	}
	if got := strings.Join(l.RunBads("02", "1"), ","); got != "MEG0111,MEG2443" {
		t.Errorf("bads of sub-02 run 1: %s", got)
	}
	if l.DerivRoot != "/data/derivatives/megflow" || l.SubjectsDir != "/data/derivatives/freesurfer/subjects" {
		t.Errorf("derived paths: %s %s", l.DerivRoot, l.SubjectsDir)
	}
	// Defaults survive for keys the file does not set.
	if l.Inverse.Loose != 0.2 || l.Epochs.Decim != 1 {
		t.Errorf("defaults lost: loose %g decim %d", l.Inverse.Loose, l.Epochs.Decim)
	}
	l2, err := Load(p, []string{"inverse.snr=2", "rsa.average_by=condition", "subject_map.01=fsaverage"})
	if err != nil || l2.Hash != l.Hash {
		t.Errorf("the config hash is not stable: %v", err)
	}
	l3, err := Load(p, []string{"inverse.snr=3", "rsa.average_by=condition", "subject_map.01=fsaverage"})
	if err != nil || l3.Hash == l.Hash {
		t.Errorf("the config hash ignores inverse.snr: %v", err)
	}
}

func TestLoadBadValues(t *testing.T) {
	cases := map[string]string{
		"inverse.loose=1.5":         "inverse.loose",
		"epochs.tmin=1":             "epochs.tmin/tmax",
		"bads.07=[MEG0111]":         "bads.07",
		"subject_map.09=x":          "subject_map.09",
		"maxwell.frame=mri":         "maxwell.frame",
		"rsa.metric=cosine":         "rsa.metric",
		"events.mask_type=xor":      "events.mask_type",
		"bem.conductivity=[.3,.1]":  "bem.conductivity",
		"maxwell.destination=run-9": "maxwell.destination",
		"bads=[MEG0111]":            "bads is a map",
	}
	p := writeConfig(t, "bids_root: /x\nsubjects: ['01']\nruns: ['01']\n")
	for set, want := range cases {
		_, err := Load(p, []string{set})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: error %v, want one naming %q", set, err, want)
		}
	}
}

func TestCheckInputs(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "sub-01", "ses-meg", "meg", "sub-01_ses-meg_task-facerecognition_run-01_meg.fif")
	if err := os.MkdirAll(filepath.Dir(raw), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(raw, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := writeConfig(t, "bids_root: "+root+"\nsubjects: ['01', '02']\nruns: ['01', '02']\n")
	l, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, pr := range l.CheckInputs() {
		all = append(all, pr.Subject+": "+pr.What)
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{`unknown subject "02"`, "run-02_meg.fif does not exist", "surf/lh.white does not exist", "trans:"} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "run-01_meg.fif") {
		t.Errorf("an existing run is reported missing:\n%s", text)
	}
}

func TestValidKeysCoverConfig(t *testing.T) {
	keys := ValidKeys()
	for _, want := range []string{"bids_root", "subjects_dir", "deriv_root", "subjects", "runs", "subject_map.<name>", "trans",
		"maxwell.calibration", "maxwell.cross_talk", "bads.<name>"} {
		found := false
		for _, k := range keys {
			found = found || k == want
		}
		if !found {
			t.Errorf("key %s missing from %v", want, keys)
		}
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, name := range []string{"wakeman_henson.yaml", "demo.yaml"} {
		p := filepath.Join("..", "configs", name)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := Load(p, []string{"bids_root=/tmp/x"}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
