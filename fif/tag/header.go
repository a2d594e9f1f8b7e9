package tag

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size in bytes of a tag header.
const HeaderSize = 16

var be = binary.BigEndian

// Header is the fixed 16-byte part of every FIF tag.
type Header struct {
	Kind int32 // what the tag holds (FileID, ChInfo, DataBuffer, ...)
	Type Type  // how the payload is encoded
	Size int32 // payload size in bytes
	Next int32 // NextSeq, NextNone, or the absolute offset of the next tag
}

// DecodeHeader decodes a header from the first 16 bytes of b.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("tag header needs %d bytes, have %d", HeaderSize, len(b))
	}
	return Header{
		Kind: int32(be.Uint32(b[0:])),
		Type: Type(be.Uint32(b[4:])),
		Size: int32(be.Uint32(b[8:])),
		Next: int32(be.Uint32(b[12:])),
	}, nil
}

// AppendHeader appends the 16 encoded bytes of h to b.
func AppendHeader(b []byte, h Header) []byte {
	b = be.AppendUint32(b, uint32(h.Kind))
	b = be.AppendUint32(b, uint32(h.Type))
	b = be.AppendUint32(b, uint32(h.Size))
	return be.AppendUint32(b, uint32(h.Next))
}

// NextPos returns the offset of the tag that follows a tag at pos with
// header h, and false when h says there is none.
func (h Header) NextPos(pos int64) (int64, bool) {
	switch {
	case h.Next == NextSeq:
		return pos + HeaderSize + int64(h.Size), true
	case h.Next > 0:
		return int64(h.Next), true
	}
	return 0, false
}
