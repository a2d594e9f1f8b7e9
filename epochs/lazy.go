package epochs

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// File is an -epo.fif opened for reading one epoch at a time: its
// metadata are read, its data stay on disk until ReadEpoch asks for an
// epoch. A step that passes over the epochs of a whole subject (applying
// an inverse operator to each) then holds one epoch instead of all of
// them — 1 GB in float64 for 1,900 epochs of 306 channels × 221 samples.
type File struct {
	// Epochs holds everything Read returns except Data (nil).
	*Epochs
	f       *tree.File
	entry   tree.Entry
	size    int // bytes per stored value (4 or 8)
	per     int // values per epoch
	scratch []byte
}

// Open opens an -epo.fif for ReadEpoch. It accepts what Read accepts
// whose data are stored as float or double (what MNE and Write produce).
func Open(path string) (*File, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	e, entry, err := readHeader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	lf := &File{Epochs: e, f: f, entry: *entry, per: e.NChan() * e.NTimes()}
	if err := lf.checkLayout(); err != nil {
		f.Close()
		return nil, err
	}
	return lf, nil
}

// checkLayout checks the data tag: a dense float or double matrix of
// n_epochs × n_channels × n_times whose size matches.
func (lf *File) checkLayout() error {
	t := lf.entry.Type
	if t.Coding() != tag.MatrixDense {
		return lf.f.Errorf(lf.entry, "epochs data are %s, not a dense matrix", t)
	}
	switch t.Elem() {
	case tag.Float:
		lf.size = 4
	case tag.Double:
		lf.size = 8
	default:
		return lf.f.Errorf(lf.entry, "epochs data of %s cannot be read epoch by epoch (float or double expected)", t.Elem())
	}
	n := lf.Len()
	want := int64(n)*int64(lf.per)*int64(lf.size) + 16 // values, 3 dims, the dim count
	if int64(lf.entry.Size) != want {
		return lf.f.Errorf(lf.entry, "epochs data of %d bytes, want %d for %d epochs x %d channels x %d times", lf.entry.Size, want, n, lf.NChan(), lf.NTimes())
	}
	trailer := make([]byte, 16)
	if _, err := lf.f.ReaderAt().ReadAt(trailer, lf.entry.Pos+tag.HeaderSize+int64(lf.entry.Size)-16); err != nil {
		return lf.f.Errorf(lf.entry, "reading the matrix dimensions: %v", err)
	}
	be := binary.BigEndian
	dims := [4]int{int(int32(be.Uint32(trailer))), int(int32(be.Uint32(trailer[4:]))), int(int32(be.Uint32(trailer[8:]))), int(int32(be.Uint32(trailer[12:])))}
	if dims != [4]int{lf.NTimes(), lf.NChan(), n, 3} {
		return lf.f.Errorf(lf.entry, "epochs matrix dimensions %v (fastest first, then the count), want [%d %d %d 3]", dims, lf.NTimes(), lf.NChan(), n)
	}
	return nil
}

// ReadEpoch returns epoch i (channels × times, row-major, calibrated as
// Read's), in dst when it has room. A File serves one goroutine at a time
// (it reuses a read buffer).
func (lf *File) ReadEpoch(i int, dst []float64) ([]float64, error) {
	if i < 0 || i >= lf.Len() {
		return nil, fmt.Errorf("epochs: epoch %d of %d", i, lf.Len())
	}
	nb := lf.per * lf.size
	if cap(lf.scratch) < nb {
		lf.scratch = make([]byte, nb)
	}
	b := lf.scratch[:nb]
	off := lf.entry.Pos + tag.HeaderSize + int64(i)*int64(nb)
	if _, err := lf.f.ReaderAt().ReadAt(b, off); err != nil {
		return nil, lf.f.Errorf(lf.entry, "reading epoch %d: %v", i, err)
	}
	if cap(dst) < lf.per {
		dst = make([]float64, lf.per)
	}
	dst = dst[:lf.per]
	nt := lf.NTimes()
	for k, c := range lf.Info.Chs {
		row := dst[k*nt : (k+1)*nt]
		src := b[k*nt*lf.size:]
		if lf.size == 4 {
			for j := range row {
				row[j] = float64(math.Float32frombits(binary.BigEndian.Uint32(src[4*j:]))) * c.Cal
			}
		} else {
			for j := range row {
				row[j] = math.Float64frombits(binary.BigEndian.Uint64(src[8*j:])) * c.Cal
			}
		}
	}
	return dst, nil
}

// Close closes the file.
func (lf *File) Close() error { return lf.f.Close() }
