package fif

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// Helpers shared by the events, cov, evoked and trans tests (prefix fobj to
// stay clear of the other test files of the package).

// fobjGolden opens golden/fif_read.h5.
func fobjGolden(t *testing.T) *h5.File {
	t.Helper()
	g, err := h5.Open(sharedtest.Golden(t, "fif_read.h5"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// fobjData returns the path of a file in shared/data/fif.
func fobjData(t *testing.T, name string) string {
	t.Helper()
	return sharedtest.Path(t, filepath.Join("data", "fif", name))
}

// fobjMNE runs a Python snippet with MNE-Python (skipping the test when it
// is not installed) and decodes the JSON it prints on its last line into
// out. The snippet gets its arguments in sys.argv[1:].
func fobjMNE(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	sharedtest.RequireMNE(t)
	cmd := exec.Command(sharedtest.Python, append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), "MNE_LOGGING_LEVEL=warning")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("MNE-Python snippet failed: %v\n%s", err, stderr.String())
	}
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], out); err != nil {
		t.Fatalf("decoding the snippet's output: %v\n%.500s", err, stdout.String())
	}
}

// fobjBitEqual reports the first difference between two float slices,
// comparing bit patterns (so -0 != +0 and NaN == NaN of the same payload).
func fobjBitEqual(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	bad := 0
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			if bad < 3 {
				t.Errorf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// fobjErrorMentions checks that err is non-nil and mentions every part.
func fobjErrorMentions(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error; want one mentioning %q", parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func eventsAsRows(ev []Event) [][3]int64 {
	out := make([][3]int64, len(ev))
	for i, e := range ev {
		out[i] = [3]int64{e.Sample, int64(e.Prev), int64(e.ID)}
	}
	return out
}

func TestEventsGolden(t *testing.T) {
	g := fobjGolden(t)
	want, dims, err := g.ReadInt64("events/sample_audvis_trunc_raw-eve/events")
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != 2 || dims[1] != 3 {
		t.Fatalf("golden events have shape %v", dims)
	}
	ev, err := ReadEvents(fobjData(t, "sample_audvis_trunc_raw-eve.fif"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != dims[0] {
		t.Fatalf("%d events, MNE %d", len(ev), dims[0])
	}
	for i, row := range eventsAsRows(ev) {
		if !slices.Equal(row[:], want[3*i:3*i+3]) {
			t.Errorf("event %d = %v, MNE %v", i, row, want[3*i:3*i+3])
		}
	}
}

func TestEventsRoundTrip(t *testing.T) {
	ev := []Event{{0, 0, 1}, {13988, 0, 2}, {20000, 2, 0}, {math.MaxInt32, -5, math.MaxInt32}, {math.MinInt32, math.MinInt32, -1}}
	dir := t.TempDir()
	for _, name := range []string{"a-eve.fif", "b-eve.txt", "c.eve", "d-eve.lst"} {
		p := filepath.Join(dir, name)
		if err := WriteEvents(p, ev); err != nil {
			t.Fatal(err)
		}
		got, err := ReadEvents(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ev) {
			t.Errorf("%s: read back %v, wrote %v", name, got, ev)
		}
	}
	// The 4-column MNE-C form.
	p := filepath.Join(dir, "e-eve.lst")
	if err := WriteEventsTextTime(p, ev[:3], 600.614990234375); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEventsText(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, ev[:3]) {
		t.Errorf("4-column text: read back %v, wrote %v", got, ev[:3])
	}
	// The exact text MNE writes.
	b, err := os.ReadFile(filepath.Join(dir, "b-eve.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "     0      0   1\n 13988      0   2\n") {
		t.Errorf("text format differs from MNE's:\n%s", b)
	}
	// Samples beyond 32 bits cannot go into a FIF file; nothing is left behind.
	big := filepath.Join(dir, "big-eve.fif")
	fobjErrorMentions(t, WriteEvents(big, []Event{{Sample: 1 << 40}}), big, "32-bit")
	if _, err := os.Stat(big); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed write left %s behind", big)
	}
	fobjErrorMentions(t, WriteEvents(filepath.Join(dir, "x-eve.fif.gz"), ev), "gzip")
}

func TestEventsTextParsing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Comments, blank lines, tabs, float values truncated toward zero and an
	// MNE-C offset line, which is kept as MNE keeps it without a mask.
	p := write("a.eve", "# header\n 25800  42.956  0  0\n\n27977\t46.581 0 2 # comment\n28345 47.194 0.9 -3.7\n")
	got, err := ReadEvents(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{25800, 0, 0}, {27977, 0, 2}, {28345, 0, -3}}
	if !slices.Equal(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
	got, err = ReadEvents(write("one.txt", "12 0 5"))
	if err != nil || !slices.Equal(got, []Event{{12, 0, 5}}) {
		t.Errorf("single line: %v, %v", got, err)
	}
	for _, c := range []struct{ name, text, msg string }{
		{"empty.eve", "# nothing\n\n", "no event lines"},
		{"cols2.eve", "1 2\n", "2 columns"},
		{"cols5.eve", "1 2 3 4 5\n", "5 columns"},
		{"mixed.eve", "1 0 2\n3 0.1 0 4\n", "line 2"},
		{"word.eve", "1 0 x\n", "\"x\""},
		{"nan.eve", "1 0 nan\n", "not a finite number"},
		{"wide.eve", "1 0 99999999999\n", "32 bits"},
	} {
		fobjErrorMentions(t, func() error { _, err := ReadEventsText(write(c.name, c.text)); return err }(), c.name, c.msg)
	}
	_, err = ReadEventsText(filepath.Join(dir, "missing.eve"))
	fobjErrorMentions(t, err, "missing.eve")
}

// writeHandmadeEvents writes an events FIF file with extra tags.
func writeHandmadeEvents(t *testing.T, path string, vals []int32, extra func(w *tree.Writer)) {
	t.Helper()
	w, err := tree.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMNE)
	w.StartBlock(tag.BlockMNEEvents)
	w.Int32s(tag.MNEEventList, vals...)
	extra(w)
	w.EndBlock(tag.BlockMNEEvents)
	w.EndBlock(tag.BlockMNE)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEventsFIFEventID(t *testing.T) {
	dir := t.TempDir()
	vals := []int32{100, 0, 1, 200, 0, 2, 300, 1, 3}
	p := filepath.Join(dir, "desc-eve.fif")
	writeHandmadeEvents(t, p, vals, func(w *tree.Writer) {
		w.String(tag.Comment, "aud/left:1;vis:right:2;x:3")
	})
	ev, ids, err := ReadEventsFIF(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 3 || ev[2] != (Event{300, 1, 3}) {
		t.Errorf("events %v", ev)
	}
	if want := map[string]int32{"aud/left": 1, "vis:right": 2, "x": 3}; !maps.Equal(ids, want) {
		t.Errorf("event ids %v, want %v", ids, want)
	}

	p = filepath.Join(dir, "comments-annot.fif")
	writeHandmadeEvents(t, p, vals, func(w *tree.Writer) {
		w.WriteTag(tag.MNEEventComments, tag.String, []byte("a\x00b\x00c\xe9\x00"))
	})
	_, ids, err = ReadEventsFIF(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int32{"a": 1, "b": 2, "c\u00e9": 3}; !maps.Equal(ids, want) {
		t.Errorf("event ids from comments %v, want %v", ids, want)
	}

	p = filepath.Join(dir, "plain-eve.fif")
	writeHandmadeEvents(t, p, vals, func(*tree.Writer) {})
	if _, ids, err = ReadEventsFIF(p); err != nil || ids != nil {
		t.Errorf("no id tags: ids %v, err %v", ids, err)
	}

	p = filepath.Join(dir, "bad-eve.fif")
	writeHandmadeEvents(t, p, vals, func(w *tree.Writer) { w.String(tag.Comment, "a:1;b") })
	_, _, err = ReadEventsFIF(p)
	fobjErrorMentions(t, err, p, "\"b\"")

	p = filepath.Join(dir, "short-eve.fif")
	writeHandmadeEvents(t, p, vals[:4], func(*tree.Writer) {})
	_, _, err = ReadEventsFIF(p)
	fobjErrorMentions(t, err, p, "multiple of 3")
}

func TestEventsMissingBlock(t *testing.T) {
	trans := fobjData(t, "sample_audvis_trunc-trans.fif")
	_, err := ReadEvents(trans)
	fobjErrorMentions(t, err, trans, "FIFFB_MNE_EVENTS")

	dir := t.TempDir()
	p := filepath.Join(dir, "nolist-eve.fif")
	w, err := tree.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMNEEvents)
	w.String(tag.MNEChNameList, "STI 014")
	w.EndBlock(tag.BlockMNEEvents)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = ReadEvents(p)
	fobjErrorMentions(t, err, p, "FIFF_MNE_EVENT_LIST")

	garbage := filepath.Join(dir, "garbage-eve.fif")
	if err := os.WriteFile(garbage, []byte("not a fif file at all, no sir"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadEvents(garbage)
	fobjErrorMentions(t, err, garbage)
}

// TestEventsMNE checks that MNE-Python reads the files megflow writes as
// the events megflow read from the original file, and that megflow reads
// the files MNE-Python writes.
func TestEventsMNE(t *testing.T) {
	src := fobjData(t, "sample_audvis_trunc_raw-eve.fif")
	ev, err := ReadEvents(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ours := []string{filepath.Join(dir, "ours-eve.fif"), filepath.Join(dir, "ours-eve.txt"), filepath.Join(dir, "ours-eve.lst")}
	if err := WriteEvents(ours[0], ev); err != nil {
		t.Fatal(err)
	}
	if err := WriteEvents(ours[1], ev); err != nil {
		t.Fatal(err)
	}
	if err := WriteEventsTextTime(ours[2], ev, 150.15374755859375); err != nil {
		t.Fatal(err)
	}
	theirs := []string{filepath.Join(dir, "mne-eve.fif"), filepath.Join(dir, "mne-eve.txt")}
	var got [][][3]int64
	fobjMNE(t, &got, `
import sys, json, mne
src, theirs, ours = sys.argv[1], sys.argv[2:4], sys.argv[4:]
ev = mne.read_events(src)
for p in theirs:
    mne.write_events(p, ev)
print(json.dumps([mne.read_events(p).tolist() for p in ours]))
`, append(append([]string{src}, theirs...), ours...)...)
	want := eventsAsRows(ev)
	if len(got) != len(ours) || len(want) == 0 {
		t.Fatalf("MNE read %d files, want %d (%d events)", len(got), len(ours), len(want))
	}
	for i, rows := range got {
		if !slices.Equal(rows, want) {
			t.Errorf("mne.read_events(%s) differs from the events megflow read from %s", filepath.Base(ours[i]), filepath.Base(src))
		}
	}
	for _, p := range theirs {
		back, err := ReadEvents(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back, ev) {
			t.Errorf("megflow reads %s (written by MNE) as %v, want %v", filepath.Base(p), back, ev)
		}
	}
	// MNE writes exactly the text megflow writes.
	a, _ := os.ReadFile(ours[1])
	b, _ := os.ReadFile(theirs[1])
	if !bytes.Equal(a, b) {
		t.Errorf("text written by megflow differs from MNE's")
	}
}
