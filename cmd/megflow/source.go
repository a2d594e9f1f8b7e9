package main

import (
	"context"
	"fmt"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/progress"
)

// subRaw is a fif.RawSource for part of an open recording: the channels
// picks (nil: all) and samples [start, stop) relative to the first sample.
// It is what WriteRaw streams from for "convert --picks/--tmin/--tmax".
// It also reports progress and stops with ctx.Err() when ctx is done, so
// that an interrupted conversion leaves no output file.
//
// (A crop/pick view belongs in package fif, e.g. fif.View(raw, picks,
// start, stop) RawSource; until then it lives here.)
type subRaw struct {
	ctx   context.Context
	raw   *fif.Raw
	info  *fif.Info
	picks []int
	start int64
	stop  int64
	bar   *progress.Bar
}

func newSubRaw(ctx context.Context, raw *fif.Raw, picks []int, start, stop int64) (*subRaw, error) {
	if start < 0 || stop > raw.NTimes || start >= stop {
		return nil, fmt.Errorf("sample range [%d, %d) outside the recording [0, %d)", start, stop, raw.NTimes)
	}
	return &subRaw{ctx: ctx, raw: raw, info: subsetInfo(raw.Info, picks), picks: picks, start: start, stop: stop}, nil
}

func (s *subRaw) RawInfo() *fif.Info  { return s.info }
func (s *subRaw) RawFirstSamp() int64 { return s.raw.FirstSamp + s.start }
func (s *subRaw) RawNTimes() int64    { return s.stop - s.start }

// NChan is the number of channels of the view.
func (s *subRaw) NChan() int { return len(s.info.Chs) }

// ReadAll reads samples [start, stop) of the view (relative to its first
// sample) for all its channels, channel-major.
func (s *subRaw) ReadAll(dst []float64, start, stop int64) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if start < 0 || stop > s.RawNTimes() || start > stop {
		return fmt.Errorf("read range [%d, %d) outside [0, %d)", start, stop, s.RawNTimes())
	}
	if err := s.raw.ReadInto(dst, s.picks, s.start+start, s.start+stop); err != nil {
		return err
	}
	s.bar.Add(stop - start)
	return nil
}
