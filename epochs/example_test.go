package epochs_test

import (
	"context"
	"fmt"
	"math"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
)

// source is a tiny in-memory recording: two gradiometers and a
// magnetometer at 1000 Hz. (A real one is fif.OpenRaw(path, ...).)
type source struct {
	info *fif.Info
	data []float64 // 3 x n
	n    int64
}

func (s *source) RawInfo() *fif.Info  { return s.info }
func (s *source) RawFirstSamp() int64 { return 1000 }
func (s *source) RawNTimes() int64    { return s.n }
func (s *source) ReadAll(dst []float64, start, stop int64) error {
	ns := int(stop - start)
	for c := range 3 {
		copy(dst[c*ns:(c+1)*ns], s.data[int64(c)*s.n+start:int64(c)*s.n+stop])
	}
	return nil
}

func newSource() *source {
	chs := []fif.Channel{
		{Name: "MEG0112", Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: 1, Range: 1, CoilType: fif.CoilVVPlanarT1},
		{Name: "MEG0113", Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: 1, Range: 1, CoilType: fif.CoilVVPlanarT1},
		{Name: "MEG0111", Kind: fif.KindMEG, Unit: fif.UnitT, Cal: 1, Range: 1, CoilType: fif.CoilVVMagT3},
	}
	s := &source{info: &fif.Info{Chs: chs, SFreq: 1000, Lowpass: 40}, n: 10000}
	s.data = make([]float64, 3*s.n)
	for c := range 3 {
		for i := range s.n {
			s.data[int64(c)*s.n+i] = 1e-12 * (float64(c) + math.Sin(float64(i)/50))
		}
	}
	// A large artefact on the magnetometer around 6.5 s.
	for i := int64(6450); i < 6550; i++ {
		s.data[2*s.n+i] += 1e-10
	}
	return s
}

func Example() {
	src := newSource()
	// Events are absolute sample numbers (first sample 1000).
	events := []fif.Event{
		{Sample: 2000, ID: 5}, {Sample: 3500, ID: 13}, {Sample: 5000, ID: 5},
		{Sample: 7500, ID: 13}, {Sample: 9000, ID: 99}, {Sample: 10800, ID: 5},
	}
	ids, _ := epochs.ParseEventID("face/famous=5", "face/unfamiliar=13")
	ep, err := epochs.New(context.Background(), src, events, epochs.Options{
		EventID:  ids,
		Tmin:     -0.2,
		Tmax:     0.5,
		Baseline: epochs.BaselineNoneZero(),
		Decim:    5,
		Reject:   epochs.Thresholds{{Type: "mag", Value: 4e-12}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs:", ep.Len(), "of", len(events), "events; samples per epoch:", ep.NTimes())
	fmt.Println("drop log:", ep.DropLog)
	famous, _ := ep.Select("famous")
	fmt.Println("famous:", famous.Len())
	evokeds, _ := ep.AverageConditions("face")
	fmt.Printf("%s: nave %d\n", evokeds[0].Comment, evokeds[0].Nave)
	// Output:
	// epochs: 3 of 6 events; samples per epoch: 141
	// drop log: [[] [] [] [MEG0111] [IGNORED] [TOO_SHORT]]
	// famous: 2
	// 0.67 × face/famous + 0.33 × face/unfamiliar: nave 3
}
