package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPipelineCommandsHelp(t *testing.T) {
	for _, sub := range [][]string{{"run"}, {"config"}, {"simulate"}, {"demo"}} {
		out := mustRun(t, append(sub, "--help")...)
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "megflow "+sub[0]) {
			t.Errorf("megflow %s --help has no examples:\n%s", sub[0], out)
		}
	}
	out := mustRun(t, "config", "keys")
	for _, k := range []string{"bids_root", "subject_map.<name>", "maxwell.cross_talk", "bads.<name>", "rsa.window_tmin"} {
		if !strings.Contains(out, k+"\n") {
			t.Errorf("config keys lacks %s", k)
		}
	}
}

func TestConfigErrorsBeforeWork(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(cfg, []byte("bids_root: "+dir+"\nmaxwel:\n  st_duration: 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "run", "--config", cfg)
	if code != exitUsage || !strings.Contains(errs, `unknown key "maxwel.st_duration"`) || !strings.Contains(errs, `did you mean "maxwell.st_duration"`) {
		t.Errorf("misspelled key: exit %d, stderr %q", code, errs)
	}
	// A built-in config by name, pointed at a folder without the subject.
	code, _, errs = runCLI(t, "run", "--config", "demo", "--set", "bids_root="+dir, "--set", "subjects=[01,07]")
	if code != exitError || !strings.Contains(errs, `unknown subject "01"`) || !strings.Contains(errs, `unknown subject "07"`) {
		t.Errorf("unknown subjects: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "derivatives")); err == nil {
		t.Error("a failed input check created the derivatives folder")
	}
	code, _, errs = runCLI(t, "config", "check", "--config", "no-such-config")
	if code != exitUsage || !strings.Contains(errs, "demo, wakeman_henson") {
		t.Errorf("unknown config: exit %d, stderr %q", code, errs)
	}
}

func TestSimulateThenCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "study")
	out := mustRun(t, "simulate", "--trials", "12", "--runs", "1", "--sfreq", "550", "--json", dir)
	if !strings.Contains(out, `"truth"`) {
		t.Fatalf("simulate --json printed %s", out)
	}
	if code, _, errs := runCLI(t, "simulate", dir); code == exitOK || !strings.Contains(errs, "not empty") {
		t.Errorf("simulate into a non-empty folder: exit %d, stderr %q", code, errs)
	}
	out = mustRun(t, "config", "check", "--config", "demo", "--set", "bids_root="+dir, "--set", "runs=[01]")
	if !strings.Contains(out, "ok (1 subject(s), 1 run(s) each)") {
		t.Errorf("config check on the simulated study: %s", out)
	}
	out = mustRun(t, "config", "show", "--config", "demo", "--set", "bids_root="+dir, "--set", "inverse.snr=2")
	if !strings.Contains(out, "snr: 2") || !strings.Contains(out, "subjects_dir: "+dir+"/derivatives/freesurfer/subjects") {
		t.Errorf("config show:\n%s", out)
	}
}
