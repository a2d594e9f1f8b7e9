package tag

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Fixed sizes of the FIFF structs, in bytes.
const (
	IDSize         = 20
	DirEntrySize   = 16
	ChInfoSize     = 96
	DigPointSize   = 20
	CoordTransSize = 104
)

func lengthError(t Type, n, unit int) error {
	return fmt.Errorf("payload of %d bytes is not a whole number of %s (%d bytes each)", n, t, unit)
}

// Ints decodes an integer payload of type Byte, Short, UShort, Int, UInt,
// Julian, Long, ULong or DauPack16 into int64 values.
func Ints(t Type, b []byte) ([]int64, error) {
	size := t.ElemSize()
	switch t {
	case Byte, Short, UShort, Int, UInt, Julian, Long, ULong, DauPack16:
	default:
		return nil, fmt.Errorf("expected an integer type, found %s", t)
	}
	if len(b)%size != 0 {
		return nil, lengthError(t, len(b), size)
	}
	out := make([]int64, len(b)/size)
	for i := range out {
		p := b[i*size:]
		switch t {
		case Byte:
			out[i] = int64(p[0])
		case Short, DauPack16:
			out[i] = int64(int16(be.Uint16(p)))
		case UShort:
			out[i] = int64(be.Uint16(p))
		case Int, Julian:
			out[i] = int64(int32(be.Uint32(p)))
		case UInt:
			out[i] = int64(be.Uint32(p))
		case Long, ULong:
			out[i] = int64(be.Uint64(p))
		}
	}
	return out, nil
}

// Floats decodes a numeric payload (Float, Double, or any integer type)
// into float64 values. float32 values are widened exactly.
func Floats(t Type, b []byte) ([]float64, error) {
	switch t {
	case Float:
		if len(b)%4 != 0 {
			return nil, lengthError(t, len(b), 4)
		}
		out := make([]float64, len(b)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(be.Uint32(b[4*i:])))
		}
		return out, nil
	case Double:
		if len(b)%8 != 0 {
			return nil, lengthError(t, len(b), 8)
		}
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = math.Float64frombits(be.Uint64(b[8*i:]))
		}
		return out, nil
	}
	ints, err := Ints(t, b)
	if err != nil {
		return nil, fmt.Errorf("expected a numeric type, found %s", t)
	}
	out := make([]float64, len(ints))
	for i, v := range ints {
		out[i] = float64(v)
	}
	return out, nil
}

var xmlCharRef = regexp.MustCompile(`&#[0-9]+;|&#x[0-9a-fA-F]+;`)

// Str decodes a String payload. FIF strings are ISO 8859-1; MNE writes
// characters outside it as XML character references (&#8211;), which are
// resolved here. (MNE itself resolves only six-digit references, so it
// reads most of its own escaped characters back as references.) Trailing
// NUL bytes are dropped.
func Str(b []byte) string {
	b = trimNUL(b)
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c)) // latin1 byte == code point
	}
	s := sb.String()
	if strings.Contains(s, "&#") {
		s = xmlCharRef.ReplaceAllStringFunc(s, html.UnescapeString)
	}
	return s
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// AppendStr appends s encoded as a FIF string: latin1, with characters
// outside latin1 written as XML character references (as MNE does).
func AppendStr(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b = append(b, '?')
		case r < 256:
			b = append(b, byte(r))
		default:
			b = fmt.Appendf(b, "&#%d;", r)
		}
	}
	return b
}

// ID is a FIFF id struct: a file or block identifier.
type ID struct {
	Version int32
	MachID  [2]int32
	Secs    int32
	Usecs   int32
}

// DecodeID decodes an IDStruct payload.
func DecodeID(b []byte) (ID, error) {
	if len(b) < IDSize {
		return ID{}, fmt.Errorf("id struct needs %d bytes, have %d", IDSize, len(b))
	}
	return ID{
		Version: int32(be.Uint32(b)),
		MachID:  [2]int32{int32(be.Uint32(b[4:])), int32(be.Uint32(b[8:]))},
		Secs:    int32(be.Uint32(b[12:])),
		Usecs:   int32(be.Uint32(b[16:])),
	}, nil
}

// AppendID appends the encoded id.
func AppendID(b []byte, id ID) []byte {
	for _, v := range []int32{id.Version, id.MachID[0], id.MachID[1], id.Secs, id.Usecs} {
		b = be.AppendUint32(b, uint32(v))
	}
	return b
}

// DirEntry is one entry of a FIF tag directory: a tag header whose last
// word is the absolute file offset of the tag.
type DirEntry struct {
	Kind int32
	Type Type
	Size int32
	Pos  int32
}

// DecodeDir decodes a DirEntryStruct payload.
func DecodeDir(b []byte) ([]DirEntry, error) {
	if len(b)%DirEntrySize != 0 {
		return nil, lengthError(DirEntryStruct, len(b), DirEntrySize)
	}
	out := make([]DirEntry, len(b)/DirEntrySize)
	for i := range out {
		p := b[i*DirEntrySize:]
		out[i] = DirEntry{
			Kind: int32(be.Uint32(p)),
			Type: Type(be.Uint32(p[4:])),
			Size: int32(be.Uint32(p[8:])),
			Pos:  int32(be.Uint32(p[12:])),
		}
	}
	return out, nil
}

// AppendDir appends encoded directory entries.
func AppendDir(b []byte, d []DirEntry) []byte {
	for _, e := range d {
		b = be.AppendUint32(b, uint32(e.Kind))
		b = be.AppendUint32(b, uint32(e.Type))
		b = be.AppendUint32(b, uint32(e.Size))
		b = be.AppendUint32(b, uint32(e.Pos))
	}
	return b
}

// ChInfoRec is the on-disk channel information record (fiffChInfoRec).
type ChInfoRec struct {
	ScanNo   int32
	LogNo    int32
	Kind     int32
	Range    float32
	Cal      float32
	CoilType int32
	Loc      [12]float32
	Unit     int32
	UnitMul  int32
	Name     string // at most 15 bytes on disk
}

// DecodeChInfo decodes a ChInfoStruct payload.
func DecodeChInfo(b []byte) (ChInfoRec, error) {
	if len(b) < ChInfoSize {
		return ChInfoRec{}, fmt.Errorf("channel info struct needs %d bytes, have %d", ChInfoSize, len(b))
	}
	var c ChInfoRec
	c.ScanNo = int32(be.Uint32(b))
	c.LogNo = int32(be.Uint32(b[4:]))
	c.Kind = int32(be.Uint32(b[8:]))
	c.Range = math.Float32frombits(be.Uint32(b[12:]))
	c.Cal = math.Float32frombits(be.Uint32(b[16:]))
	c.CoilType = int32(be.Uint32(b[20:]))
	for i := range c.Loc {
		c.Loc[i] = math.Float32frombits(be.Uint32(b[24+4*i:]))
	}
	c.Unit = int32(be.Uint32(b[72:]))
	c.UnitMul = int32(be.Uint32(b[76:]))
	name := b[80:96]
	if i := indexNUL(name); i >= 0 {
		name = name[:i]
	}
	// MNE decodes channel names as UTF-8; fall back to latin1 otherwise.
	if utf8.Valid(name) {
		c.Name = string(name)
	} else {
		c.Name = Str(name)
	}
	return c, nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// AppendChInfo appends an encoded channel info record. Names longer than
// 15 bytes are truncated, as the format requires (the full names travel in
// a separate tag; see package fif).
func AppendChInfo(b []byte, c ChInfoRec) []byte {
	b = be.AppendUint32(b, uint32(c.ScanNo))
	b = be.AppendUint32(b, uint32(c.LogNo))
	b = be.AppendUint32(b, uint32(c.Kind))
	b = be.AppendUint32(b, math.Float32bits(c.Range))
	b = be.AppendUint32(b, math.Float32bits(c.Cal))
	b = be.AppendUint32(b, uint32(c.CoilType))
	for _, v := range c.Loc {
		b = be.AppendUint32(b, math.Float32bits(v))
	}
	b = be.AppendUint32(b, uint32(c.Unit))
	b = be.AppendUint32(b, uint32(c.UnitMul))
	name := AppendStr(nil, c.Name)
	if len(name) > 15 {
		name = name[:15]
	}
	b = append(b, name...)
	for i := len(name); i < 16; i++ {
		b = append(b, 0)
	}
	return b
}

// CoordTransRec is the on-disk coordinate transformation (rotation and
// translation, with its inverse).
type CoordTransRec struct {
	From, To int32
	Rot      [9]float32 // row-major 3x3
	Move     [3]float32
	InvRot   [9]float32
	InvMove  [3]float32
}

// DecodeCoordTrans decodes a CoordTransStruct payload.
func DecodeCoordTrans(b []byte) (CoordTransRec, error) {
	if len(b) < CoordTransSize {
		return CoordTransRec{}, fmt.Errorf("coordinate transform struct needs %d bytes, have %d", CoordTransSize, len(b))
	}
	var c CoordTransRec
	c.From = int32(be.Uint32(b))
	c.To = int32(be.Uint32(b[4:]))
	f := func(i int) float32 { return math.Float32frombits(be.Uint32(b[8+4*i:])) }
	for i := range 9 {
		c.Rot[i] = f(i)
		c.InvRot[i] = f(12 + i)
	}
	for i := range 3 {
		c.Move[i] = f(9 + i)
		c.InvMove[i] = f(21 + i)
	}
	return c, nil
}

// AppendCoordTrans appends an encoded coordinate transform.
func AppendCoordTrans(b []byte, c CoordTransRec) []byte {
	b = be.AppendUint32(b, uint32(c.From))
	b = be.AppendUint32(b, uint32(c.To))
	for _, part := range [][]float32{c.Rot[:], c.Move[:], c.InvRot[:], c.InvMove[:]} {
		for _, v := range part {
			b = be.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

// DigPointRec is a digitizer point as stored on disk.
type DigPointRec struct {
	Kind  int32
	Ident int32
	R     [3]float32
}

// DecodeDigPoint decodes a DigPointStruct payload.
func DecodeDigPoint(b []byte) (DigPointRec, error) {
	if len(b) < DigPointSize {
		return DigPointRec{}, fmt.Errorf("dig point struct needs %d bytes, have %d", DigPointSize, len(b))
	}
	d := DigPointRec{Kind: int32(be.Uint32(b)), Ident: int32(be.Uint32(b[4:]))}
	for i := range 3 {
		d.R[i] = math.Float32frombits(be.Uint32(b[8+4*i:]))
	}
	return d, nil
}

// DecodeDigString decodes a DigStringStruct payload (kind, ident, n, then n
// points) into n points that share kind and ident.
func DecodeDigString(b []byte) ([]DigPointRec, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("dig string struct needs at least 12 bytes, have %d", len(b))
	}
	kind, ident := int32(be.Uint32(b)), int32(be.Uint32(b[4:]))
	n := int64(int32(be.Uint32(b[8:])))
	if n < 0 || 12+12*n > int64(len(b)) {
		return nil, fmt.Errorf("dig string struct claims %d points in %d bytes", n, len(b))
	}
	out := make([]DigPointRec, n)
	for i := range out {
		out[i] = DigPointRec{Kind: kind, Ident: ident}
		for j := range 3 {
			out[i].R[j] = math.Float32frombits(be.Uint32(b[12+12*i+4*j:]))
		}
	}
	return out, nil
}

// AppendDigPoint appends an encoded digitizer point.
func AppendDigPoint(b []byte, d DigPointRec) []byte {
	b = be.AppendUint32(b, uint32(d.Kind))
	b = be.AppendUint32(b, uint32(d.Ident))
	for _, v := range d.R {
		b = be.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// DecodeOldPack decodes an OldPack payload (float32 offset, float32 scale, then
// int16 samples) into float64 values offset + scale*sample.
func DecodeOldPack(b []byte) ([]float64, error) {
	if len(b) < 8 || (len(b)-8)%2 != 0 {
		return nil, fmt.Errorf("old_pack payload of %d bytes is malformed", len(b))
	}
	offset := float64(math.Float32frombits(be.Uint32(b)))
	scale := float64(math.Float32frombits(be.Uint32(b[4:])))
	out := make([]float64, (len(b)-8)/2)
	for i := range out {
		out[i] = float64(int16(be.Uint16(b[8+2*i:])))*scale + offset
	}
	return out, nil
}
