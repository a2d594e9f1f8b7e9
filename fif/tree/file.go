package tree

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/megflow/megflow/fif/tag"
)

// Error describes a problem at a place in a FIF file.
type Error struct {
	Path   string
	Offset int64 // byte offset of the tag, or -1 when not known
	Kind   int32 // tag kind, or 0 when not known
	Err    error
}

func (e *Error) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "fif: %s", e.Path)
	if e.Offset >= 0 {
		fmt.Fprintf(&sb, ": offset %d", e.Offset)
	}
	if e.Kind != 0 {
		fmt.Fprintf(&sb, ": tag %s", tag.KindName(e.Kind))
	}
	fmt.Fprintf(&sb, ": %v", e.Err)
	return sb.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Entry locates one tag in a file.
type Entry struct {
	Kind int32
	Type tag.Type
	Size int32
	Pos  int64 // offset of the tag header
}

// Node is a block of the FIF tree: its kind, the tags directly inside it
// and its child blocks. The root node has Block == tag.BlockRoot.
type Node struct {
	Block    int32
	ID       *tag.ID // FIFF_BLOCK_ID (or the file id for the root)
	ParentID *tag.ID
	Entries  []Entry
	Children []*Node
	Parent   *Node
	Start    int64 // offset of the BlockStart tag (-1 for the root)
}

// File is an open FIF file.
type File struct {
	Path  string
	Size  int64
	ID    tag.ID
	Dir   []Entry // all tags in file order
	Root  *Node
	r     io.ReaderAt
	close func() error
	// DirFromPointer is true when the directory came from the file's own
	// directory tag (fast path), false when it was rebuilt by a scan.
	DirFromPointer bool
}

// maxPayload bounds a single tag payload read into memory. Raw data tags
// are at most a few MB; no legitimate tag in a file below 2 GB is larger
// than the file.
const maxPayload = 1 << 31

// Open opens a FIF file (or a gzip-compressed .fif.gz, decompressed into
// memory) and reads its directory and block tree.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fif: %w", err)
	}
	st, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("fif: %w", err)
	}
	f := &File{Path: path, Size: st.Size(), r: fd, close: fd.Close}
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(fd)
		if err != nil {
			fd.Close()
			return nil, &Error{Path: path, Offset: -1, Err: fmt.Errorf("not a gzip file: %w", err)}
		}
		buf, err := io.ReadAll(zr)
		fd.Close()
		if err != nil {
			return nil, &Error{Path: path, Offset: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		f.r, f.Size, f.close = bytes.NewReader(buf), int64(len(buf)), func() error { return nil }
	}
	if err := f.init(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenBytes reads a FIF file held in memory (used by tests and the fuzzer).
func OpenBytes(name string, b []byte) (*File, error) {
	f := &File{Path: name, Size: int64(len(b)), r: bytes.NewReader(b), close: func() error { return nil }}
	if err := f.init(); err != nil {
		return nil, err
	}
	return f, nil
}

// Close releases the file.
func (f *File) Close() error {
	if f.close == nil {
		return nil
	}
	err := f.close()
	f.close = nil
	return err
}

func (f *File) errorf(off int64, kind int32, format string, args ...any) error {
	return &Error{Path: f.Path, Offset: off, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// ReaderAt gives positioned access to the file's bytes.
func (f *File) ReaderAt() io.ReaderAt { return f.r }

// Header reads and checks the tag header at pos.
func (f *File) Header(pos int64) (tag.Header, error) {
	var b [tag.HeaderSize]byte
	if pos < 0 || pos+tag.HeaderSize > f.Size {
		return tag.Header{}, f.errorf(pos, 0, "tag header outside the file (size %d): file truncated or bad offset", f.Size)
	}
	if _, err := f.r.ReadAt(b[:], pos); err != nil {
		return tag.Header{}, f.errorf(pos, 0, "reading tag header: %v", err)
	}
	h, _ := tag.DecodeHeader(b[:])
	if h.Size < 0 {
		return h, f.errorf(pos, h.Kind, "negative tag size %d", h.Size)
	}
	if pos+tag.HeaderSize+int64(h.Size) > f.Size {
		return h, f.errorf(pos, h.Kind, "tag of %d bytes runs past the end of the file (size %d): file truncated?", h.Size, f.Size)
	}
	return h, nil
}

func (f *File) init() error {
	h, err := f.Header(0)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && f.Size < tag.HeaderSize {
			return f.errorf(0, 0, "not a FIF file: only %d bytes", f.Size)
		}
		return f.errorf(0, 0, "not a FIF file: %v", errors.Unwrap(err))
	}
	if h.Kind != tag.FileID || h.Type != tag.IDStruct || h.Size != tag.IDSize {
		return f.errorf(0, h.Kind, "not a FIF file: the first tag must be a file id (kind %d, type id_struct, 20 bytes), found kind %d, %s, %d bytes",
			tag.FileID, h.Kind, h.Type, h.Size)
	}
	b, err := f.payload(Entry{Kind: h.Kind, Type: h.Type, Size: h.Size, Pos: 0})
	if err != nil {
		return err
	}
	f.ID, _ = tag.DecodeID(b)
	next, ok := h.NextPos(0)
	if !ok {
		return f.errorf(0, h.Kind, "file id tag has no successor")
	}
	dh, err := f.Header(next)
	if err != nil {
		return err
	}
	if dh.Kind != tag.DirPointer {
		return f.errorf(next, dh.Kind, "expected the directory pointer as the second tag")
	}
	ptr, err := f.Int(Entry{Kind: dh.Kind, Type: dh.Type, Size: dh.Size, Pos: next})
	if err != nil {
		return err
	}
	if ptr > 0 {
		if dir, err := f.readDirectory(int64(ptr)); err == nil {
			f.Dir, f.DirFromPointer = dir, true
		}
	}
	if f.Dir == nil {
		if f.Dir, err = f.scan(); err != nil {
			return err
		}
	}
	f.Root, err = f.buildTree()
	return err
}

// readDirectory reads the directory tag at pos and checks every entry
// against the file; any inconsistency makes the caller fall back to a scan.
func (f *File) readDirectory(pos int64) ([]Entry, error) {
	h, err := f.Header(pos)
	if err != nil {
		return nil, err
	}
	if h.Kind != tag.Dir || h.Type != tag.DirEntryStruct {
		return nil, f.errorf(pos, h.Kind, "directory pointer does not point to a directory")
	}
	b, err := f.payload(Entry{Kind: h.Kind, Type: h.Type, Size: h.Size, Pos: pos})
	if err != nil {
		return nil, err
	}
	d, err := tag.DecodeDir(b)
	if err != nil {
		return nil, f.errorf(pos, h.Kind, "%v", err)
	}
	dir := make([]Entry, 0, len(d))
	for _, e := range d {
		p := int64(e.Pos)
		if p < 0 || e.Size < 0 || p+tag.HeaderSize+int64(e.Size) > f.Size {
			return nil, f.errorf(pos, tag.Dir, "directory entry for tag %d points outside the file", e.Kind)
		}
		dir = append(dir, Entry{Kind: e.Kind, Type: e.Type, Size: e.Size, Pos: p})
	}
	if len(dir) == 0 || dir[0].Kind != tag.FileID {
		return nil, f.errorf(pos, tag.Dir, "directory does not start with the file id")
	}
	return dir, nil
}

// scan walks the tags from the start of the file following their next
// fields. It stops at a tag marked last, or at a clean end of file; a
// truncated final tag is an error naming its offset.
func (f *File) scan() ([]Entry, error) {
	var dir []Entry
	seen := map[int64]bool{}
	pos := int64(0)
	for {
		if pos == f.Size {
			break
		}
		if seen[pos] {
			return nil, f.errorf(pos, 0, "tag chain loops back to an earlier tag")
		}
		seen[pos] = true
		h, err := f.Header(pos)
		if err != nil {
			return nil, err
		}
		dir = append(dir, Entry{Kind: h.Kind, Type: h.Type, Size: h.Size, Pos: pos})
		next, ok := h.NextPos(pos)
		if !ok {
			break
		}
		if next > f.Size {
			return nil, f.errorf(pos, h.Kind, "next tag offset %d is past the end of the file (size %d)", next, f.Size)
		}
		pos = next
	}
	return dir, nil
}

// buildTree nests the directory into blocks using BlockStart/BlockEnd.
func (f *File) buildTree() (*Node, error) {
	root := &Node{Block: tag.BlockRoot, Start: -1}
	id := f.ID
	root.ID = &id
	cur := root
	for _, e := range f.Dir {
		switch e.Kind {
		case tag.BlockStart:
			kind, err := f.Int(e)
			if err != nil {
				return nil, err
			}
			n := &Node{Block: int32(kind), Parent: cur, Start: e.Pos}
			cur.Children = append(cur.Children, n)
			cur = n
		case tag.BlockEnd:
			kind, err := f.Int(e)
			if err != nil {
				return nil, err
			}
			if cur == root {
				return nil, f.errorf(e.Pos, e.Kind, "block end %d without a matching block start", kind)
			}
			if int32(kind) != cur.Block {
				return nil, f.errorf(e.Pos, e.Kind, "block end %d closes block %d started at offset %d", kind, cur.Block, cur.Start)
			}
			cur = cur.Parent
		default:
			cur.Entries = append(cur.Entries, e)
			switch e.Kind {
			case tag.BlockID, tag.ParentBlockID:
				if e.Type != tag.IDStruct || cur == root {
					continue
				}
				b, err := f.payload(e)
				if err != nil {
					return nil, err
				}
				id, err := tag.DecodeID(b)
				if err != nil {
					return nil, f.errorf(e.Pos, e.Kind, "%v", err)
				}
				if e.Kind == tag.BlockID {
					cur.ID = &id
				} else {
					cur.ParentID = &id
				}
			}
		}
	}
	// Unclosed blocks happen in files whose writer was interrupted; MNE
	// reads what is there, and so do we.
	return root, nil
}
