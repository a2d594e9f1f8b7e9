package preprocess

import (
	"fmt"

	"github.com/megflow/megflow/fif"
)

// PickReader is a source that can read a subset of its channels without
// decoding the others. *fif.Raw is one. FindEvents and Resample use it when
// the source offers it; otherwise they read all channels of a time block
// through fif.RawSource.ReadAll and keep the rows they need.
type PickReader interface {
	ReadInto(dst []float64, picks []int, start, stop int64) error
}

// rowsBlock is the number of samples read per ReadAll call when a source
// cannot read single channels: about 1 s of data at common rates, so that
// the temporary all-channel block stays small.
const rowsBlock = 4096

// readRows fills dst (len(picks) rows of stop-start samples, channel-major)
// with the channels picks of src for samples [start, stop), relative to the
// source's first sample.
func readRows(src fif.RawSource, picks []int, start, stop int64, dst []float64) error {
	ns := int(stop - start)
	if len(dst) != len(picks)*ns {
		return fmt.Errorf("preprocess: read buffer has %d values, need %d channels × %d samples", len(dst), len(picks), ns)
	}
	if ns == 0 || len(picks) == 0 {
		return nil
	}
	if pr, ok := src.(PickReader); ok {
		return pr.ReadInto(dst, picks, start, stop)
	}
	nch := len(src.RawInfo().Chs)
	for _, p := range picks {
		if p < 0 || p >= nch {
			return fmt.Errorf("preprocess: channel index %d outside [0, %d)", p, nch)
		}
	}
	block := make([]float64, nch*min(ns, rowsBlock))
	for s0 := start; s0 < stop; s0 += rowsBlock {
		s1 := min(s0+rowsBlock, stop)
		n := int(s1 - s0)
		b := block[:nch*n]
		if err := src.ReadAll(b, s0, s1); err != nil {
			return err
		}
		off := int(s0 - start)
		for i, p := range picks {
			copy(dst[i*ns+off:i*ns+off+n], b[p*n:(p+1)*n])
		}
	}
	return nil
}
