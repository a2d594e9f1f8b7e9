package fif

import (
	"fmt"
	"strings"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// parentMeas is the FIFFB_MNE_PARENT_MEAS_FILE block that forward and
// inverse operator files carry: the recording they were made for (name
// and measurement id), its device -> head transformation, the channels
// and the bad channels.
type parentMeas struct {
	file    string
	id      *tag.ID
	devHead *Transform
	chs     []Channel
	bads    []string
}

// writeParentMeas writes the block; the transformation is left out when
// it is unknown.
func writeParentMeas(w *tree.Writer, p parentMeas) error {
	w.StartBlock(tag.BlockMNEParentMeasFile)
	w.String(tag.MNEFileName, p.file)
	if p.id != nil {
		w.IDTag(tag.ParentBlockID, *p.id)
	}
	if p.devHead != nil {
		if err := WriteCoordTrans(w, p.devHead); err != nil {
			return err
		}
	}
	w.Int32s(tag.NChan, int32(len(p.chs)))
	for k, c := range p.chs {
		w.WriteTag(tag.ChInfo, tag.ChInfoStruct, tag.AppendChInfo(nil, channelRec(c, c.Name, int32(k+1), false)))
	}
	if len(p.bads) > 0 {
		w.StartBlock(tag.BlockMNEBadChannels)
		w.String(tag.MNEChNameList, strings.Join(p.bads, ":"))
		w.EndBlock(tag.BlockMNEBadChannels)
	}
	w.EndBlock(tag.BlockMNEParentMeasFile)
	return w.Err()
}

// readParentMeas reads the first such block of the file.
func readParentMeas(f *tree.File) (parentMeas, error) {
	var p parentMeas
	meas := f.Root.Blocks(tag.BlockMNEParentMeasFile)
	if len(meas) == 0 {
		return p, fmt.Errorf("fif: %s: no parent measurement block (channel information)", f.Path)
	}
	for _, e := range meas[0].Entries {
		switch e.Kind {
		case tag.ChInfo:
			r, err := f.ChInfo(e)
			if err != nil {
				return p, err
			}
			p.chs = append(p.chs, channelFromRec(r))
		case tag.CoordTrans:
			r, err := f.CoordTrans(e)
			if err != nil {
				return p, err
			}
			p.devHead = TransformFromRec(r)
		case tag.MNEFileName:
			p.file, _ = f.String(e)
		case tag.ParentBlockID:
			id, err := f.IDStruct(e)
			if err != nil {
				return p, err
			}
			p.id = &id
		}
	}
	if bb := meas[0].Blocks(tag.BlockMNEBadChannels); len(bb) > 0 {
		if e, ok := bb[0].Find(tag.MNEChNameList); ok {
			s, err := f.String(e)
			if err != nil {
				return p, err
			}
			if s != "" {
				p.bads = strings.Split(s, ":")
			}
		}
	}
	return p, nil
}
