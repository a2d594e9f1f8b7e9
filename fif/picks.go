package fif

import (
	"fmt"
	"slices"
	"strings"
)

// ChannelType returns MNE's channel type name of a channel (mne.channel_type):
// "grad" and "mag" for MEG channels by unit, "eeg", "stim", "eog", ...
func ChannelType(c Channel) string {
	switch c.Kind {
	case KindMEG:
		switch c.Unit {
		case UnitTM:
			return "grad"
		case UnitT:
			return "mag"
		}
		return "meg"
	case KindRefMEG:
		return "ref_meg"
	case KindEEG:
		return "eeg"
	case KindStim:
		return "stim"
	case KindEOG:
		return "eog"
	case KindEMG:
		return "emg"
	case KindECG:
		return "ecg"
	case KindMisc:
		return "misc"
	case KindResp:
		return "resp"
	case KindBio:
		return "bio"
	case KindSEEG:
		return "seeg"
	case KindDBS:
		return "dbs"
	case KindECoG:
		return "ecog"
	case KindSyst:
		return "syst"
	case KindIAS:
		return "ias"
	case KindExci:
		return "exci"
	case KindDipole:
		return "dipole"
	case KindGoodness:
		return "gof"
	case KindFNIRS:
		return "fnirs"
	case KindTemp:
		return "temperature"
	case KindGalvanic:
		return "gsr"
	}
	return fmt.Sprintf("kind%d", c.Kind)
}

// pickGroups are the channel-type words accepted by --picks, with the
// types each one selects.
var pickGroups = map[string][]string{
	"meg":  {"grad", "mag", "meg"},
	"grad": {"grad"},
	"mag":  {"mag"},
	"eeg":  {"eeg"},
	"eog":  {"eog"},
	"ecg":  {"ecg"},
	"emg":  {"emg"},
	"stim": {"stim"},
	"misc": {"misc"},
	"resp": {"resp"},
	"bio":  {"bio"},
	"seeg": {"seeg"},
	"ecog": {"ecog"},
	"dbs":  {"dbs"},
	// "data" follows MNE's data channel types: MEG and EEG, plus the
	// intracranial types.
	"data": {"grad", "mag", "meg", "eeg", "seeg", "ecog", "dbs"},
}

// PickWords lists the type words ParsePicks accepts.
const PickWords = "meg, grad, mag, eeg, eog, ecg, emg, stim, misc, resp, bio, seeg, ecog, dbs, data, all"

// ParsePicks turns a picks specification into channel indices. The value is a
// comma-separated list of channel names and type words (meg, grad, mag,
// eeg, eog, ecg, stim, misc, data = MEG + EEG, all). Names are kept in
// the order given; a type word adds its channels in file order; a channel
// selected twice appears once, at its first place. Bad channels are kept
// (they stay listed in the bads). An empty value selects all channels.
// Every unknown name is reported in one error.
func (in *Info) ParsePicks(value string) ([]int, error) {
	info := in
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	index := make(map[string]int, len(info.Chs))
	for i, c := range info.Chs {
		index[c.Name] = i
	}
	var picks []int
	seen := make([]bool, len(info.Chs))
	add := func(i int) {
		if !seen[i] {
			seen[i] = true
			picks = append(picks, i)
		}
	}
	var unknown, empty []string
	for _, tok := range strings.Split(value, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		// An exact channel name wins over a type word ("misc" could name
		// a channel).
		if i, ok := index[tok]; ok {
			add(i)
			continue
		}
		low := strings.ToLower(tok)
		if low == "all" {
			for i := range info.Chs {
				add(i)
			}
			continue
		}
		if types, ok := pickGroups[low]; ok {
			n := 0
			for i, c := range info.Chs {
				if slices.Contains(types, ChannelType(c)) {
					add(i)
					n++
				}
			}
			if n == 0 {
				empty = append(empty, tok)
			}
			continue
		}
		unknown = append(unknown, tok)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("picks: no channel named %s (type words: %s)", quoteList(unknown), PickWords)
	}
	if len(picks) == 0 {
		if len(empty) > 0 {
			return nil, fmt.Errorf("picks: no channels of type %s", quoteList(empty))
		}
		return nil, fmt.Errorf("picks %q selects no channels", value)
	}
	return picks, nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// Pick returns a copy of the info restricted to the channels picks, in
// that order, as MNE's pick_info does: bads keep only picked channels,
// projectors that touch none of the picked channels are dropped, CTF
// compensation rows are restricted to picked channels. picks nil returns
// the info itself.
func (in *Info) Pick(picks []int) *Info {
	info := in
	if picks == nil {
		return info
	}
	out := *info
	out.Chs = make([]Channel, len(picks))
	names := make(map[string]bool, len(picks))
	for k, i := range picks {
		out.Chs[k] = info.Chs[i]
		names[info.Chs[i].Name] = true
	}
	out.Bads = nil
	for _, b := range info.Bads {
		if names[b] {
			out.Bads = append(out.Bads, b)
		}
	}
	out.Projs = nil
	for _, p := range info.Projs {
		if slices.ContainsFunc(p.ColNames, func(n string) bool { return names[n] }) {
			out.Projs = append(out.Projs, p)
		}
	}
	out.Comps = nil
	for _, c := range info.Comps {
		nc := len(c.ColNames)
		var rows []string
		var data []float64
		for r, n := range c.RowNames {
			if names[n] && (r+1)*nc <= len(c.Data) {
				rows = append(rows, n)
				data = append(data, c.Data[r*nc:(r+1)*nc]...)
			}
		}
		c.RowNames, c.Data = rows, data
		out.Comps = append(out.Comps, c)
	}
	return &out
}
