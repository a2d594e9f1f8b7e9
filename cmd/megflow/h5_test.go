package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/version"
)

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// checkH5 checks a convert HDF5 output against samples [start, stop) of
// channels picks (nil: all) of the original recording, bit for bit.
func checkH5(t *testing.T, out, in string, orig *fif.Raw, picks []int, start, stop int64) {
	t.Helper()
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if picks == nil {
		for i := range orig.Info.Chs {
			picks = append(picks, i)
		}
	}
	ns := int(stop - start)
	data, dims, err := f.ReadFloat64("data")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{len(picks), ns}) {
		t.Fatalf("%s: data shape %v, want [%d %d]", out, dims, len(picks), ns)
	}
	want, err := orig.Read(picks, start, stop)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if data[i] != want[i] {
			t.Fatalf("%s: data[%d, %d] = %g, fif.Raw.Read gives %g", out, i/ns, i%ns, data[i], want[i])
		}
	}
	names, err := f.ReadStrings("ch_names")
	if err != nil {
		t.Fatal(err)
	}
	types, err := f.ReadStrings("ch_types")
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range picks {
		if names[k] != orig.Info.Chs[p].Name || types[k] != chType(orig.Info.Chs[p]) {
			t.Errorf("%s: channel %d: %s/%s, want %s/%s", out, k, names[k], types[k], orig.Info.Chs[p].Name, chType(orig.Info.Chs[p]))
		}
	}
	times, _, err := f.ReadFloat64("times")
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != ns || times[0] != 0 || times[ns-1] != float64(ns-1)/orig.Info.SFreq {
		t.Errorf("%s: times [%g .. %g] (%d)", out, times[0], times[len(times)-1], len(times))
	}
	if v, err := f.AttrFloat64("/", "sfreq"); err != nil || v != orig.Info.SFreq {
		t.Errorf("%s: sfreq %g %v", out, v, err)
	}
	if v, err := f.AttrInt64("/", "first_samp"); err != nil || v != orig.FirstSamp+start {
		t.Errorf("%s: first_samp %d %v, want %d", out, v, err, orig.FirstSamp+start)
	}
	abs, _ := filepath.Abs(in)
	if v, err := f.AttrString("/", "source_file"); err != nil || v != abs {
		t.Errorf("%s: source_file %q %v", out, v, err)
	}
	if v, err := f.AttrString("/", "megflow_version"); err != nil || v != version.String() {
		t.Errorf("%s: megflow_version %q %v", out, v, err)
	}
	md, err := f.AttrString("/", "meas_date")
	if err != nil {
		t.Error(err)
	} else if orig.Info.HasMeasDate && md != isoTime(orig.Info.MeasDate) {
		t.Errorf("%s: meas_date %q", out, md)
	}
}
