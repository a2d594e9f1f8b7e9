package tree

import (
	"fmt"

	"github.com/megflow/megflow/fif/tag"
)

// payload reads the payload bytes of the tag at e. The size was checked
// against the file size when the entry was made.
func (f *File) payload(e Entry) ([]byte, error) {
	if e.Size < 0 || e.Pos < 0 || e.Pos+tag.HeaderSize+int64(e.Size) > f.Size || int64(e.Size) > maxPayload {
		return nil, f.errorf(e.Pos, e.Kind, "tag of %d bytes does not fit in the file (size %d)", e.Size, f.Size)
	}
	b := make([]byte, e.Size)
	if _, err := f.r.ReadAt(b, e.Pos+tag.HeaderSize); err != nil {
		return nil, f.errorf(e.Pos, e.Kind, "reading %d bytes: %v", e.Size, err)
	}
	return b, nil
}

// Payload returns the raw payload bytes of a tag.
func (f *File) Payload(e Entry) ([]byte, error) { return f.payload(e) }

// ReadPayloadInto reads the payload of e into buf, which must have room
// for e.Size bytes; it returns buf[:e.Size]. Raw data readers use it to
// avoid an allocation per buffer.
func (f *File) ReadPayloadInto(e Entry, buf []byte) ([]byte, error) {
	if int(e.Size) > cap(buf) {
		return nil, f.errorf(e.Pos, e.Kind, "buffer of %d bytes too small for a tag of %d bytes", cap(buf), e.Size)
	}
	buf = buf[:e.Size]
	if _, err := f.r.ReadAt(buf, e.Pos+tag.HeaderSize); err != nil {
		return nil, f.errorf(e.Pos, e.Kind, "reading %d bytes: %v", e.Size, err)
	}
	return buf, nil
}

// Wrap turns err into an *Error located at e (for object-level decoders).
func (f *File) Wrap(e Entry, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Path: f.Path, Offset: e.Pos, Kind: e.Kind, Err: err}
}

// Errorf makes an *Error located at e.
func (f *File) Errorf(e Entry, format string, args ...any) error {
	return f.errorf(e.Pos, e.Kind, format, args...)
}

// Ints decodes an integer tag.
func (f *File) Ints(e Entry) ([]int64, error) {
	b, err := f.payload(e)
	if err != nil {
		return nil, err
	}
	v, err := tag.Ints(e.Type, b)
	return v, f.Wrap(e, err)
}

// Int decodes an integer tag holding (at least) one value.
func (f *File) Int(e Entry) (int64, error) {
	v, err := f.Ints(e)
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		return 0, f.errorf(e.Pos, e.Kind, "empty integer tag")
	}
	return v[0], nil
}

// Floats decodes a numeric tag as float64 values.
func (f *File) Floats(e Entry) ([]float64, error) {
	b, err := f.payload(e)
	if err != nil {
		return nil, err
	}
	v, err := tag.Floats(e.Type, b)
	return v, f.Wrap(e, err)
}

// Float decodes a numeric tag holding (at least) one value.
func (f *File) Float(e Entry) (float64, error) {
	v, err := f.Floats(e)
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		return 0, f.errorf(e.Pos, e.Kind, "empty numeric tag")
	}
	return v[0], nil
}

// String decodes a string tag.
func (f *File) String(e Entry) (string, error) {
	if e.Type != tag.String {
		return "", f.errorf(e.Pos, e.Kind, "expected a string, found %s", e.Type)
	}
	b, err := f.payload(e)
	if err != nil {
		return "", err
	}
	return tag.Str(b), nil
}

// expect checks the type of a struct tag.
func (f *File) expect(e Entry, t tag.Type) error {
	if e.Type != t {
		return f.errorf(e.Pos, e.Kind, "expected %s, found %s", t, e.Type)
	}
	return nil
}

// ID decodes an id struct tag.
func (f *File) IDStruct(e Entry) (tag.ID, error) {
	if err := f.expect(e, tag.IDStruct); err != nil {
		return tag.ID{}, err
	}
	b, err := f.payload(e)
	if err != nil {
		return tag.ID{}, err
	}
	v, err := tag.DecodeID(b)
	return v, f.Wrap(e, err)
}

// ChInfo decodes a channel info tag.
func (f *File) ChInfo(e Entry) (tag.ChInfoRec, error) {
	if err := f.expect(e, tag.ChInfoStruct); err != nil {
		return tag.ChInfoRec{}, err
	}
	b, err := f.payload(e)
	if err != nil {
		return tag.ChInfoRec{}, err
	}
	v, err := tag.DecodeChInfo(b)
	return v, f.Wrap(e, err)
}

// CoordTrans decodes a coordinate transform tag.
func (f *File) CoordTrans(e Entry) (tag.CoordTransRec, error) {
	if err := f.expect(e, tag.CoordTransStruct); err != nil {
		return tag.CoordTransRec{}, err
	}
	b, err := f.payload(e)
	if err != nil {
		return tag.CoordTransRec{}, err
	}
	v, err := tag.DecodeCoordTrans(b)
	return v, f.Wrap(e, err)
}

// DigPoints decodes a dig point or dig string tag.
func (f *File) DigPoints(e Entry) ([]tag.DigPointRec, error) {
	b, err := f.payload(e)
	if err != nil {
		return nil, err
	}
	switch e.Type {
	case tag.DigPointStruct:
		v, err := tag.DecodeDigPoint(b)
		return []tag.DigPointRec{v}, f.Wrap(e, err)
	case tag.DigStringStruct:
		v, err := tag.DecodeDigString(b)
		return v, f.Wrap(e, err)
	}
	return nil, f.errorf(e.Pos, e.Kind, "expected a dig point, found %s", e.Type)
}

// Matrix decodes a dense matrix tag.
func (f *File) Matrix(e Entry) (tag.Matrix, error) {
	b, err := f.payload(e)
	if err != nil {
		return tag.Matrix{}, err
	}
	m, err := tag.DecodeMatrix(e.Type, b)
	return m, f.Wrap(e, err)
}

// Sparse decodes a sparse matrix tag.
func (f *File) Sparse(e Entry) (tag.Sparse, error) {
	b, err := f.payload(e)
	if err != nil {
		return tag.Sparse{}, err
	}
	m, err := tag.DecodeSparse(e.Type, b)
	return m, f.Wrap(e, err)
}

// Find returns the first entry of the given kind directly in n.
func (n *Node) Find(kind int32) (Entry, bool) {
	for _, e := range n.Entries {
		if e.Kind == kind {
			return e, true
		}
	}
	return Entry{}, false
}

// FindAll returns every entry of the given kind directly in n.
func (n *Node) FindAll(kind int32) []Entry {
	var out []Entry
	for _, e := range n.Entries {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Blocks returns n and all its descendants of the given block kind, in
// file order (depth first).
func (n *Node) Blocks(kind int32) []*Node {
	var out []*Node
	var walk func(*Node)
	walk = func(m *Node) {
		if m.Block == kind {
			out = append(out, m)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Child returns the first direct child block of the given kind.
func (n *Node) Child(kind int32) *Node {
	for _, c := range n.Children {
		if c.Block == kind {
			return c
		}
	}
	return nil
}

// String describes the node for messages.
func (n *Node) String() string {
	return fmt.Sprintf("block %d (%d tags, %d children)", n.Block, len(n.Entries), len(n.Children))
}
