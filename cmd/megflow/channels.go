package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/megflow/megflow/fif"
)

// chType returns MNE's channel type name of a channel (mne.channel_type):
// "grad" and "mag" for MEG channels by unit, "eeg", "stim", "eog", ...
func chType(c fif.Channel) string {
	switch c.Kind {
	case fif.KindMEG:
		switch c.Unit {
		case fif.UnitTM:
			return "grad"
		case fif.UnitT:
			return "mag"
		}
		return "meg"
	case fif.KindRefMEG:
		return "ref_meg"
	case fif.KindEEG:
		return "eeg"
	case fif.KindStim:
		return "stim"
	case fif.KindEOG:
		return "eog"
	case fif.KindEMG:
		return "emg"
	case fif.KindECG:
		return "ecg"
	case fif.KindMisc:
		return "misc"
	case fif.KindResp:
		return "resp"
	case fif.KindBio:
		return "bio"
	case fif.KindSEEG:
		return "seeg"
	case fif.KindDBS:
		return "dbs"
	case fif.KindECoG:
		return "ecog"
	case fif.KindSyst:
		return "syst"
	case fif.KindIAS:
		return "ias"
	case fif.KindExci:
		return "exci"
	case fif.KindDipole:
		return "dipole"
	case fif.KindGoodness:
		return "gof"
	case fif.KindFNIRS:
		return "fnirs"
	case fif.KindTemp:
		return "temperature"
	case fif.KindGalvanic:
		return "gsr"
	}
	return fmt.Sprintf("kind%d", c.Kind)
}

// typeOrder is the order in which channel types are listed in summaries.
var typeOrder = []string{"grad", "mag", "meg", "ref_meg", "eeg", "seeg", "ecog", "dbs", "eog", "ecg", "emg", "stim", "misc", "resp", "bio", "syst", "ias", "exci", "dipole", "gof", "fnirs", "temperature", "gsr"}

// countTypes counts channels per type, in typeOrder (unknown kinds last).
func countTypes(chs []fif.Channel) []typeCount {
	m := map[string]int{}
	for _, c := range chs {
		m[chType(c)]++
	}
	var out []typeCount
	for _, t := range typeOrder {
		if m[t] > 0 {
			out = append(out, typeCount{t, m[t]})
			delete(m, t)
		}
	}
	var rest []string
	for t := range m {
		rest = append(rest, t)
	}
	slices.Sort(rest)
	for _, t := range rest {
		out = append(out, typeCount{t, m[t]})
	}
	return out
}

type typeCount struct {
	Type  string
	Count int
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

const pickWords = "meg, grad, mag, eeg, eog, ecg, emg, stim, misc, resp, bio, seeg, ecog, dbs, data, all"

// parsePicks turns a --picks value into channel indices. The value is a
// comma-separated list of channel names and type words (meg, grad, mag,
// eeg, eog, ecg, stim, misc, data = MEG + EEG, all). Names are kept in
// the order given; a type word adds its channels in file order; a channel
// selected twice appears once, at its first place. Bad channels are kept
// (they stay listed in the bads). An empty value selects all channels.
// Every unknown name is reported in one error.
func parsePicks(info *fif.Info, value string) ([]int, error) {
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
				if slices.Contains(types, chType(c)) {
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
		return nil, usagef("--picks: no channel named %s in the file (type words: %s)", quoteList(unknown), pickWords)
	}
	if len(picks) == 0 {
		if len(empty) > 0 {
			return nil, usagef("--picks: the file has no channels of type %s", quoteList(empty))
		}
		return nil, usagef("--picks %q selects no channels", value)
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

// subsetInfo returns a copy of info restricted to the channels picks, in
// that order, as MNE's pick_info does: bads keep only picked channels,
// projectors that touch none of the picked channels are dropped, CTF
// compensation rows are restricted to picked channels. picks nil returns
// info itself.
func subsetInfo(info *fif.Info, picks []int) *fif.Info {
	if picks == nil {
		return info
	}
	out := *info
	out.Chs = make([]fif.Channel, len(picks))
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
