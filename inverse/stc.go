package inverse

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// MNE's .stc format (mne.read_source_estimate / SourceEstimate.save) holds
// the estimate of one hemisphere of a surface source space, big-endian:
// tmin (ms, float32), tstep (ms, float32), the vertex count (uint32), the
// vertex numbers (uint32), the number of time points (uint32), then the
// data as float32, time-major (every vertex of the first time point, then
// the second ...). A surface estimate is the pair STEM-lh.stc, STEM-rh.stc.
//
// Because the data are time-major, an estimate can be written block of
// time points by block, so that the .stc output of a long recording needs
// no more memory than HDF5's.

// StcPaths returns the file names of the estimate stem: STEM-lh.stc and
// STEM-rh.stc. The stem may be given as STEM, STEM.stc, STEM-lh.stc or
// STEM-rh.stc (MNE's read_source_estimate takes STEM or either file
// name; SourceEstimate.save takes STEM).
func StcPaths(stem string) (lh, rh string) {
	s := StcStem(stem)
	return s + "-lh.stc", s + "-rh.stc"
}

// StcStem strips .stc, -lh.stc or -rh.stc from name.
func StcStem(name string) string {
	for _, suf := range []string{"-lh.stc", "-rh.stc", ".stc"} {
		if strings.HasSuffix(name, suf) {
			return strings.TrimSuffix(name, suf)
		}
	}
	return name
}

// IsStcName reports whether name ends in .stc (so that the estimate goes
// to MNE's .stc pair rather than HDF5).
func IsStcName(name string) bool { return strings.HasSuffix(name, ".stc") }

// StcWriter writes a surface estimate of two hemispheres as MNE's .stc
// pair, block of time points by block. Both files are written under
// temporary names and renamed by Close once both are complete; Abort (or a
// failed write) removes them.
type StcWriter struct {
	paths    [2]string
	tmpNames [2]string
	tmp      [2]*os.File
	bw       [2]*bufio.Writer
	nv       [2]int // vertices per hemisphere
	nt       int    // time points announced
	next     int    // next time point expected
	buf      []byte
	err      error
	done     bool
}

// CreateStc starts the .stc pair of stem (see StcPaths) for an estimate
// with one row per vertex of vertices (lh then rh, the rows of Kernel
// output), nt time points from tmin with step tstep (seconds).
func CreateStc(stem string, vertices [][]int, tmin, tstep float64, nt int) (*StcWriter, error) {
	if len(vertices) != 2 {
		return nil, fmt.Errorf("stc: a surface estimate has two hemispheres, got %d source spaces", len(vertices))
	}
	if nt < 0 || int64(nt) > math.MaxUint32 {
		return nil, fmt.Errorf("stc: %d time points do not fit the format", nt)
	}
	if math.IsNaN(tmin) || math.IsInf(tmin, 0) || !(tstep > 0) || math.IsInf(tstep, 0) {
		return nil, fmt.Errorf("stc: tmin %g s, tstep %g s: want finite values and tstep > 0", tmin, tstep)
	}
	lh, rh := StcPaths(stem)
	w := &StcWriter{paths: [2]string{lh, rh}, nt: nt}
	for h := range 2 {
		f, err := os.CreateTemp(filepath.Dir(w.paths[h]), "."+filepath.Base(w.paths[h])+".tmp-*")
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("stc: cannot write %s: %w", w.paths[h], err)
		}
		w.tmp[h], w.tmpNames[h] = f, f.Name()
		w.bw[h] = bufio.NewWriterSize(f, 1<<20)
		w.nv[h] = len(vertices[h])
		hdr := make([]byte, 0, 16+4*len(vertices[h]))
		hdr = binary.BigEndian.AppendUint32(hdr, math.Float32bits(float32(1000*tmin)))
		hdr = binary.BigEndian.AppendUint32(hdr, math.Float32bits(float32(1000*tstep)))
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(vertices[h])))
		for _, v := range vertices[h] {
			if v < 0 || int64(v) > math.MaxUint32 {
				w.Abort()
				return nil, fmt.Errorf("stc: vertex number %d out of range", v)
			}
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(v))
		}
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(nt))
		if _, err := w.bw[h].Write(hdr); err != nil {
			w.Abort()
			return nil, fmt.Errorf("stc: cannot write %s: %w", w.paths[h], err)
		}
	}
	return w, nil
}

// NOut is the number of estimate rows the writer takes (vertices of both
// hemispheres).
func (w *StcWriter) NOut() int { return w.nv[0] + w.nv[1] }

// PutBlock appends time points [t0, t0+nt) of the estimate; data is NOut
// x nt, row-major (lh vertices, then rh). Blocks must come in order.
func (w *StcWriter) PutBlock(t0, nt int, data []float32) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("stc: writer is closed")
	}
	nout := w.NOut()
	switch {
	case t0 != w.next:
		return w.fail(fmt.Errorf("stc: block at time point %d, expected %d", t0, w.next))
	case nt < 0 || t0+nt > w.nt:
		return w.fail(fmt.Errorf("stc: block [%d, %d) beyond the %d time points", t0, t0+nt, w.nt))
	case len(data) != nout*nt:
		return w.fail(fmt.Errorf("stc: block has %d values, want %d vertices x %d times", len(data), nout, nt))
	}
	row0 := 0
	for h := range 2 {
		nv := w.nv[h]
		if cap(w.buf) < 4*nv {
			w.buf = make([]byte, 4*nv)
		}
		b := w.buf[:4*nv]
		for t := range nt {
			for v := range nv {
				binary.BigEndian.PutUint32(b[4*v:], math.Float32bits(data[(row0+v)*nt+t]))
			}
			if _, err := w.bw[h].Write(b); err != nil {
				return w.fail(fmt.Errorf("stc: cannot write %s: %w", w.paths[h], err))
			}
		}
		row0 += nv
	}
	w.next += nt
	return nil
}

// Put makes the writer an Estimates sink for a single estimate (the one
// evoked response): epoch 0 holds all the time points.
func (w *StcWriter) Put(i int, data []float32) error {
	if i != 0 {
		return w.fail(fmt.Errorf("stc: a .stc pair holds one estimate, got estimate %d", i))
	}
	return w.PutBlock(0, w.nt, data)
}

func (w *StcWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// Close completes both files and renames them to their names. It fails,
// leaving no file, when fewer time points were written than announced.
func (w *StcWriter) Close() error {
	if w.done {
		return errors.New("stc: writer is already closed")
	}
	if w.err == nil && w.next != w.nt {
		w.err = fmt.Errorf("stc: %d of %d time points written", w.next, w.nt)
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return err
	}
	for h := range 2 {
		err := w.bw[h].Flush()
		if err == nil {
			err = w.tmp[h].Sync()
		}
		if e := w.tmp[h].Close(); err == nil {
			err = e
		}
		w.tmp[h] = nil
		if err != nil {
			w.err = fmt.Errorf("stc: cannot write %s: %w", w.paths[h], err)
			err := w.err
			w.Abort()
			return err
		}
	}
	// Both files are complete: rename them. Should the second rename
	// fail, the first file is removed, so that no half pair is left.
	w.done = true
	for h := range 2 {
		if err := os.Rename(w.tmpNames[h], w.paths[h]); err != nil {
			if h == 1 {
				os.Remove(w.paths[0])
			}
			w.removeTemps()
			return fmt.Errorf("stc: cannot write %s: %w", w.paths[h], err)
		}
		w.tmpNames[h] = ""
	}
	return nil
}

// Abort removes the temporary files; the targets are not touched.
func (w *StcWriter) Abort() {
	for h := range 2 {
		if w.tmp[h] != nil {
			w.tmp[h].Close()
			w.tmp[h] = nil
		}
	}
	w.removeTemps()
	w.done = true
}

func (w *StcWriter) removeTemps() {
	for h, name := range w.tmpNames {
		if name != "" {
			os.Remove(name)
			w.tmpNames[h] = ""
		}
	}
}

// WriteStc writes data (one row per vertex of vertices, lh then rh, nt
// time points, row-major) as the .stc pair of stem.
func WriteStc(stem string, vertices [][]int, tmin, tstep float64, data []float32, nt int) error {
	w, err := CreateStc(stem, vertices, tmin, tstep, nt)
	if err != nil {
		return err
	}
	if err := w.PutBlock(0, nt, data); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// Stc is one hemisphere's .stc file.
type Stc struct {
	// Tmin and Tstep are in seconds (the file stores milliseconds as
	// float32).
	Tmin, Tstep float64
	Vertices    []int
	NTimes      int
	// Data is len(Vertices) x NTimes, row-major.
	Data []float32
}

// ReadStc reads one .stc file (a hemisphere).
func ReadStc(path string) (*Stc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) (*Stc, error) {
		return nil, fmt.Errorf("stc: %s: %s", path, fmt.Sprintf(format, a...))
	}
	if len(b) < 16 {
		return bad("%d bytes, shorter than the header", len(b))
	}
	u := func(off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
	s := &Stc{Tmin: float64(math.Float32frombits(u(0))) / 1000, Tstep: float64(math.Float32frombits(u(4))) / 1000}
	nv := int64(u(8))
	if 16+4*nv > int64(len(b)) {
		return bad("%d vertices announced at offset 8, the file has %d bytes", nv, len(b))
	}
	s.Vertices = make([]int, nv)
	for i := range s.Vertices {
		s.Vertices[i] = int(u(12 + 4*i))
	}
	off := 12 + 4*int(nv)
	nt := int64(u(off))
	off += 4
	// Compare without multiplying first: nv·nt can overflow for a corrupt
	// header.
	rest := int64(len(b) - off)
	if (nv == 0 && rest != 0) || (nv > 0 && (rest%(4*nv) != 0 || rest/(4*nv) != nt)) {
		return bad("%d vertices x %d times (header) do not match the %d data bytes", nv, nt, rest)
	}
	s.NTimes = int(nt)
	s.Data = make([]float32, nv*nt)
	for t := range s.NTimes {
		if nv == 0 {
			break // an empty hemisphere may announce any number of times
		}
		for v := range int(nv) {
			s.Data[v*s.NTimes+t] = math.Float32frombits(u(off))
			off += 4
		}
	}
	return s, nil
}
