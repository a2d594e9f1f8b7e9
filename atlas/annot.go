package atlas

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// ColorEntry is one entry of an annotation's color table.
type ColorEntry struct {
	Name string
	// R, G, B are 0–255; T is FreeSurfer's transparency (0 = opaque; MNE
	// reports alpha = 255 − T).
	R, G, B, T int32
}

// ID is the annotation value of the entry: R + G·2⁸ + B·2¹⁶ (the
// transparency is not part of it, as in FreeSurfer's new color tables and
// MNE).
func (c ColorEntry) ID() int32 { return c.R + c.G<<8 + c.B<<16 }

// Annot is a FreeSurfer annotation (.annot): one annotation value per
// vertex of a surface and a color table whose entries' IDs give the
// values a meaning. Vertices whose value matches no entry belong to no
// label (typically −1 or 0 for "unknown").
type Annot struct {
	Values []int32
	Table  []ColorEntry
	// OrigTable is the name of the color-table file recorded in the annot.
	OrigTable string
	// OldFormat records a color table in the old (pre-version-2) format,
	// whose annotation IDs include the transparency.
	OldFormat bool
}

// EntryID is the annotation value of table entry i: ColorEntry.ID, plus
// T·2²⁴ in the old color-table format (as MNE's _read_annot computes it).
func (a *Annot) EntryID(i int) int32 {
	c := a.Table[i]
	if a.OldFormat {
		return c.ID() + c.T<<24
	}
	return c.ID()
}

// ReadAnnot reads a .annot file, with either color-table format (the old
// one, a positive entry count, and version 2, a negative count).
func ReadAnnot(path string) (*Annot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := ParseAnnot(b)
	if err != nil {
		return nil, fmt.Errorf("atlas: %s: %w", path, err)
	}
	return a, nil
}

type annotReader struct {
	b   []byte
	off int
	err error
}

func (r *annotReader) i32(what string) int32 {
	if r.err != nil {
		return 0
	}
	if r.off+4 > len(r.b) {
		r.err = fmt.Errorf("offset %d: truncated reading %s", r.off, what)
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return v
}

func (r *annotReader) str(n int32, what string) string {
	if r.err != nil {
		return ""
	}
	if n < 0 || r.off+int(n) > len(r.b) {
		r.err = fmt.Errorf("offset %d: bad length %d for %s", r.off, n, what)
		return ""
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// ParseAnnot parses the bytes of a .annot file.
func ParseAnnot(b []byte) (*Annot, error) {
	r := &annotReader{b: b}
	nv := r.i32("vertex count")
	if r.err == nil && (nv < 0 || int64(nv)*8 > int64(len(b))) {
		return nil, fmt.Errorf("offset 0: bad vertex count %d", nv)
	}
	a := &Annot{Values: make([]int32, nv)}
	seen := make([]bool, nv)
	for i := int32(0); i < nv && r.err == nil; i++ {
		v := r.i32("vertex index")
		val := r.i32("annotation value")
		if v < 0 || v >= nv {
			return nil, fmt.Errorf("offset %d: vertex %d outside [0, %d)", r.off-8, v, nv)
		}
		a.Values[v] = val
		seen[v] = true
	}
	if r.err != nil {
		return nil, r.err
	}
	for v, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("vertex %d has no annotation value", v)
		}
	}
	if r.off == len(b) {
		return nil, fmt.Errorf("offset %d: color table not found", r.off)
	}
	if has := r.i32("color table flag"); r.err == nil && has == 0 {
		return nil, fmt.Errorf("offset %d: color table not found", r.off-4)
	}
	n := r.i32("color table entries")
	if n > 0 { // old format
		a.OldFormat = true
		a.OrigTable = r.str(r.i32("table name length"), "table name")
		for i := int32(0); i < n && r.err == nil; i++ {
			var c ColorEntry
			c.Name = r.str(r.i32("name length"), "entry name")
			c.R, c.G, c.B, c.T = r.i32("R"), r.i32("G"), r.i32("B"), r.i32("T")
			a.Table = append(a.Table, c)
		}
	} else {
		if r.err == nil && -n != 2 {
			return nil, fmt.Errorf("offset %d: color table version %d not supported", r.off-4, -n)
		}
		maxEntries := r.i32("max entries")
		a.OrigTable = r.str(r.i32("table name length"), "table name")
		nRead := r.i32("entries to read")
		if r.err == nil && (nRead < 0 || int64(nRead)*24 > int64(len(b)-r.off)) {
			return nil, fmt.Errorf("offset %d: bad entry count %d", r.off-4, nRead)
		}
		_ = maxEntries
		// MNE keeps entries in file order (ignoring the structure number).
		for i := int32(0); i < nRead && r.err == nil; i++ {
			r.i32("structure")
			var c ColorEntry
			c.Name = r.str(r.i32("name length"), "entry name")
			c.R, c.G, c.B, c.T = r.i32("R"), r.i32("G"), r.i32("B"), r.i32("T")
			a.Table = append(a.Table, c)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// Bytes encodes the annotation in FreeSurfer's format with a version-2
// color table (what FreeSurfer, nibabel and MNE write), whatever
// OldFormat says.
func (a *Annot) Bytes() []byte {
	var buf bytes.Buffer
	w := func(v int32) { binary.Write(&buf, binary.BigEndian, v) }
	ws := func(s string) { w(int32(len(s) + 1)); buf.WriteString(s); buf.WriteByte(0) }
	w(int32(len(a.Values)))
	for v, val := range a.Values {
		w(int32(v))
		w(val)
	}
	w(1)
	w(-2)
	w(int32(len(a.Table)))
	ws(a.OrigTable)
	w(int32(len(a.Table)))
	for i, c := range a.Table {
		w(int32(i))
		ws(c.Name)
		w(c.R)
		w(c.G)
		w(c.B)
		w(c.T)
	}
	return buf.Bytes()
}

// WriteAnnot writes a to path atomically (temporary file, then rename).
func WriteAnnot(path string, a *Annot) error {
	ids := map[int32]string{}
	for _, c := range a.Table {
		if o, dup := ids[c.ID()]; dup {
			return fmt.Errorf("atlas: %s: entries %q and %q have the same color (annotation ID %d)", path, o, c.Name, c.ID())
		}
		ids[c.ID()] = c.Name
	}
	if a.OldFormat {
		return fmt.Errorf("atlas: %s: writing the old color-table format is not supported (clear OldFormat; IDs then exclude the transparency)", path)
	}
	return writeAtomic(path, a.Bytes())
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
