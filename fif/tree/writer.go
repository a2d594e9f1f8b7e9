package tree

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/megflow/megflow/fif/tag"
)

// MaxFileSize is the largest FIF file: tag offsets are signed 32-bit.
const MaxFileSize = math.MaxInt32

// Writer writes a FIF file tag by tag. The file is written under a
// temporary name in the destination directory and renamed by Close, so an
// interrupted or failed write never leaves a partial file at the path.
type Writer struct {
	path   string
	tmp    *os.File
	buf    *bufio.Writer
	pos    int64
	dir    []tag.DirEntry
	blocks []int32
	err    error
	ID     tag.ID // the file id written as the first tag
}

// NewID returns a fresh file or block id: random machine id, current time.
func NewID() tag.ID {
	var b [8]byte
	_, _ = rand.Read(b[:])
	now := time.Now()
	return tag.ID{
		Version: 1<<16 | 3, // FIFF version 1.3, as written by MNE and MaxFilter
		MachID:  [2]int32{int32(binary.BigEndian.Uint32(b[:])), int32(binary.BigEndian.Uint32(b[4:]))},
		Secs:    int32(now.Unix()),
		Usecs:   int32(now.Nanosecond() / 1000),
	}
}

// Create starts a FIF file at path: it writes the file id, the directory
// pointer (filled in by Close) and an empty free list.
func Create(path string) (*Writer, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("fif: create %s: %w", path, err)
	}
	w := &Writer{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, 1<<20), ID: NewID()}
	w.WriteTag(tag.FileID, tag.IDStruct, tag.AppendID(nil, w.ID))
	w.WriteTag(tag.DirPointer, tag.Int, tag.AppendInt32s(nil, -1))
	w.WriteTag(tag.FreeList, tag.Int, tag.AppendInt32s(nil, -1))
	if w.err != nil {
		w.Abort()
		return nil, w.err
	}
	return w, nil
}

// Path returns the final path of the file being written.
func (w *Writer) Path() string { return w.path }

// Pos returns the number of bytes written so far.
func (w *Writer) Pos() int64 { return w.pos }

// Err returns the first error met while writing.
func (w *Writer) Err() error { return w.err }

// WriteTag writes one tag with a sequential next pointer. Errors are
// sticky: after the first, further writes do nothing and Close reports it.
func (w *Writer) WriteTag(kind int32, t tag.Type, payload []byte) {
	w.writeTag(kind, t, payload, tag.NextSeq)
}

func (w *Writer) writeTag(kind int32, t tag.Type, payload []byte, next int32) {
	if w.err != nil {
		return
	}
	end := w.pos + tag.HeaderSize + int64(len(payload))
	if end > MaxFileSize {
		w.err = fmt.Errorf("fif: %s: file would exceed %d bytes at tag %s (split the file)", w.path, int64(MaxFileSize), tag.KindName(kind))
		return
	}
	var hdr [tag.HeaderSize]byte
	tag.AppendHeader(hdr[:0], tag.Header{Kind: kind, Type: t, Size: int32(len(payload)), Next: next})
	if _, err := w.buf.Write(hdr[:]); err != nil {
		w.err = fmt.Errorf("fif: write %s: %w", w.path, err)
		return
	}
	if _, err := w.buf.Write(payload); err != nil {
		w.err = fmt.Errorf("fif: write %s: %w", w.path, err)
		return
	}
	w.dir = append(w.dir, tag.DirEntry{Kind: kind, Type: t, Size: int32(len(payload)), Pos: int32(w.pos)})
	w.pos = end
}

// WriteTagStream writes a tag of size payload bytes that fill produces
// piece by piece, handing each to put (which copies it), so that a large
// payload (all epochs of a subject) need not exist whole in memory. The
// pieces must add up to size.
func (w *Writer) WriteTagStream(kind int32, t tag.Type, size int64, fill func(put func([]byte)) error) {
	if w.err != nil {
		return
	}
	end := w.pos + tag.HeaderSize + size
	if size < 0 || size > math.MaxInt32 || end > MaxFileSize {
		w.err = fmt.Errorf("fif: %s: file would exceed %d bytes at tag %s (split the file)", w.path, int64(MaxFileSize), tag.KindName(kind))
		return
	}
	var hdr [tag.HeaderSize]byte
	tag.AppendHeader(hdr[:0], tag.Header{Kind: kind, Type: t, Size: int32(size), Next: tag.NextSeq})
	if _, err := w.buf.Write(hdr[:]); err != nil {
		w.err = fmt.Errorf("fif: write %s: %w", w.path, err)
		return
	}
	var n int64
	err := fill(func(b []byte) {
		if w.err != nil {
			return
		}
		n += int64(len(b))
		if _, err := w.buf.Write(b); err != nil {
			w.err = fmt.Errorf("fif: write %s: %w", w.path, err)
		}
	})
	if w.err != nil {
		return
	}
	if err != nil {
		w.err = fmt.Errorf("fif: %s: tag %s: %w", w.path, tag.KindName(kind), err)
		return
	}
	if n != size {
		w.err = fmt.Errorf("fif: %s: tag %s announced %d bytes, %d written", w.path, tag.KindName(kind), size, n)
		return
	}
	w.dir = append(w.dir, tag.DirEntry{Kind: kind, Type: t, Size: int32(size), Pos: int32(w.pos)})
	w.pos = end
}

// StartBlock opens a block of the given kind.
func (w *Writer) StartBlock(kind int32) {
	w.WriteTag(tag.BlockStart, tag.Int, tag.AppendInt32s(nil, kind))
	w.blocks = append(w.blocks, kind)
}

// EndBlock closes the innermost block, which must be of the given kind.
func (w *Writer) EndBlock(kind int32) {
	if w.err != nil {
		return
	}
	if n := len(w.blocks); n == 0 || w.blocks[n-1] != kind {
		w.err = fmt.Errorf("fif: %s: end of block %d does not match the open blocks %v", w.path, kind, w.blocks)
		return
	}
	w.blocks = w.blocks[:len(w.blocks)-1]
	w.WriteTag(tag.BlockEnd, tag.Int, tag.AppendInt32s(nil, kind))
}

// Int32s writes an Int tag.
func (w *Writer) Int32s(kind int32, v ...int32) {
	w.WriteTag(kind, tag.Int, tag.AppendInt32s(nil, v...))
}

// Float32s writes a Float tag.
func (w *Writer) Float32s(kind int32, v ...float32) {
	w.WriteTag(kind, tag.Float, tag.AppendFloat32s(nil, v...))
}

// Float64s writes a Double tag.
func (w *Writer) Float64s(kind int32, v ...float64) {
	w.WriteTag(kind, tag.Double, tag.AppendFloat64s(nil, v...))
}

// String writes a String tag (latin1, as the format requires). Empty
// strings are not written, as MNE does not write them.
func (w *Writer) String(kind int32, s string) {
	if s == "" {
		return
	}
	w.WriteTag(kind, tag.String, tag.AppendStr(nil, s))
}

// IDTag writes an id struct tag.
func (w *Writer) IDTag(kind int32, id tag.ID) { w.WriteTag(kind, tag.IDStruct, tag.AppendID(nil, id)) }

// Matrix writes a dense matrix tag with elements of type elem.
func (w *Writer) Matrix(kind int32, elem tag.Type, dims []int, data []float64) {
	w.WriteTag(kind, tag.MatrixDense|elem, tag.AppendMatrix(nil, elem, dims, data))
}

// Abort discards the file.
func (w *Writer) Abort() {
	if w.tmp == nil {
		return
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
	w.tmp = nil
	if w.err == nil {
		w.err = fmt.Errorf("fif: %s: write aborted", w.path)
	}
}

// Close ends the file: it writes the tag directory as the last tag, points
// the directory pointer at it, syncs and renames the temporary file to the
// final path. On any error the temporary file is removed and nothing
// appears at the path.
func (w *Writer) Close() error {
	tmp, err := w.Finish()
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, w.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fif: write %s: %w", w.path, err)
	}
	return nil
}

// Finish completes the file like Close but leaves it under its temporary
// name, which it returns; the caller renames it (see Commit). Writers of
// multi-file outputs (split raw files) finish every part before renaming
// any, so that a failure leaves no part behind.
func (w *Writer) Finish() (string, error) {
	if w.tmp == nil {
		if w.err == nil {
			w.err = fmt.Errorf("fif: %s: writer already closed", w.path)
		}
		return "", w.err
	}
	if w.err == nil && len(w.blocks) > 0 {
		w.err = fmt.Errorf("fif: %s: blocks %v were not closed", w.path, w.blocks)
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return "", err
	}
	dirPos := w.pos
	// The directory lists itself, as Neuromag software does.
	size := int32((len(w.dir) + 1) * tag.DirEntrySize)
	entries := append(w.dir, tag.DirEntry{Kind: tag.Dir, Type: tag.DirEntryStruct, Size: size, Pos: int32(dirPos)})
	w.writeTag(tag.Dir, tag.DirEntryStruct, tag.AppendDir(nil, entries), tag.NextNone)
	if w.err == nil {
		w.err = w.buf.Flush()
	}
	if w.err == nil {
		// The directory pointer's payload starts right after the file id
		// tag (16+20 bytes) and its own header (16 bytes).
		ptr := tag.AppendInt32s(nil, int32(dirPos))
		_, w.err = w.tmp.WriteAt(ptr, tag.HeaderSize+tag.IDSize+tag.HeaderSize)
	}
	name := w.tmp.Name()
	if cerr := w.tmp.Close(); w.err == nil {
		w.err = cerr
	}
	w.tmp = nil
	if w.err == nil {
		w.err = os.Chmod(name, 0o644)
	}
	if w.err != nil {
		os.Remove(name)
		w.err = fmt.Errorf("fif: write %s: %w", w.path, w.err)
		return "", w.err
	}
	return name, nil
}

// Commit renames finished temporary files to their final paths (pairs of
// tmp, final). If a rename fails, the files not yet renamed are removed.
func Commit(tmps, finals []string) error {
	for i := range tmps {
		if err := os.Rename(tmps[i], finals[i]); err != nil {
			for _, t := range tmps[i:] {
				os.Remove(t)
			}
			return fmt.Errorf("fif: write %s: %w", finals[i], err)
		}
	}
	return nil
}
