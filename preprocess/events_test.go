package preprocess

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// memRaw is an in-memory fif.RawSource (channel-major data). It does not
// implement PickReader, so it also exercises the ReadAll fallback.
type memRaw struct {
	info  *fif.Info
	first int64
	n     int64
	data  []float64
}

func (m *memRaw) RawInfo() *fif.Info  { return m.info }
func (m *memRaw) RawFirstSamp() int64 { return m.first }
func (m *memRaw) RawNTimes() int64    { return m.n }
func (m *memRaw) ReadAll(dst []float64, start, stop int64) error {
	if start < 0 || stop > m.n || start > stop {
		return fmt.Errorf("memRaw: range [%d, %d) outside [0, %d)", start, stop, m.n)
	}
	ns := int(stop - start)
	for ch := range m.info.Chs {
		copy(dst[ch*ns:(ch+1)*ns], m.data[int64(ch)*m.n+start:int64(ch)*m.n+stop])
	}
	return nil
}

// stimRaw builds a source with one MEG channel (noise) and the given
// trigger channels, named STI101, STI102, ... unless names are given.
func stimRaw(sfreq float64, first int64, stims [][]float64, names ...string) *memRaw {
	n := len(stims[0])
	info := &fif.Info{SFreq: sfreq, Lowpass: sfreq / 2}
	info.Chs = append(info.Chs, fif.Channel{Name: "MEG0111", Kind: fif.KindMEG, Unit: fif.UnitT, Cal: 1, Range: 1})
	data := make([]float64, n, n*(len(stims)+1))
	for i := range data {
		data[i] = math.Sin(float64(i)) * 1e-12
	}
	for k, s := range stims {
		name := fmt.Sprintf("STI%d", 101+k)
		if k < len(names) {
			name = names[k]
		}
		info.Chs = append(info.Chs, fif.Channel{Name: name, Kind: fif.KindStim, Unit: fif.UnitNone, Cal: 1, Range: 1})
		data = append(data, s...)
	}
	return &memRaw{info: info, first: first, n: int64(n), data: data}
}

// pulses builds a trigger channel of n samples with value v on [a, b).
func pulses(n int, segs ...[3]int) []float64 {
	x := make([]float64, n)
	for _, s := range segs {
		for i := s[0]; i < s[1]; i++ {
			x[i] = float64(s[2])
		}
	}
	return x
}

func evs(rows ...[3]int64) []fif.Event {
	out := make([]fif.Event, len(rows))
	for i, r := range rows {
		out[i] = fif.Event{Sample: r[0], Prev: int32(r[1]), ID: int32(r[2])}
	}
	return out
}

func checkEvents(t *testing.T, what string, got, want []fif.Event) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func mustFind(t *testing.T, src fif.RawSource, opt FindEventsOptions) []fif.Event {
	t.Helper()
	ev, err := FindEvents(src, opt)
	if err != nil {
		t.Fatalf("FindEvents(%+v): %v", opt, err)
	}
	return ev
}

// The expected values below were worked out by hand from MNE's rules and
// checked with mne.find_events 1.3 on the same arrays.
func TestFindEventsConsecutive(t *testing.T) {
	// 0 0 5 5 6 6 0 0 3 3 3 1 1 0 0 0 (first_samp 100)
	x := []float64{0, 0, 5, 5, 6, 6, 0, 0, 3, 3, 3, 1, 1, 0, 0, 0}
	src := stimRaw(1000, 100, [][]float64{x})
	checkEvents(t, "increasing", mustFind(t, src, FindEventsOptions{}),
		evs([3]int64{102, 0, 5}, [3]int64{104, 5, 6}, [3]int64{108, 0, 3}))
	checkEvents(t, "true", mustFind(t, src, FindEventsOptions{Consecutive: ConsecutiveTrue}),
		evs([3]int64{102, 0, 5}, [3]int64{104, 5, 6}, [3]int64{108, 0, 3}, [3]int64{111, 3, 1}))
	checkEvents(t, "false", mustFind(t, src, FindEventsOptions{Consecutive: ConsecutiveFalse}),
		evs([3]int64{102, 0, 5}, [3]int64{108, 0, 3}))
	checkEvents(t, "offset increasing", mustFind(t, src, FindEventsOptions{Output: OutputOffset}),
		// offsets: 104 (5->6, an increase with from>0), 106 (6->0), 113 (1->0)
		evs([3]int64{103, 6, 5}, [3]int64{105, 0, 6}, [3]int64{112, 0, 3}))
	checkEvents(t, "step false", mustFind(t, src, FindEventsOptions{Output: OutputStep, Consecutive: ConsecutiveFalse}),
		evs([3]int64{102, 0, 5}, [3]int64{106, 6, 0}, [3]int64{108, 0, 3}, [3]int64{113, 1, 0}))
}

func TestFindEventsMaskAndMinDuration(t *testing.T) {
	// A trigger 5 with bit 4096 rising inside it and outlasting it.
	n := 60
	x := pulses(n, [3]int{10, 20, 5}, [3]int{15, 20, 4096 + 5}, [3]int{20, 30, 4096}, [3]int{40, 41, 7}, [3]int{41, 45, 3})
	src := stimRaw(1000, 0, [][]float64{x})
	mask := int64(4096)
	checkEvents(t, "no mask", mustFind(t, src, FindEventsOptions{}),
		evs([3]int64{10, 0, 5}, [3]int64{15, 5, 4101}, [3]int64{40, 0, 7}))
	checkEvents(t, "not_and", mustFind(t, src, FindEventsOptions{Mask: &mask, MaskType: MaskNotAnd}),
		evs([3]int64{10, 0, 5}, [3]int64{40, 0, 7}))
	checkEvents(t, "and", mustFind(t, src, FindEventsOptions{Mask: &mask}),
		evs([3]int64{15, 0, 4096}))
	// min_duration 0.002 s at 1 kHz: merge = 1 sample; the 1-sample 7 is
	// merged into the following 3 (which inherits from=0).
	checkEvents(t, "min_duration", mustFind(t, src, FindEventsOptions{MinDuration: 0.002}),
		evs([3]int64{10, 0, 5}, [3]int64{15, 5, 4101}, [3]int64{41, 0, 3}))
	// A whole number of samples merges one sample less.
	if m := mergeSamples(0.003, 1000); m != 2 {
		t.Errorf("mergeSamples(0.003, 1000) = %d, want 2", m)
	}
	if m := mergeSamples(0.0025, 1000); m != 2 {
		t.Errorf("mergeSamples(0.0025, 1000) = %d, want 2", m)
	}
	if m := mergeSamples(-1, 1000); m != 0 {
		t.Errorf("mergeSamples(-1, 1000) = %d, want 0", m)
	}
}

func TestMergeStepsChain(t *testing.T) {
	// Three steps within the merge distance: MNE's vectorized assignment
	// gives the last one the *original* from of the middle one.
	steps := []eventRow{{10, 0, 1}, {11, 1, 2}, {12, 2, 3}, {30, 3, 0}}
	got := mergeSteps(slices.Clone(steps), 1)
	want := []eventRow{{12, 1, 3}, {30, 3, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("mergeSteps = %v, want %v", got, want)
	}
}

func TestFindEventsShortest(t *testing.T) {
	x := pulses(30, [3]int{5, 6, 1}, [3]int{6, 10, 2})
	src := stimRaw(1000, 0, [][]float64{x})
	_, err := FindEvents(src, FindEventsOptions{})
	if err == nil || !strings.Contains(err.Error(), "1 events shorter than the shortest_event") {
		t.Fatalf("want a shortest_event error, got %v", err)
	}
	checkEvents(t, "shortest 1", mustFind(t, src, FindEventsOptions{ShortestEvent: 1}),
		evs([3]int64{5, 0, 1}, [3]int64{6, 1, 2}))
}

func TestFindEventsInitialUintShift(t *testing.T) {
	// Starts at 3; a negative value as a Neuromag STI101 with STI016 gives.
	x := []float64{3, 3, 0, 0, -32763, -32763, 0, 0, 2.9, 2.9, 0, 0}
	src := stimRaw(1000, 50, [][]float64{x})
	checkEvents(t, "default (abs, 2.9 truncated)", mustFind(t, src, FindEventsOptions{}),
		evs([3]int64{54, 0, 32763}, [3]int64{58, 0, 2}))
	checkEvents(t, "initial", mustFind(t, src, FindEventsOptions{InitialEvent: true}),
		evs([3]int64{50, 0, 3}, [3]int64{54, 0, 32763}, [3]int64{58, 0, 2}))
	checkEvents(t, "uint_cast", mustFind(t, src, FindEventsOptions{UintCast: true}),
		evs([3]int64{54, 0, 32773}, [3]int64{58, 0, 2}))
	checkEvents(t, "shift", mustFind(t, src, FindEventsOptions{Shift: 0.0345}),
		evs([3]int64{54 + 34, 0, 32763}, [3]int64{58 + 34, 0, 2}))
	if s := ShiftSamples(0.0345, 1100); s != 38 {
		t.Errorf("ShiftSamples(0.0345, 1100) = %d, want 38", s)
	}
	if s := ShiftSamples(0.0025, 1000); s != 2 { // 2.5 rounds to even
		t.Errorf("ShiftSamples(0.0025, 1000) = %d, want 2", s)
	}
}

func TestFindEventsConstantAndEmpty(t *testing.T) {
	src := stimRaw(1000, 0, [][]float64{{4, 4, 4, 4}})
	// No step at all: MNE adds no padding step, so even the initial event
	// has no offset and nothing is found.
	checkEvents(t, "constant", mustFind(t, src, FindEventsOptions{InitialEvent: true}), nil)
	src = stimRaw(1000, 0, [][]float64{{0, 0, 7, 7}})
	// The value never returns to zero: the padding step closes the event.
	checkEvents(t, "open at end", mustFind(t, src, FindEventsOptions{Output: OutputOffset}),
		evs([3]int64{3, 0, 7}))
}

func TestFindEventsMultiChannelAndErrors(t *testing.T) {
	a := pulses(40, [3]int{5, 10, 1}, [3]int{20, 25, 3})
	b := pulses(40, [3]int{5, 10, 1}, [3]int{20, 25, 2}, [3]int{30, 35, 4})
	src := stimRaw(1000, 0, [][]float64{a, b}, "STI001", "STI002")
	// No STI101 / STI 014: all stim channels; the duplicate is removed and
	// equal samples keep numpy's byte order (2 before 3).
	checkEvents(t, "all stim", mustFind(t, src, FindEventsOptions{}),
		evs([3]int64{5, 0, 1}, [3]int64{20, 0, 2}, [3]int64{20, 0, 3}, [3]int64{30, 0, 4}))
	checkEvents(t, "named", mustFind(t, src, FindEventsOptions{StimChannels: []string{"STI002"}}),
		evs([3]int64{5, 0, 1}, [3]int64{20, 0, 2}, [3]int64{30, 0, 4}))
	if _, err := FindEvents(src, FindEventsOptions{StimChannels: []string{"STI999"}}); err == nil || !strings.Contains(err.Error(), `"STI999" not found`) {
		t.Errorf("unknown channel: got %v", err)
	}
	src.info.Bads = []string{"STI001", "STI002"}
	if _, err := FindEvents(src, FindEventsOptions{}); err == nil || !strings.Contains(err.Error(), "no stim channels found") {
		t.Errorf("all stim channels bad: got %v", err)
	}
	src.info.SFreq = 0
	if _, err := FindEvents(src, FindEventsOptions{StimChannels: []string{"STI001"}}); err == nil {
		t.Error("sfreq 0: no error")
	}
}

func TestTriggerInt(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int64
	}{{2.9, 2}, {-2.9, -2}, {math.NaN(), math.MinInt64}, {math.Inf(1), math.MinInt64}, {1e300, math.MinInt64}} {
		if got := triggerInt(c.in); got != c.want {
			t.Errorf("triggerInt(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

// goldenEvents reads an n x 3 events dataset.
func goldenEvents(t *testing.T, f *h5.File, name string) []fif.Event {
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

func TestFindEventsGolden(t *testing.T) {
	f, err := h5.Open(sharedtest.Golden(t, "events.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mask := int64(4096 + 256)
	cases := []struct {
		file, dataset string
		opt           FindEventsOptions
	}{
		{"data/fif/test_elekta_3ch_raw.fif", "elekta_3ch/events", FindEventsOptions{}},
		{"data/sim/facerec_sim_raw.fif", "sim/events", FindEventsOptions{
			StimChannels: []string{"STI101"}, Consecutive: ConsecutiveIncreasing,
			Mask: &mask, MaskType: MaskNotAnd, MinDuration: 0.003}},
		{"data/sim/facerec_sim_raw.fif", "sim/events_nomask", FindEventsOptions{
			StimChannels: []string{"STI101"}, MaskType: MaskNotAnd, MinDuration: 0.003}},
	}
	for _, c := range cases {
		t.Run(c.dataset, func(t *testing.T) {
			raw, err := fif.OpenRaw(sharedtest.Path(t, c.file), fif.RawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			got := mustFind(t, raw, c.opt)
			want := goldenEvents(t, f, c.dataset)
			if len(got) != len(want) {
				t.Fatalf("%d events, golden has %d", len(got), len(want))
			}
			checkEvents(t, c.dataset, got, want)
		})
	}
}

func BenchmarkFindEventsSim(b *testing.B) {
	raw, err := fif.OpenRaw(sharedtest.Path(b, "data/sim/facerec_sim_raw.fif"), fif.RawOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	mask := int64(4096 + 256)
	opt := FindEventsOptions{StimChannels: []string{"STI101"}, Mask: &mask, MaskType: MaskNotAnd, MinDuration: 0.003}
	for b.Loop() {
		if _, err := FindEvents(raw, opt); err != nil {
			b.Fatal(err)
		}
	}
}
