package preprocess

import (
	"fmt"
	"slices"

	"github.com/megflow/megflow/fif"
)

// Projected is a recording with its SSP projectors applied, as MNE's
// raw.apply_proj() leaves it: a fif.RawSource whose info marks every
// projector active.
type Projected struct {
	src     fif.RawSource
	info    *fif.Info
	ssp     *fif.SSP
	scratch []float64
	// Note says what ApplyProj did, in MNE's words.
	Note string
}

// ApplyProj applies the SSP projectors of src as raw.apply_proj() does:
// nothing when there are no projectors or all are already active;
// otherwise the operator of all projectors (active ones included; bad
// channels excluded) is applied to every block read, and the returned
// info marks all projectors active. When the projectors touch none of the
// channels, the data and the info are left unchanged. Record the step in
// the output file with fif.RawWriteOptions.History.
func ApplyProj(src fif.RawSource, opt fif.SSPOptions) (*Projected, error) {
	info := src.RawInfo()
	p := &Projected{src: src, info: info}
	switch {
	case len(info.Projs) == 0:
		p.Note = "No projector specified for this dataset."
		return p, nil
	case !slices.ContainsFunc(info.Projs, func(q fif.Projector) bool { return !q.Active }):
		p.Note = "Projections have already been applied."
		return p, nil
	}
	opt.ExcludeActive = false
	ssp, err := fif.MakeSSPInfo(info, opt)
	if err != nil {
		return nil, err
	}
	if ssp.NProj == 0 {
		p.Note = "The projections don't apply to these data. Doing nothing."
		return p, nil
	}
	out := *info
	out.Projs = slices.Clone(info.Projs)
	for i := range out.Projs {
		out.Projs[i].Active = true
	}
	p.info = &out
	p.ssp = ssp
	p.Note = fmt.Sprintf("Created an SSP operator (subspace dimension = %d); %d projection items activated.", ssp.NProj, len(out.Projs))
	return p, nil
}

// SSP returns the operator applied, nil when nothing is applied.
func (p *Projected) SSP() *fif.SSP { return p.ssp }

// RawInfo returns the info with the projectors marked active.
func (p *Projected) RawInfo() *fif.Info { return p.info }

// RawFirstSamp is the source's.
func (p *Projected) RawFirstSamp() int64 { return p.src.RawFirstSamp() }

// RawNTimes is the source's.
func (p *Projected) RawNTimes() int64 { return p.src.RawNTimes() }

// ReadAll reads a block from the source and projects it. Not safe for
// concurrent use (the scratch buffer is shared).
func (p *Projected) ReadAll(dst []float64, start, stop int64) error {
	if err := p.src.ReadAll(dst, start, stop); err != nil {
		return err
	}
	if p.ssp == nil {
		return nil
	}
	var err error
	p.scratch, err = p.ssp.Apply(dst, int(stop-start), p.scratch)
	return err
}
