// Command fifrepeat writes a long raw FIF recording by repeating a short
// one, for benchmarks that need realistic file sizes (a 9-minute,
// 306-channel recording from the 47 s simulated run, say) without storing
// large data in the repository.
//
//	fifrepeat -minutes 9 -fmt short facerec_sim_raw.fif long_raw.fif
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/megflow/megflow/fif"
)

// repeated presents a recording repeated end to end as one long recording.
type repeated struct {
	*fif.Raw
	n int64
}

func (r repeated) RawNTimes() int64 { return r.n }

func (r repeated) ReadAll(dst []float64, start, stop int64) error {
	nch := r.Info.NChan()
	ns := int(stop - start)
	for s := start; s < stop; {
		off := s % r.Raw.NTimes
		end := min(stop, s+(r.Raw.NTimes-off))
		part, err := r.Raw.Read(nil, off, off+(end-s))
		if err != nil {
			return err
		}
		m := int(end - s)
		for ch := range nch {
			copy(dst[ch*ns+int(s-start):], part[ch*m:(ch+1)*m])
		}
		s = end
	}
	return nil
}

func main() {
	minutes := flag.Float64("minutes", 9, "length of the output recording in minutes")
	format := flag.String("fmt", "short", "sample format: short, int, single or double")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: fifrepeat [-minutes M] [-fmt F] IN.fif OUT.fif\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	raw, err := fif.OpenRaw(flag.Arg(0), fif.RawOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer raw.Close()
	n := int64(math.Round(*minutes * 60 * raw.Info.SFreq))
	names, err := fif.WriteRaw(flag.Arg(1), repeated{raw, n}, fif.RawWriteOptions{Format: *format, History: "fifrepeat"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range names {
		fmt.Println(p)
	}
}
