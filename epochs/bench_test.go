package epochs

import (
	"context"
	"os"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/preprocess"
)

// Benchmarks of New on the simulated run (47 s, 30 events) and, when
// MEGFLOW_BENCH_FILE names one (scripts/bench_epochs.sh makes a 9-minute
// recording with cmd/fifrepeat), on a long recording: the Wakeman & Henson
// parameters (tmin -0.2, tmax 0.8, decim 5, reject grad/mag), events found
// on STI101 beforehand.

func benchEventID() EventID {
	ids, _ := ParseEventID("famous/first=5", "famous/immediate=6", "famous/long=7",
		"unfamiliar/first=13", "unfamiliar/immediate=14", "unfamiliar/long=15",
		"scrambled/first=17", "scrambled/immediate=18", "scrambled/long=19")
	return ids
}

func benchOptions() Options {
	return Options{EventID: benchEventID(), Tmin: -0.2, Tmax: 0.8, Baseline: BaselineNoneZero(), Decim: 5,
		Reject: Thresholds{{"grad", 4000e-13}, {"mag", 4e-12}}}
}

func findSimEvents(b *testing.B, src fif.RawSource) []fif.Event {
	mask := int64(4352)
	ev, err := preprocess.FindEvents(src, preprocess.FindEventsOptions{StimChannels: []string{"STI101"},
		Mask: &mask, MaskType: preprocess.MaskNotAnd, MinDuration: 0.003})
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

func benchNew(b *testing.B, path string, lowpass bool) {
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	ev := findSimEvents(b, raw)
	var flt *preprocess.Filter
	if lowpass {
		if flt, err = preprocess.CreateFilter(raw.Info.SFreq, 0, 40, preprocess.FilterOptions{NTimes: raw.NTimes}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		var src fif.RawSource = raw
		if lowpass {
			fr, err := preprocess.NewFilteredRaw(raw, flt, nil, preprocess.StreamOptions{})
			if err != nil {
				b.Fatal(err)
			}
			src = fr
			defer fr.Close()
		}
		ep, err := New(context.Background(), src, ev, benchOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(ep.Len()), "epochs")
	}
	b.ReportMetric(float64(raw.NTimes)/raw.Info.SFreq*float64(b.N)/b.Elapsed().Seconds(), "rec-s/s")
}

func BenchmarkNewSim(b *testing.B) { benchNew(b, sharedtest.Path(b, simRaw), false) }

func BenchmarkNewSimLowpass40(b *testing.B) { benchNew(b, sharedtest.Path(b, simRaw), true) }

func BenchmarkNewLong(b *testing.B) {
	p := os.Getenv("MEGFLOW_BENCH_FILE")
	if p == "" {
		b.Skip("set MEGFLOW_BENCH_FILE to a long recording (scripts/bench_epochs.sh makes one)")
	}
	benchNew(b, p, false)
}
