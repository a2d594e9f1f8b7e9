package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// simEventsArgs is the golden sim/events call of events.h5.
var simEventsArgs = []string{"--stim", "STI101", "--consecutive", "increasing", "--mask", "4096+256",
	"--mask-type", "not_and", "--min-duration", "0.003"}

func goldenSimEvents(t *testing.T) []fif.Event {
	t.Helper()
	f, err := h5.Open(sharedtest.Golden(t, "events.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, _, err := f.ReadInt64("sim/events")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]fif.Event, len(v)/3)
	for i := range out {
		out[i] = fif.Event{Sample: v[3*i], Prev: int32(v[3*i+1]), ID: int32(v[3*i+2])}
	}
	return out
}

func TestEventsCommandGolden(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	want := goldenSimEvents(t)
	dir := t.TempDir()

	// Text lines on stdout, as MNE's text events format.
	out := mustRun(t, append(append([]string{"-q", "events"}, simEventsArgs...), in)...)
	var lines []string
	for _, e := range want {
		lines = append(lines, fmt.Sprintf("%6d %6d %3d", e.Sample, e.Prev, e.ID))
	}
	if got := strings.TrimRight(out, "\n"); got != strings.Join(lines, "\n") {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, strings.Join(lines, "\n"))
	}

	// JSON with times, and the FIF file.
	eve := filepath.Join(dir, "sim-eve.fif")
	out = mustRun(t, append(append([]string{"-q", "events", "--json", "--out", eve}, simEventsArgs...), in)...)
	var js []struct {
		Sample   int64
		Previous int32
		ID       int32
		Time     float64
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(js) != len(want) {
		t.Fatalf("%d JSON events, want %d", len(js), len(want))
	}
	for i, e := range js {
		if e.Sample != want[i].Sample || e.Previous != want[i].Prev || e.ID != want[i].ID {
			t.Errorf("JSON event %d: %+v, want %+v", i, e, want[i])
		}
		if wt := float64(want[i].Sample-13750) / 1100; e.Time != wt {
			t.Errorf("JSON event %d: time %v, want %v", i, e.Time, wt)
		}
	}
	back, err := fif.ReadEvents(eve)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, want) {
		t.Errorf("-eve.fif: %v", back)
	}

	// The shift moves every event by round(0.0345 * 1100) = 38 samples;
	// text output to a .eve file.
	txt := filepath.Join(dir, "sim.eve")
	mustRun(t, append(append([]string{"-q", "events", "--shift", "0.0345", "--out", txt}, simEventsArgs...), in)...)
	back, err = fif.ReadEvents(txt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if back[i].Sample != want[i].Sample+38 {
			t.Fatalf("shifted event %d at %d, want %d", i, back[i].Sample, want[i].Sample+38)
		}
	}
	// An existing --out needs --overwrite.
	if code, _, errs := runCLI(t, "events", "--out", txt, in); code != exitUsage || !strings.Contains(errs, "--overwrite") {
		t.Errorf("existing --out: exit %d, %s", code, errs)
	}
}

func TestEventsCommandErrors(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	noStim := sharedtest.Path(t, "data/fif/141027_cropped_90Hz_raw.fif")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"events", noStim}, exitError, "no stim channels found"},
		{[]string{"events", "--stim", "STI 014", in}, exitError, `stim channel "STI 014" not found`},
		{[]string{"events", "--consecutive", "sometimes", in}, exitUsage, "want increasing, true or false"},
		{[]string{"events", "--output", "middle", in}, exitUsage, "want onset, offset or step"},
		{[]string{"events", "--mask-type", "or", in}, exitUsage, "want and or not_and"},
		{[]string{"events", "--mask", "12x", in}, exitUsage, "is not an integer"},
		{[]string{"events", "--min-duration", "NaN", in}, exitUsage, "finite"},
		{[]string{"events", "--shortest-event", "1000", in}, exitError, "shorter than the shortest_event"},
		{[]string{"events", filepath.Join(t.TempDir(), "missing.fif")}, exitError, "cannot read"},
		{[]string{"events"}, exitUsage, "missing IN"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("megflow %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
}

func TestEventsCommandHelp(t *testing.T) {
	out := mustRun(t, "events", "--help")
	for _, s := range []string{"find_events", "--mask-type", "--shift", "Examples:", "0.0345"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q", s)
		}
	}
	if m, err := parseMask(" 4096 + 256 "); err != nil || m != 4352 {
		t.Errorf("parseMask: %d %v", m, err)
	}
	if m, err := parseMask("0x1100"); err != nil || m != 4352 {
		t.Errorf("parseMask hex: %d %v", m, err)
	}
}
