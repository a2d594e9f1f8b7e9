package main

import (
	"slices"

	"github.com/megflow/megflow/fif"
)

// chType is MNE's channel type name (fif.ChannelType).
func chType(c fif.Channel) string { return fif.ChannelType(c) }

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

// parsePicks turns a --picks value into channel indices (see
// fif.Info.ParsePicks); an unusable value is a usage error.
func parsePicks(info *fif.Info, value string) ([]int, error) {
	picks, err := info.ParsePicks(value)
	if err != nil {
		return nil, usagef("--%v", err)
	}
	return picks, nil
}

// subsetInfo is fif.Info.Pick.
func subsetInfo(info *fif.Info, picks []int) *fif.Info { return info.Pick(picks) }
