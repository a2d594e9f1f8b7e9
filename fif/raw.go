package fif

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// ErrMaxShield is returned when a file holds MaxShield (IAS) raw data and
// RawOptions.AllowMaxShield is false. Such data must be Maxwell filtered
// before use, as with MNE's allow_maxshield.
var ErrMaxShield = errors.New("the file contains MaxShield (active shielding) data, which should be processed with a Maxwell filter first; allow it explicitly to read it anyway")

// RawOptions control how a raw file is opened.
type RawOptions struct {
	// AllowMaxShield reads IAS (MaxShield) raw data instead of refusing it.
	AllowMaxShield bool
	// IgnoreMissingSplit reads only the files present when a split file
	// names a next part that does not exist (MNE's on_split_missing='ignore').
	IgnoreMissingSplit bool
}

// rawBuffer is one data buffer (or a skipped gap) of a raw recording.
type rawBuffer struct {
	file  int        // index into Raw.files
	entry tree.Entry // the FIFF_DATA_BUFFER tag; Kind 0 for a skip
	start int64      // first sample, relative to the start of the recording
	n     int        // number of samples
}

// Raw is an open raw recording: its measurement info and an index of its
// data buffers, across split files. Data are read on demand, in any time
// range and channel subset.
type Raw struct {
	Info      *Info
	FirstSamp int64 // absolute index of the first sample (FIFF_FIRST_SAMPLE)
	NTimes    int64
	// Format is the data type of the buffers on disk (tag.DauPack16,
	// tag.Short, tag.Int, tag.Float, tag.Double).
	Format    tag.Type
	MaxShield bool
	Paths     []string // the files read, split parts in order

	files   []*tree.File
	buffers []rawBuffer
	cals    []float64 // range * cal per channel, as MNE computes it
	nchan   int
	maxBuf  int // largest buffer payload, bytes
}

// FormatName returns MNE's name for the on-disk format: short, int,
// single or double.
func FormatName(t tag.Type) string {
	switch t {
	case tag.DauPack16, tag.Short:
		return "short"
	case tag.Int:
		return "int"
	case tag.Float:
		return "single"
	case tag.Double:
		return "double"
	}
	return t.String()
}

func rawElemSize(t tag.Type) int {
	switch t {
	case tag.DauPack16, tag.Short:
		return 2
	case tag.Int, tag.Float:
		return 4
	case tag.Double:
		return 8
	}
	return 0
}

// OpenRaw opens a raw FIF file and, through its next-file references, the
// rest of a split recording. Only the directory and the measurement info
// are read; data stay on disk until Read.
func OpenRaw(path string, opt RawOptions) (*Raw, error) {
	r := &Raw{}
	next := path
	for next != "" {
		if len(r.files) > 0 {
			if _, err := os.Stat(next); err != nil {
				if opt.IgnoreMissingSplit {
					break
				}
				r.Close()
				return nil, fmt.Errorf("fif: %s: split file %s named by the previous part is missing: %w", r.Paths[len(r.Paths)-1], next, err)
			}
		}
		n, err := r.openPart(next, opt)
		if err != nil {
			r.Close()
			return nil, err
		}
		next = n
		if len(r.files) > 1000 {
			r.Close()
			return nil, fmt.Errorf("fif: %s: more than 1000 split parts; the next-file references loop?", path)
		}
	}
	return r, nil
}

// openPart reads one file of a (possibly split) recording and returns the
// name of the next part, if any.
func (r *Raw) openPart(path string, opt RawOptions) (string, error) {
	f, err := tree.Open(path)
	if err != nil {
		return "", err
	}
	fi := len(r.files)
	r.files = append(r.files, f)
	r.Paths = append(r.Paths, path)

	info, meas, err := ReadInfo(f)
	if err != nil {
		return "", err
	}
	if fi == 0 {
		// Like read_raw_fif (clean_bads=True), drop bads that are not channels.
		info.KeepKnownBads()
		r.Info = info
		r.nchan = len(info.Chs)
		r.cals = make([]float64, r.nchan)
		for i, c := range info.Chs {
			r.cals[i] = c.Range * c.Cal
		}
	} else if len(info.Chs) != r.nchan || info.SFreq != r.Info.SFreq {
		return "", fmt.Errorf("fif: %s: split part has %d channels at %g Hz, the first part %d at %g Hz",
			path, len(info.Chs), info.SFreq, r.nchan, r.Info.SFreq)
	}
	if r.nchan == 0 {
		return "", fmt.Errorf("fif: %s: measurement info has no channels", path)
	}

	data := meas.Blocks(tag.BlockRawData)
	if len(data) == 0 {
		data = meas.Blocks(tag.BlockContinuousData)
	}
	if len(data) == 0 {
		data = meas.Blocks(tag.BlockIASRawData)
		if len(data) > 0 {
			if !opt.AllowMaxShield {
				return "", fmt.Errorf("fif: %s: %w", path, ErrMaxShield)
			}
			r.MaxShield = true
		}
	}
	if len(data) == 0 {
		return "", fmt.Errorf("fif: %s: no raw data block (raw, continuous or MaxShield data) in the measurement", path)
	}
	if err := r.indexBuffers(f, fi, data[0]); err != nil {
		return "", err
	}
	return nextSplitName(f, path)
}

// indexBuffers walks the tags of a raw data block, applying MNE's rules
// for the first sample and for skipped buffers (acquisition gaps, read as
// zeros).
func (r *Raw) indexBuffers(f *tree.File, fi int, node *tree.Node) error {
	ents := node.Entries
	k := 0
	firstSamp := int64(0)
	firstSkip := int64(0)
	if k < len(ents) && ents[k].Kind == tag.FirstSample {
		v, err := f.Int(ents[k])
		if err != nil {
			return err
		}
		firstSamp = v
		k++
	}
	if k < len(ents) && ents[k].Kind == tag.DataSkip {
		v, err := f.Int(ents[k])
		if err != nil {
			return err
		}
		firstSkip = v
		k++
	}
	// Samples of this part are appended after those of earlier parts.
	offset := r.NTimes
	partStart := int64(-1)
	pending := int64(0) // buffers to skip before the next data buffer
	for ; k < len(ents); k++ {
		e := ents[k]
		switch e.Kind {
		case tag.DataSkip:
			v, err := f.Int(e)
			if err != nil {
				return err
			}
			if v < 0 || v > 1<<20 {
				return f.Errorf(e, "implausible number of skipped buffers %d", v)
			}
			pending = v
		case tag.DataBuffer:
			size := rawElemSize(e.Type)
			if size == 0 {
				return f.Errorf(e, "cannot read raw data buffers of type %s", e.Type)
			}
			if r.Format == 0 {
				r.Format = e.Type
			}
			rowBytes := size * r.nchan
			if int(e.Size)%rowBytes != 0 {
				return f.Errorf(e, "buffer of %d bytes is not a whole number of samples of %d channels × %d bytes", e.Size, r.nchan, size)
			}
			n := int(e.Size) / rowBytes
			if firstSkip > 0 {
				firstSamp += int64(n) * firstSkip
				firstSkip = 0
			}
			if partStart < 0 {
				partStart = firstSamp
				if fi == 0 {
					r.FirstSamp = firstSamp
				}
			}
			if pending > 0 {
				gap := pending * int64(n)
				r.buffers = append(r.buffers, rawBuffer{file: fi, start: offset, n: int(gap)})
				offset += gap
				pending = 0
			}
			r.buffers = append(r.buffers, rawBuffer{file: fi, entry: e, start: offset, n: n})
			offset += int64(n)
			if int(e.Size) > r.maxBuf {
				r.maxBuf = int(e.Size)
			}
		}
	}
	if offset == r.NTimes {
		return fmt.Errorf("fif: %s: raw data block at offset %d holds no data buffers", f.Path, node.Start)
	}
	r.NTimes = offset
	return nil
}

// nextSplitName follows MNE's rules for the FIFFB_REF block that points to
// the next part of a split recording.
func nextSplitName(f *tree.File, path string) (string, error) {
	for _, ref := range f.Root.Blocks(tag.BlockRef) {
		role := int64(tag.RoleNextFile)
		if e, ok := ref.Find(tag.RefRole); ok {
			v, err := f.Int(e)
			if err != nil {
				return "", err
			}
			role = v
		}
		if role != int64(tag.RoleNextFile) {
			continue
		}
		if e, ok := ref.Find(tag.RefFileName); ok {
			name, err := f.String(e)
			if err != nil {
				return "", err
			}
			return filepath.Join(filepath.Dir(path), filepath.Base(name)), nil
		}
		if e, ok := ref.Find(tag.RefFileNum); ok {
			num, err := f.Int(e)
			if err != nil {
				return "", err
			}
			return splitNameFromNumber(path, num), nil
		}
	}
	return "", nil
}

// splitNameFromNumber builds "name-N.ext" from "name.ext" or "name-M.ext".
func splitNameFromNumber(path string, num int64) string {
	dir, base := filepath.Split(path)
	dot := strings.Index(base, ".")
	if dot < 0 {
		dot = len(base)
	}
	stem, ext := base[:dot], base[dot:]
	if dash := strings.LastIndex(stem, "-"); dash >= 0 {
		if isDigits(stem[dash+1:]) {
			stem = stem[:dash]
		}
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, num, ext))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Close releases the files.
func (r *Raw) Close() error {
	var first error
	for _, f := range r.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.files = nil
	return first
}

// LastSamp is the absolute index of the last sample.
func (r *Raw) LastSamp() int64 { return r.FirstSamp + r.NTimes - 1 }

// Cals returns range × cal per channel: the factor from stored numbers to
// SI units.
func (r *Raw) Cals() []float64 { return r.cals }

// BufferSize returns the number of samples of the first data buffer.
func (r *Raw) BufferSize() int {
	for _, b := range r.buffers {
		if b.entry.Kind != 0 {
			return b.n
		}
	}
	return 0
}
