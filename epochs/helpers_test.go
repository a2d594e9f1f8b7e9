package epochs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/preprocess"
)

// memRaw is a fif.RawSource (and pick reader) over data in memory.
type memRaw struct {
	info  *fif.Info
	first int64
	n     int64
	data  []float64 // nchan x n
}

func (m *memRaw) RawInfo() *fif.Info  { return m.info }
func (m *memRaw) RawFirstSamp() int64 { return m.first }
func (m *memRaw) RawNTimes() int64    { return m.n }
func (m *memRaw) ReadAll(dst []float64, start, stop int64) error {
	picks := make([]int, len(m.info.Chs))
	for i := range picks {
		picks[i] = i
	}
	return m.ReadInto(dst, picks, start, stop)
}
func (m *memRaw) ReadInto(dst []float64, picks []int, start, stop int64) error {
	if start < 0 || stop > m.n || start > stop {
		return fmt.Errorf("memRaw: range [%d, %d) outside [0, %d)", start, stop, m.n)
	}
	ns := int(stop - start)
	for i, p := range picks {
		copy(dst[i*ns:(i+1)*ns], m.data[int64(p)*m.n+start:int64(p)*m.n+stop])
	}
	return nil
}

// allOnly hides ReadInto, to test the all-channel read path.
type allOnly struct{ fif.RawSource }

const simRaw = "data/sim/facerec_sim_raw.fif"

// simLowpass40 returns the simulated recording low-pass filtered at 40 Hz
// by megflow's own streaming filter, as raw.filter(None, 40.) in MNE (the
// input of the golden epochs). It is closed when the test ends.
func simLowpass40(t testing.TB) fif.RawSource {
	t.Helper()
	raw, err := fif.OpenRaw(sharedtest.Path(t, simRaw), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	f, err := preprocess.CreateFilter(raw.Info.SFreq, 0, 40, preprocess.FilterOptions{NTimes: raw.NTimes})
	if err != nil {
		t.Fatal(err)
	}
	rows := preprocess.DataChannels(raw.Info)
	src, err := preprocess.NewFilteredRaw(raw, f, rows, preprocess.StreamOptions{Info: preprocess.FilteredInfo(raw.Info, rows, 0, 40)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// goldenEvents reads an n x 3 events dataset.
func goldenEvents(t testing.TB, f *h5.File, name string) []fif.Event {
	t.Helper()
	v, dims, err := f.ReadInt64(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != 2 || dims[1] != 3 {
		t.Fatalf("%s: shape %v, want (n, 3)", name, dims)
	}
	out := make([]fif.Event, dims[0])
	for i := range out {
		out[i] = fif.Event{Sample: v[3*i], Prev: int32(v[3*i+1]), ID: int32(v[3*i+2])}
	}
	return out
}

// orderedEventID decodes a JSON object of codes keeping its key order.
func orderedEventID(t testing.TB, s string) EventID {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var out EventID
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v int32
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, Condition{Name: k.(string), ID: v})
	}
	return out
}
