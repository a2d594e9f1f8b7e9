package fif

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	enc := startRawEncoder(src, nchan, bufSize, cals, dataType)
	defer enc.stop()
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
			b, ok := enc.next(start)
			if !ok || b.start != start {
				w.Abort()
				return abort(fmt.Errorf("fif: write %s: internal error: encoder out of step at sample %d", path, start))
			}
			if b.err != nil {
				w.Abort()
				if b.encErr {
					return abort(fmt.Errorf("fif: write %s: samples %d..%d: %w", path, b.start, b.stop, b.err))
				}
				return abort(b.err)
			}
			w.WriteTag(tag.DataBuffer, dataType, b.payload)
			enc.release(b.payload)
			start = b.stop
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

// encodeRows converts a channel-major block of n samples (channel ch,
// sample k at rows[ch*ld+k]) into the sample-major big-endian buffer of
// the given type, dividing by the calibration, in p's storage. Integers are
// rounded to nearest; a value outside the integer range is an error rather
// than a silent wrap-around (the first such value in file order is
// reported).
func encodeRows(p []byte, rows []float64, ld, nchan, n int, cals []float64, t tag.Type) ([]byte, error) {
	size := rawElemSize(t)
	p = slices.Grow(p[:0], size*nchan*n)[:size*nchan*n]
	if err := encodeSamples(p, rows, ld, nchan, 0, n, cals, t); err != nil {
		return nil, err
	}
	return p, nil
}

// encodeSamples writes samples [s0, s1) of the channel-major block (row
// stride ld) into out, sample-major: out starts at sample s0. Each type has
// its own loop; the output is written in order (reading the rows with a
// stride is cheaper than scattering the writes).
func encodeSamples(out []byte, block []float64, ld, nchan, s0, s1 int, cals []float64, t tag.Type) error {
	cals = cals[:nchan]
	size := rawElemSize(t)
	frame := size * nchan
	for s := s0; s < s1; s++ {
		dst := out[(s-s0)*frame : (s-s0+1)*frame]
		switch t {
		case tag.Float:
			for ch, c := range cals {
				be.PutUint32(dst[4*ch:4*ch+4], math.Float32bits(float32(block[ch*ld+s]/c)))
			}
		case tag.Double:
			for ch, c := range cals {
				be.PutUint64(dst[8*ch:8*ch+8], math.Float64bits(block[ch*ld+s]/c))
			}
		case tag.DauPack16:
			for ch, c := range cals {
				r := math.Round(block[ch*ld+s] / c)
				if !(r >= math.MinInt16 && r <= math.MaxInt16) {
					return fmt.Errorf("value %g of channel %d does not fit in 16 bits with cal %g (use --fmt single)", block[ch*ld+s], ch, c)
				}
				be.PutUint16(dst[2*ch:2*ch+2], uint16(int16(r)))
			}
		case tag.Int:
			for ch, c := range cals {
				r := math.Round(block[ch*ld+s] / c)
				if !(r >= math.MinInt32 && r <= math.MaxInt32) {
					return fmt.Errorf("value %g of channel %d does not fit in 32 bits with cal %g", block[ch*ld+s], ch, c)
				}
				be.PutUint32(dst[4*ch:4*ch+4], uint32(int32(r)))
			}
		}
	}
	return nil
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

// blockLender is a RawSource that can hand out its data without a copy
// (maxwell.Filter does): BorrowBlock returns samples [start, stop) of
// every channel as rows with the given stride, valid until the next call
// to the source, or nil rows when it cannot (ReadAll is used then).
type blockLender interface {
	BorrowBlock(start, stop int64) (rows []float64, stride int, err error)
}

// encodedBuffer is one data buffer of WriteRaw, encoded ahead of the
// writer.
type encodedBuffer struct {
	payload     []byte
	start, stop int64
	err         error
	encErr      bool // err is from the encoding (not the source)
}

// rawEncoder reads and encodes the data buffers of WriteRaw in a
// goroutine, in order, a few buffers ahead of the file writes, so that
// reading (and whatever computation the source does), encoding and the
// write system calls overlap. Memory is encodeAhead payloads and one
// block.
//
// A source that encodes float32 buffers itself (float32Lender) is read
// directly by the writer instead: the encoding then happens where the data
// are made.
type rawEncoder struct {
	out  chan encodedBuffer
	free chan []byte
	done chan struct{}
	wg   sync.WaitGroup

	// direct mode (float32Lender)
	lender        float32Lender
	src           RawSource
	nchan, bufLen int
	cals          []float64
	block         []float64
	payload       []byte
	nTimes        int64
}

// float32Lender is a RawSource that can hand out its data already encoded
// as float32 data buffers (maxwell.Filter does). EncodeFloat32 asks it to
// encode every sample as the big-endian float32 of value / cals[ch],
// sample-major; it returns false when it cannot. BorrowEncoded then
// returns the encoded samples [start, stop), valid until the next call to
// the source, or nil when it cannot (the writer encodes them itself).
type float32Lender interface {
	EncodeFloat32(cals []float64) bool
	BorrowEncoded(start, stop int64) ([]byte, error)
}

const encodeAhead = 3

func startRawEncoder(src RawSource, nchan, bufSize int, cals []float64, t tag.Type) *rawEncoder {
	if fl, ok := src.(float32Lender); ok && t == tag.Float && fl.EncodeFloat32(slices.Clone(cals)) {
		return &rawEncoder{lender: fl, src: src, nchan: nchan, bufLen: bufSize, cals: cals, nTimes: src.RawNTimes()}
	}
	e := &rawEncoder{
		out:  make(chan encodedBuffer, encodeAhead-1),
		free: make(chan []byte, encodeAhead),
		done: make(chan struct{}),
	}
	for range encodeAhead {
		e.free <- nil
	}
	nTimes := src.RawNTimes()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(e.out)
		var block []float64
		lender, _ := src.(blockLender)
		for start := int64(0); start < nTimes; {
			stop := min(start+int64(bufSize), nTimes)
			n := int(stop - start)
			var p []byte
			select {
			case p = <-e.free:
			case <-e.done:
				return
			}
			b := encodedBuffer{start: start, stop: stop}
			var rows []float64
			ld := n
			if lender != nil {
				rows, ld, b.err = lender.BorrowBlock(start, stop)
			}
			if b.err == nil && rows == nil {
				if block == nil {
					block = make([]float64, nchan*bufSize)
				}
				rows, ld = block[:nchan*n], n
				b.err = src.ReadAll(rows, start, stop)
			}
			if b.err == nil {
				if b.payload, b.err = encodeRows(p, rows, ld, nchan, n, cals, t); b.err != nil {
					b.encErr = true
				}
			}
			select {
			case e.out <- b:
			case <-e.done:
				return
			}
			if b.err != nil {
				return
			}
			start = stop
		}
	}()
	return e
}

// next returns the buffer that starts at sample start.
func (e *rawEncoder) next(start int64) (encodedBuffer, bool) {
	if e.lender == nil {
		b, ok := <-e.out
		return b, ok
	}
	stop := min(start+int64(e.bufLen), e.nTimes)
	b := encodedBuffer{start: start, stop: stop}
	if b.payload, b.err = e.lender.BorrowEncoded(start, stop); b.err != nil || b.payload != nil {
		if b.err == nil && len(b.payload) != 4*e.nchan*int(stop-start) {
			b.err = fmt.Errorf("fif: source encoded %d bytes for %d channels × %d samples", len(b.payload), e.nchan, stop-start)
		}
		return b, true
	}
	n := int(stop - start)
	if e.block == nil {
		e.block = make([]float64, e.nchan*e.bufLen)
	}
	if b.err = e.src.ReadAll(e.block[:e.nchan*n], start, stop); b.err == nil {
		e.payload, b.err = encodeRows(e.payload, e.block[:e.nchan*n], n, e.nchan, n, e.cals, tag.Float)
		b.payload, b.encErr = e.payload, b.err != nil
	}
	return b, true
}

// release gives a written payload back for reuse.
func (e *rawEncoder) release(p []byte) {
	if e.lender != nil {
		return
	}
	select {
	case e.free <- p:
	default:
	}
}

// stop ends the goroutine and waits for it: the source is not read after.
func (e *rawEncoder) stop() {
	if e.lender != nil {
		return
	}
	close(e.done)
	e.wg.Wait()
}
