package fif

import (
	"fmt"
	"math"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// This file reads the SSP projectors, the compensation matrices and the
// bad channel list of the measurement info.

// projs reads the SSP projectors of the first FIFFB_PROJ block.
func (r *infoReader) projs(mi *tree.Node, mapping map[string]string) ([]Projector, error) {
	nodes := mi.Blocks(tag.BlockProj)
	if len(nodes) == 0 {
		return nil, nil
	}
	var out []Projector
	for _, item := range nodes[0].Blocks(tag.BlockProjItem) {
		p, err := r.projItem(item)
		if err != nil {
			return nil, err
		}
		rename(p.ColNames, mapping)
		out = append(out, p)
	}
	return out, nil
}

func (r *infoReader) projItem(item *tree.Node) (Projector, error) {
	f := r.f
	p := Projector{ExplainedVar: math.NaN()}
	var err error
	e, ok := item.Find(tag.Comment) // FIFF_DESCRIPTION
	if !ok {
		e, ok = item.Find(tag.Name)
	}
	if !ok {
		return p, r.blockErr(item, "projection item has no description (FIFF_DESCRIPTION or FIFF_NAME)")
	}
	if p.Desc, err = f.String(e); err != nil {
		return p, err
	}
	if e, ok = item.Find(tag.ProjItemKind); !ok {
		return p, r.blockErr(item, "projection item %q has no kind (FIFF_PROJ_ITEM_KIND)", p.Desc)
	}
	if p.Kind, err = r.int32v(e); err != nil {
		return p, err
	}
	if e, ok = item.Find(tag.ProjItemNVec); !ok {
		return p, r.blockErr(item, "projection item %q has no vector count (FIFF_PROJ_ITEM_NVEC)", p.Desc)
	}
	nvec, err := r.int32v(e)
	if err != nil {
		return p, err
	}
	p.NVec = int(nvec)
	if e, ok = item.Find(tag.ProjItemChNameList); !ok {
		return p, r.blockErr(item, "projection item %q has no channel list (FIFF_PROJ_ITEM_CH_NAME_LIST)", p.Desc)
	}
	if p.ColNames, err = r.nameList(e); err != nil {
		return p, err
	}
	ev, ok := item.Find(tag.ProjItemVectors)
	if !ok {
		return p, r.blockErr(item, "projection item %q has no vectors (FIFF_PROJ_ITEM_VECTORS)", p.Desc)
	}
	data, dims, err := r.floats(ev)
	if err != nil {
		return p, err
	}
	if len(dims) != 2 {
		return p, f.Errorf(ev, "projection vectors of %q must be a matrix, found dimensions %v", p.Desc, dims)
	}
	rows, cols := dims[0], dims[1]
	if rows == len(p.ColNames) && cols == p.NVec {
		// Stored transposed (channels x vectors); MNE also flips a square
		// matrix here, and so do we.
		t := make([]float64, len(data))
		for i := range rows {
			for j := range cols {
				t[j*rows+i] = data[i*cols+j]
			}
		}
		data, rows, cols = t, cols, rows
	}
	if cols != len(p.ColNames) {
		return p, f.Errorf(ev, "projection %q has %d channel names but vectors of %d values", p.Desc, len(p.ColNames), cols)
	}
	p.Data = data
	if e, ok = item.Find(tag.MNEProjItemActive); ok {
		v, err := r.int32v(e)
		if err != nil {
			return p, err
		}
		p.Active = v != 0
	}
	if e, ok = item.Find(kindMNEICAPCAExplainedVar); ok {
		if p.ExplainedVar, err = r.number(e); err != nil {
			return p, err
		}
	}
	return p, nil
}

// comps reads the compensation matrices anywhere in the info block.
func (r *infoReader) comps(mi *tree.Node, mapping map[string]string) ([]CTFComp, error) {
	var out []CTFComp
	for _, n := range mi.Blocks(tag.BlockMNECTFCompData) {
		m, ok, err := ReadNamedMatrix(r.f, n, tag.MNECTFCompData)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, r.blockErr(n, "compensation block without its matrix (FIFF_MNE_CTF_COMP_DATA)")
		}
		e, ok := n.Find(tag.MNECTFCompKind)
		if !ok {
			return nil, r.blockErr(n, "compensation block without its kind (FIFF_MNE_CTF_COMP_KIND)")
		}
		c := CTFComp{NRow: m.NRow, NCol: m.NCol, RowNames: m.RowNames, ColNames: m.ColNames, Data: m.Data}
		if c.Kind, err = r.int32v(e); err != nil {
			return nil, err
		}
		if e, ok := n.Find(tag.MNECTFCompCalibrated); ok {
			v, err := r.int32v(e)
			if err != nil {
				return nil, err
			}
			c.SaveCalibrated = v != 0
		}
		rename(c.RowNames, mapping)
		rename(c.ColNames, mapping)
		out = append(out, c)
	}
	return out, nil
}

// bads reads the bad channel list; when there are several bad channel
// blocks the last one with a list wins, as in MNE.
func (r *infoReader) bads(mi *tree.Node, mapping map[string]string) ([]string, error) {
	var bads []string
	for _, n := range mi.Blocks(tag.BlockMNEBadChannels) {
		e, ok := n.Find(tag.MNEChNameList)
		if !ok || e.Size == 0 {
			continue
		}
		v, err := r.nameList(e)
		if err != nil {
			return nil, err
		}
		bads = v
	}
	rename(bads, mapping)
	return bads, nil
}

// CalibratedData returns the compensation matrix in the units MNE holds it
// in memory: as stored when SaveCalibrated is set, otherwise each element
// multiplied by the range*cal of its row channel and divided by the
// range*cal of its column channel. Every row and column name must name
// exactly one channel of chs.
func (c CTFComp) CalibratedData(chs []Channel) ([]float64, error) {
	out := append([]float64(nil), c.Data...)
	if c.SaveCalibrated {
		return out, nil
	}
	if len(c.RowNames) != c.NRow || len(c.ColNames) != c.NCol || len(c.Data) != c.NRow*c.NCol {
		return nil, fmt.Errorf("compensation matrix %d x %d has %d row names, %d column names and %d values",
			c.NRow, c.NCol, len(c.RowNames), len(c.ColNames), len(c.Data))
	}
	count := make(map[string]int, len(chs))
	cals := make(map[string]float64, len(chs))
	for _, ch := range chs {
		count[ch.Name]++
		cals[ch.Name] = ch.Range * ch.Cal
	}
	cal := func(name string) (float64, error) {
		if n := count[name]; n != 1 {
			return 0, fmt.Errorf("compensation channel %s appears %d times among the channels, expected once", name, n)
		}
		return cals[name], nil
	}
	rowCal := make([]float64, c.NRow)
	colCal := make([]float64, c.NCol)
	for i, name := range c.RowNames {
		v, err := cal(name)
		if err != nil {
			return nil, err
		}
		rowCal[i] = v
	}
	for j, name := range c.ColNames {
		v, err := cal(name)
		if err != nil {
			return nil, err
		}
		colCal[j] = 1 / v
	}
	for i := range c.NRow {
		for j := range c.NCol {
			out[i*c.NCol+j] = rowCal[i] * out[i*c.NCol+j] * colCal[j]
		}
	}
	return out, nil
}
