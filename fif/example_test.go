package fif_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/fif"
)

// sine is a RawSource of two magnetometers and a stim channel.
type sine struct{ info *fif.Info }

func (s sine) RawInfo() *fif.Info  { return s.info }
func (s sine) RawFirstSamp() int64 { return 1000 }
func (s sine) RawNTimes() int64    { return 2000 }

// ReadAll fills samples [start, stop), counted from the first sample.
func (s sine) ReadAll(dst []float64, start, stop int64) error {
	n := int(stop - start)
	for i := range n {
		t := start + int64(i)
		dst[i] = float64(t%100) * 1e-13    // MEG 1: a ramp in T
		dst[n+i] = -float64(t%100) * 1e-13 // MEG 2
		dst[2*n+i] = float64(t / 500)      // STI 014: a step every 500 samples
	}
	return nil
}

func Example() {
	dir, err := os.MkdirTemp("", "megflow-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	info := &fif.Info{SFreq: 1000, Lowpass: 330, LineFreq: 50}
	for i, name := range []string{"MEG 0111", "MEG 0121", "STI 014"} {
		ch := fif.Channel{Name: name, ScanNo: int32(i + 1), LogNo: int32(i + 1), Kind: fif.KindMEG,
			Range: 1, Cal: 1, CoilType: fif.CoilVVMagT3, Unit: fif.UnitT, CoordFrame: fif.FrameDevice}
		if name == "STI 014" {
			ch.Kind, ch.CoilType, ch.Unit, ch.CoordFrame = fif.KindStim, fif.CoilNone, fif.UnitNone, fif.FrameUnknown
		}
		info.Chs = append(info.Chs, ch)
	}
	path := filepath.Join(dir, "example_raw.fif")
	if _, err := fif.WriteRaw(path, sine{info}, fif.RawWriteOptions{Format: "double"}); err != nil {
		log.Fatal(err)
	}

	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer raw.Close()
	fmt.Printf("%d channels at %g Hz, samples %d..%d, stored as %s\n",
		raw.Info.NChan(), raw.Info.SFreq, raw.FirstSamp, raw.LastSamp(), fif.FormatName(raw.Format))
	// Read samples 1510..1512 (counted from the first sample) of the second
	// and third channels.
	data, err := raw.Read([]int{1, 2}, 1510, 1513)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %.3g\n%s: %g\n", raw.Info.Chs[1].Name, data[0:3], raw.Info.Chs[2].Name, data[3:6])
	// Output:
	// 3 channels at 1000 Hz, samples 1000..2999, stored as double
	// MEG 0121: [-1e-12 -1.1e-12 -1.2e-12]
	// STI 014: [3 3 3]
}
