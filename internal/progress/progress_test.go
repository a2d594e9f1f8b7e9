package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLine(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var buf bytes.Buffer
	b := NewWriter(&buf, "convert", 1000, Options{Unit: "s", Scale: 0.01, Width: 10, Now: c.now})
	c.t = c.t.Add(2 * time.Second)
	b.Add(250)
	got := b.Line(c.t)
	want := "convert [==>       ]  25%  2.50/10 s  1.25 s/s  ETA 0:00:06"
	if got != want {
		t.Errorf("Line:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(buf.String(), "\r"+want) {
		t.Errorf("drawn output %q lacks the line", buf.String())
	}
	c.t = c.t.Add(6 * time.Second)
	b.Set(1000)
	b.Finish()
	out := buf.String()
	if !strings.HasSuffix(out, "100%  10/10 s  1.25 s/s  in 0:00:08\n") {
		t.Errorf("final output %q", out)
	}
	n := len(out)
	b.Add(5)
	b.Finish()
	if buf.Len() != n {
		t.Errorf("bar drew after Finish")
	}
}

func TestThrottle(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var buf bytes.Buffer
	b := NewWriter(&buf, "", 100, Options{Now: c.now})
	for i := 0; i < 50; i++ {
		b.Add(1)
	}
	if k := strings.Count(buf.String(), "\r"); k != 1 {
		t.Errorf("%d redraws within one interval, want 1", k)
	}
	c.t = c.t.Add(time.Second)
	b.Add(1)
	if k := strings.Count(buf.String(), "\r"); k != 2 {
		t.Errorf("%d redraws after the interval, want 2", k)
	}
}

func TestUnknownTotal(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var buf bytes.Buffer
	b := NewWriter(&buf, "read", 0, Options{Unit: "B", Now: c.now})
	c.t = c.t.Add(time.Second)
	b.Add(20000)
	if got, want := b.Line(c.t), "read 20.0k B  20.0k B/s"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestNilAndDisabled(t *testing.T) {
	var b *Bar
	b.Add(1)
	b.Set(2)
	b.Clear()
	b.Finish()
	if NewWriter(&bytes.Buffer{}, "x", 1, Options{Disabled: true}) != nil {
		t.Error("disabled bar is not nil")
	}
	f, err := os.CreateTemp(t.TempDir(), "notatty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	if New(f, "x", 1, Options{}) != nil {
		t.Error("bar on a regular file")
	}
	if dn, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer dn.Close()
		if IsTerminal(dn) {
			t.Error("/dev/null is a terminal")
		}
	}
}

func TestClear(t *testing.T) {
	var buf bytes.Buffer
	b := NewWriter(&buf, "abc", 10, Options{})
	b.Add(1)
	b.Clear()
	out := buf.String()
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("Clear did not return to the line start: %q", out)
	}
	n := buf.Len()
	b.Add(5)
	if buf.Len() != n {
		t.Error("bar drew after Clear")
	}
}
