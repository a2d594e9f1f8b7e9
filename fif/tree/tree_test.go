package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/internal/sharedtest"
)

func TestWriteReadMinimal(t *testing.T) {
	b := minimalFile(t)
	f, err := OpenBytes("min.fif", b)
	if err != nil {
		t.Fatal(err)
	}
	if !f.DirFromPointer {
		t.Error("the directory written by Close was not used")
	}
	info := f.Root.Blocks(tag.BlockMeasInfo)
	if len(info) != 1 || info[0].Parent.Block != tag.BlockMeas {
		t.Fatalf("tree: %v", f.Root.Children)
	}
	e, ok := info[0].Find(tag.NChan)
	if !ok {
		t.Fatal("nchan not found")
	}
	if v, err := f.Int(e); err != nil || v != 2 {
		t.Errorf("nchan %d (%v)", v, err)
	}
	e, _ = info[0].Find(tag.SFreq)
	if v, err := f.Float(e); err != nil || v != 1000 {
		t.Errorf("sfreq %g (%v)", v, err)
	}
	e, _ = info[0].Find(tag.Comment)
	if s, err := f.String(e); err != nil || s != "minimal" {
		t.Errorf("comment %q (%v)", s, err)
	}
	e, _ = info[0].Find(tag.ProjItemVectors)
	m, err := f.Matrix(e)
	if err != nil || m.Rows() != 2 || m.Cols() != 3 || m.Data[5] != 6 {
		t.Errorf("matrix %+v (%v)", m, err)
	}
	e, _ = info[0].Find(tag.SSSCTC)
	s, err := f.Sparse(e)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Dense(); d[0] != 1 || d[3] != 2 || d[1] != 0 {
		t.Errorf("sparse dense %v", d)
	}

	// The same file without its directory pointer is read by a scan.
	nodir := append([]byte(nil), b...)
	copy(nodir[tag.HeaderSize+tag.IDSize+tag.HeaderSize:], []byte{0xff, 0xff, 0xff, 0xff})
	g, err := OpenBytes("nodir.fif", nodir)
	if err != nil {
		t.Fatal(err)
	}
	if g.DirFromPointer || len(g.Dir) != len(f.Dir) {
		t.Errorf("scan found %d tags, directory %d", len(g.Dir), len(f.Dir))
	}
}

func TestBadFiles(t *testing.T) {
	b := minimalFile(t)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":         {nil, "not a FIF file"},
		"text":          {[]byte("hello, this is text and not a FIF file at all"), "not a FIF file"},
		"truncated":     {b[:len(b)-40], "offset"},
		"lying size":    {withSize(withDirPointer(b, -1), 56, 1<<30), "past the end"},
		"negative size": {withSize(withDirPointer(b, -1), 56, -5), "negative tag size"},
		"dangling dir":  {withDirPointer(b, 1<<20), ""}, // falls back to a scan
		"half header":   {b[:8], "not a FIF file"},
	}
	for name, c := range cases {
		f, err := OpenBytes(name+".fif", c.data)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if f.DirFromPointer {
				t.Errorf("%s: used a dangling directory", name)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var te *Error
		if !errors.As(err, &te) || te.Path != name+".fif" {
			t.Errorf("%s: error %q is not a *tree.Error naming the file", name, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.want)
		}
	}
}

// withSize returns a copy of b with the size field of the tag at pos set.
func withSize(b []byte, pos int, size int32) []byte {
	out := append([]byte(nil), b...)
	h, _ := tag.DecodeHeader(b[pos:])
	h.Size = size
	tag.AppendHeader(out[pos:pos], h)
	return out
}

func withDirPointer(b []byte, ptr int32) []byte {
	out := append([]byte(nil), b...)
	tag.AppendInt32s(out[tag.HeaderSize+tag.IDSize+tag.HeaderSize:][:0], ptr)
	return out
}

func TestWriterAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.fif")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.StartBlock(tag.BlockMeas)
	// Closing with an open block is an error and leaves nothing behind.
	if err := w.Close(); err == nil {
		t.Error("closing with an open block succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("files left after a failed write: %v", ents)
	}
	w, _ = Create(path)
	w.Int32s(tag.NChan, 1)
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after Abort: %v", ents)
	}
}

// TestSharedFiles opens every FIF file of the shared data.
func TestSharedFiles(t *testing.T) {
	shared := sharedtest.Dir(t)
	var files []string
	filepath.WalkDir(filepath.Join(shared, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".fif") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("found only %d FIF files under %s", len(files), shared)
	}
	for _, p := range files {
		f, err := Open(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if len(f.Dir) < 3 || len(f.Root.Children) == 0 && !strings.HasSuffix(p, "trans.fif") {
			t.Errorf("%s: %d tags, %d blocks", p, len(f.Dir), len(f.Root.Children))
		}
		decodeAll(f)
		f.Close()
	}
}

// TestWriteTagStream checks that a payload written in pieces reads back
// as one tag, and that pieces that do not add up to the announced size
// fail the file.
func TestWriteTagStream(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.fif")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteTagStream(tag.Comment, tag.String, 11, func(put func([]byte)) error {
		put([]byte("hello"))
		put([]byte(" world"))
		return nil
	})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, ok := f.Root.Find(tag.Comment)
	if !ok {
		t.Fatal("tag not found")
	}
	if s, err := f.String(e); err != nil || s != "hello world" {
		t.Fatalf("read %q, %v", s, err)
	}
	w, err = Create(filepath.Join(dir, "bad.fif"))
	if err != nil {
		t.Fatal(err)
	}
	w.WriteTagStream(tag.Comment, tag.String, 12, func(put func([]byte)) error {
		put([]byte("hello"))
		return nil
	})
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "announced 12 bytes, 5 written") {
		t.Fatalf("short stream: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.fif")); !os.IsNotExist(err) {
		t.Fatalf("a failed file was left: %v", err)
	}
}
