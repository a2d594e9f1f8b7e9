package fif

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// Event is one row of an MNE events array.
type Event struct {
	Sample int64 // absolute sample index (it includes the recording's first_samp)
	Prev   int32 // trigger value just before the event
	ID     int32 // event code
}

// isFIFEventsName reports whether MNE would treat path as a FIF events file
// (".fif" or ".gz" suffix) rather than a text one.
func isFIFEventsName(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".fif" || ext == ".gz"
}

// ReadEvents reads an events file the way mne.read_events does (without
// include/exclude/mask): FIF when the name ends in .fif or .gz, MNE's text
// format otherwise.
func ReadEvents(path string) ([]Event, error) {
	if isFIFEventsName(path) {
		ev, _, err := ReadEventsFIF(path)
		return ev, err
	}
	return ReadEventsText(path)
}

// ReadEventsFIF reads the events of a FIF file (the first FIFFB_MNE_EVENTS
// block and its FIFF_MNE_EVENT_LIST) and, when the block carries one, the
// mapping from event names to codes: from FIFF_DESCRIPTION ("name:code"
// items separated by ';') or from MNE-C's FIFF_MNE_EVENT_COMMENTS (one
// name per event). The map is nil when neither is present.
func ReadEventsFIF(path string) ([]Event, map[string]int32, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	blocks := f.Root.Blocks(tag.BlockMNEEvents)
	if len(blocks) == 0 {
		return nil, nil, fmt.Errorf("fif: %s: no events block (FIFFB_MNE_EVENTS) in the file", path)
	}
	node := blocks[0]
	e, ok := node.Find(tag.MNEEventList)
	if !ok {
		return nil, nil, fmt.Errorf("fif: %s: the events block has no event list (FIFF_MNE_EVENT_LIST)", path)
	}
	vals, err := f.Ints(e)
	if err != nil {
		return nil, nil, err
	}
	if len(vals)%3 != 0 {
		return nil, nil, f.Errorf(e, "event list has %d values, not a multiple of 3", len(vals))
	}
	events := make([]Event, len(vals)/3)
	for i := range events {
		r := vals[3*i : 3*i+3]
		// Values are 32-bit on disk (signed or unsigned); MNE converts them
		// to its integer type, and so do we (wrapping like a C int for
		// unsigned values above 2^31, which no real file holds).
		events[i] = Event{Sample: r[0], Prev: int32(r[1]), ID: int32(r[2])}
	}
	var names map[string]int32
	for _, d := range node.Entries {
		switch d.Kind {
		case tag.Comment: // FIFF_DESCRIPTION
			s, err := f.String(d)
			if err != nil {
				return nil, nil, err
			}
			names, err = parseEventIDs(s)
			if err != nil {
				return nil, nil, f.Wrap(d, err)
			}
		case tag.MNEEventComments:
			b, err := f.Payload(d)
			if err != nil {
				return nil, nil, err
			}
			// NUL-terminated latin1 names, one per event.
			parts := eventCommentNames(b)
			if len(parts) != len(events) {
				return nil, nil, f.Errorf(d, "%d event comments for %d events", len(parts), len(events))
			}
			names = make(map[string]int32, len(parts))
			for i, p := range parts {
				names[p] = events[i].ID
			}
		default:
			continue
		}
		break
	}
	return events, names, nil
}

// eventCommentNames splits a FIFF_MNE_EVENT_COMMENTS payload: latin1
// strings, each terminated by a NUL byte (a trailing piece without NUL is
// dropped, as MNE drops it).
func eventCommentNames(b []byte) []string {
	pieces := bytes.Split(b, []byte{0})
	pieces = pieces[:len(pieces)-1]
	out := make([]string, len(pieces))
	for i, p := range pieces {
		var sb strings.Builder
		for _, c := range p {
			sb.WriteRune(rune(c))
		}
		out[i] = sb.String()
	}
	return out
}

// parseEventIDs parses "name:code;name:code" as MNE does: items are split
// on ';' and each item at its last ':'.
func parseEventIDs(s string) (map[string]int32, error) {
	out := map[string]int32{}
	for _, item := range strings.Split(s, ";") {
		i := strings.LastIndexByte(item, ':')
		if i < 0 {
			return nil, fmt.Errorf("event id item %q has no ':' separating name and code", item)
		}
		code, err := strconv.ParseInt(strings.TrimSpace(item[i+1:]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("event id item %q: code is not an integer", item)
		}
		out[item[:i]] = int32(code)
	}
	return out, nil
}

// checkEventSamples verifies that every sample fits the 32-bit integers of
// the FIF format.
func checkEventSamples(path string, events []Event) error {
	for i, e := range events {
		if e.Sample > math.MaxInt32 || e.Sample < math.MinInt32 {
			return fmt.Errorf("fif: %s: event %d: sample %d does not fit in a 32-bit FIF integer", path, i, e.Sample)
		}
	}
	return nil
}

// WriteEvents writes events as mne.write_events does: a FIF file (one
// FIFFB_MNE_EVENTS block with the n x 3 FIFF_MNE_EVENT_LIST) when the name
// ends in .fif, MNE's text format otherwise. Gzip-compressed output (.gz)
// is not supported. The file appears only once completely written.
func WriteEvents(path string, events []Event) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".gz":
		return fmt.Errorf("fif: %s: writing gzip-compressed FIF files is not supported", path)
	case ".fif":
		return WriteEventsFIF(path, events)
	}
	return WriteEventsText(path, events)
}

// WriteEventsFIF writes a FIF events file whatever the name.
func WriteEventsFIF(path string, events []Event) error {
	if err := checkEventSamples(path, events); err != nil {
		return err
	}
	vals := make([]int32, 0, 3*len(events))
	for _, e := range events {
		vals = append(vals, int32(e.Sample), e.Prev, e.ID)
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	w.StartBlock(tag.BlockMNEEvents)
	w.Int32s(tag.MNEEventList, vals...)
	w.EndBlock(tag.BlockMNEEvents)
	return w.Close()
}

// ReadEventsText reads MNE's text events format as mne.read_events does:
// whitespace-separated numbers, '#' starting a comment, every line with the
// same number of columns; 3 columns are sample, previous value and code,
// 4 columns (the MNE-C .eve/.lst format) are sample, time, previous value
// and code, the time being ignored. Numbers are read as floating point and
// truncated toward zero. An MNE-C offset line (code 0) is kept, as
// mne.read_events keeps it when no mask is given.
func ReadEventsText(path string) ([]Event, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fif: %w", err)
	}
	defer fd.Close()
	sc := bufio.NewScanner(fd)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var events []Event
	ncol := 0
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if ncol == 0 {
			ncol = len(fields)
			if ncol != 3 && ncol != 4 {
				return nil, fmt.Errorf("fif: %s: line %d: %d columns; an events text file has 3 (sample, previous, code) or 4 (sample, time, previous, code)", path, lineNo, ncol)
			}
		} else if len(fields) != ncol {
			return nil, fmt.Errorf("fif: %s: line %d: %d columns where earlier lines have %d", path, lineNo, len(fields), ncol)
		}
		var v [4]int64
		for k, s := range fields {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("fif: %s: line %d, column %d: %q is not a finite number", path, lineNo, k+1, s)
			}
			t := math.Trunc(x)
			if t >= 1<<63 || t < -(1<<63) {
				return nil, fmt.Errorf("fif: %s: line %d, column %d: %q is out of range", path, lineNo, k+1, s)
			}
			v[k] = int64(t)
		}
		if ncol == 4 {
			v[1], v[2] = v[2], v[3]
		}
		for k := 1; k <= 2; k++ {
			if v[k] > math.MaxInt32 || v[k] < math.MinInt32 {
				return nil, fmt.Errorf("fif: %s: line %d: value %d does not fit in 32 bits", path, lineNo, v[k])
			}
		}
		events = append(events, Event{Sample: v[0], Prev: int32(v[1]), ID: int32(v[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fif: %s: %w", path, err)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("fif: %s: no event lines found", path)
	}
	return events, nil
}

// WriteEventsText writes events in MNE-Python's text format, one event per
// line: sample, previous value and code ("%6d %6d %3d"), as
// mne.write_events writes .eve, .lst and .txt files.
func WriteEventsText(path string, events []Event) error {
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "%6d %6d %3d\n", e.Sample, e.Prev, e.ID)
	}
	return writeEventsFileAtomic(path, b.Bytes())
}

// WriteEventsTextTime writes events in the 4-column MNE-C format: sample,
// time in seconds (sample / sfreq, with the sample counted from the start of
// acquisition as MNE-C does), previous value and code. mne.read_events
// reads it (dropping the time column).
func WriteEventsTextTime(path string, events []Event, sfreq float64) error {
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return fmt.Errorf("fif: %s: sampling frequency %v is not a positive number", path, sfreq)
	}
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "%6d %10.6f %6d %3d\n", e.Sample, float64(e.Sample)/sfreq, e.Prev, e.ID)
	}
	return writeEventsFileAtomic(path, b.Bytes())
}

// writeEventsFileAtomic writes data to a temporary file next to path and renames
// it into place, so that no partial file is ever visible at path.
func writeEventsFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("fif: create %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_ = os.Chmod(name, 0o644)
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("fif: write %s: %w", path, err)
	}
	return nil
}
