package fif

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// DefaultSplitSize is the largest part of a split raw file written by
// default, as MNE's split_size='2GB' (2 GiB less one byte, the format's
// limit).
const DefaultSplitSize = tree.MaxFileSize

// nextFileReserve is the room kept at the end of a part for the blocks
// that close it and point to the next part.
const nextFileReserve = 1 << 20

// RawWriteOptions control WriteRaw.
type RawWriteOptions struct {
	// Format of the stored samples: "single" (float32, the default),
	// "double", "short" (16-bit integers with per-channel cal and range) or
	// "int" (32-bit integers).
	Format string
	// BufferSize is the number of samples per data buffer; 0 means the
	// source's buffer size, or one second when it has none.
	BufferSize int
	// SplitSize is the largest size of one file in bytes; 0 means
	// DefaultSplitSize. Larger recordings are split into name.fif,
	// name-1.fif, name-2.fif, ... linked by next-file references.
	SplitSize int64
	// History, when not empty, is appended to the processing history as a
	// record whose creator is this string.
	History string
}

// RawSource is what WriteRaw streams from: measurement info, the absolute
// index of the first sample, the length, and a reader of calibrated data
// for all channels of Info, channel-major, in blocks.
type RawSource interface {
	RawInfo() *Info
	RawFirstSamp() int64
	RawNTimes() int64
	ReadAll(dst []float64, start, stop int64) error
}

// RawInfo, RawFirstSamp, RawNTimes and ReadAll make a Raw a RawSource.
func (r *Raw) RawInfo() *Info { return r.Info }

// RawFirstSamp returns FirstSamp.
func (r *Raw) RawFirstSamp() int64 { return r.FirstSamp }

// RawNTimes returns NTimes.
func (r *Raw) RawNTimes() int64 { return r.NTimes }

// ReadAll reads all channels.
func (r *Raw) ReadAll(dst []float64, start, stop int64) error {
	return r.ReadInto(dst, nil, start, stop)
}

func formatType(name string) (tag.Type, bool, error) {
	switch strings.ToLower(name) {
	case "", "single", "float", "float32":
		return tag.Float, true, nil
	case "double", "float64":
		return tag.Double, true, nil
	case "short", "int16":
		return tag.DauPack16, false, nil
	case "int", "int32":
		return tag.Int, false, nil
	}
	return 0, false, fmt.Errorf("fif: unknown raw format %q (want single, double, short or int)", name)
}

// SplitNames returns the file names of the parts of a split recording in
// Neuromag style: name.fif, name-1.fif, name-2.fif, ...
func SplitNames(path string, n int) []string {
	out := []string{path}
	for i := 1; i < n; i++ {
		out = append(out, splitNameFromNumber(path, int64(i)))
	}
	return out
}

// WriteRaw writes a raw recording from src to path, streaming it buffer by
// buffer, splitting it into parts when it exceeds the split size. It
// returns the paths written. All parts are written under temporary names
// and renamed together at the end, so a failure leaves nothing behind.
func WriteRaw(path string, src RawSource, opt RawWriteOptions) ([]string, error) {
	dataType, resetRange, err := formatType(opt.Format)
	if err != nil {
		return nil, err
	}
	info := cloneInfoForWrite(src.RawInfo(), resetRange)
	if opt.History != "" {
		info.ProcHistory = append(info.ProcHistory, newProcRecord(opt.History))
	}
	nchan := len(info.Chs)
	if nchan == 0 {
		return nil, fmt.Errorf("fif: write %s: no channels", path)
	}
	bufSize := opt.BufferSize
	if bufSize <= 0 {
		if r, ok := src.(*Raw); ok && r.BufferSize() > 0 {
			bufSize = r.BufferSize()
		} else {
			bufSize = max(1, int(math.Round(info.SFreq)))
		}
	}
	split := opt.SplitSize
	if split <= 0 || split > DefaultSplitSize {
		split = DefaultSplitSize
	}
	elem := rawElemSize(dataType)
	bufBytes := int64(tag.HeaderSize + elem*nchan*bufSize)
	if bufBytes+nextFileReserve+(1<<16) > split {
		return nil, fmt.Errorf("fif: write %s: a buffer of %d samples × %d channels (%d bytes) does not fit in split size %d", path, bufSize, nchan, bufBytes, split)
	}
	cals := make([]float64, nchan)
	for i, c := range info.Chs {
		cals[i] = c.Cal * c.Range
		if cals[i] == 0 || math.IsNaN(cals[i]) {
			return nil, fmt.Errorf("fif: write %s: channel %s has calibration %g", path, c.Name, cals[i])
		}
	}

	names := []string{path}
	var tmps []string
	abort := func(err error) ([]string, error) {
		for _, t := range tmps {
			removeQuiet(t)
		}
		return nil, err
	}
	firstSamp := src.RawFirstSamp()
	nTimes := src.RawNTimes()
	block := make([]float64, nchan*bufSize)
	payload := make([]byte, 0, elem*nchan*bufSize)
	var start int64
	for part := 0; ; part++ {
		if part > 0 {
			names = append(names, splitNameFromNumber(path, int64(part)))
		}
		w, err := tree.Create(names[part])
		if err != nil {
			return abort(err)
		}
		w.StartBlock(tag.BlockMeas)
		w.IDTag(tag.BlockID, tree.NewID())
		if info.MeasID != nil {
			w.IDTag(tag.ParentBlockID, *info.MeasID)
		}
		if err := WriteInfo(w, info, dataType, resetRange); err != nil {
			w.Abort()
			return abort(fmt.Errorf("fif: write %s: %w", names[part], err))
		}
		w.StartBlock(tag.BlockRawData)
		if fs := firstSamp + start; fs != 0 {
			w.Int32s(tag.FirstSample, int32(fs))
		}
		if part > 0 {
			writeRef(w, info, tag.RolePrevFile, filepath.Base(names[part-1]), part-1)
		}
		if w.Pos() > split-bufBytes-nextFileReserve {
			w.Abort()
			return abort(fmt.Errorf("fif: write %s: measurement info alone (%d bytes) leaves no room for data within split size %d", path, w.Pos(), split))
		}
		for start < nTimes {
			stop := min(start+int64(bufSize), nTimes)
			n := int(stop - start)
			if err := src.ReadAll(block[:nchan*n], start, stop); err != nil {
				w.Abort()
				return abort(err)
			}
			payload, err = encodeBuffer(payload[:0], block[:nchan*n], nchan, n, cals, dataType)
			if err != nil {
				w.Abort()
				return abort(fmt.Errorf("fif: write %s: samples %d..%d: %w", path, start, stop, err))
			}
			w.WriteTag(tag.DataBuffer, dataType, payload)
			start = stop
			if start < nTimes && w.Pos()+bufBytes+nextFileReserve > split {
				writeRef(w, info, tag.RoleNextFile, filepath.Base(splitNameFromNumber(path, int64(part+1))), part+1)
				break
			}
		}
		w.EndBlock(tag.BlockRawData)
		w.EndBlock(tag.BlockMeas)
		tmp, err := w.Finish()
		if err != nil {
			return abort(err)
		}
		tmps = append(tmps, tmp)
		if start >= nTimes {
			break
		}
	}
	if err := tree.Commit(tmps, names); err != nil {
		return nil, err
	}
	return names, nil
}

func writeRef(w *tree.Writer, info *Info, role int32, name string, num int) {
	w.StartBlock(tag.BlockRef)
	w.Int32s(tag.RefRole, role)
	w.String(tag.RefFileName, name)
	if info.MeasID != nil {
		w.IDTag(tag.RefFileID, *info.MeasID)
	}
	w.Int32s(tag.RefFileNum, int32(num))
	w.EndBlock(tag.BlockRef)
}

// encodeBuffer converts a channel-major block of n samples into the
// sample-major big-endian buffer of the given type, dividing by the
// calibration. Integers are rounded to nearest; a value outside the
// integer range is an error rather than a silent wrap-around.
func encodeBuffer(b []byte, block []float64, nchan, n int, cals []float64, t tag.Type) ([]byte, error) {
	for s := range n {
		for ch := range nchan {
			v := block[ch*n+s] / cals[ch]
			switch t {
			case tag.Float:
				b = be.AppendUint32(b, math.Float32bits(float32(v)))
			case tag.Double:
				b = be.AppendUint64(b, math.Float64bits(v))
			case tag.DauPack16:
				r := math.Round(v)
				if !(r >= math.MinInt16 && r <= math.MaxInt16) {
					return nil, fmt.Errorf("value %g of channel %d does not fit in 16 bits with cal %g (use --fmt single)", block[ch*n+s], ch, cals[ch])
				}
				b = be.AppendUint16(b, uint16(int16(r)))
			case tag.Int:
				r := math.Round(v)
				if !(r >= math.MinInt32 && r <= math.MaxInt32) {
					return nil, fmt.Errorf("value %g of channel %d does not fit in 32 bits with cal %g", block[ch*n+s], ch, cals[ch])
				}
				b = be.AppendUint32(b, uint32(int32(r)))
			}
		}
	}
	return b, nil
}

// cloneInfoForWrite copies the parts of info that writing changes: scan
// numbers restart at 1, and for float formats range is reset to 1 (the
// calibration then maps stored values straight to SI units), as MNE does.
func cloneInfoForWrite(in *Info, resetRange bool) *Info {
	out := *in
	out.Chs = append([]Channel(nil), in.Chs...)
	out.ProcHistory = append([]ProcRecord(nil), in.ProcHistory...)
	for i := range out.Chs {
		out.Chs[i].ScanNo = int32(i + 1)
		if resetRange {
			out.Chs[i].Range = 1
		}
	}
	return &out
}

func newProcRecord(creator string) ProcRecord {
	id := tree.NewID()
	now := time.Now()
	return ProcRecord{
		BlockID: &id,
		Date:    []int32{int32(now.Unix()), int32(now.Nanosecond() / 1000)},
		Creator: creator,
	}
}
