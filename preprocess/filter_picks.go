package preprocess

import (
	"slices"
	"strings"

	"github.com/megflow/megflow/fif"
)

// DataChannels returns the channels that MNE's raw.filter and
// raw.notch_filter process when picks=None (MNE's "data_or_ica" with
// exclude=()): MEG (and MEG reference), EEG, sEEG, ECoG, DBS and fNIRS
// channels, bad ones included; when a channel name starts with "ICA" (an
// ICA sources recording), the misc channels instead.
func DataChannels(info *fif.Info) []int {
	ica := slices.ContainsFunc(info.Chs, func(c fif.Channel) bool { return strings.HasPrefix(c.Name, "ICA") })
	var picks []int
	for i, c := range info.Chs {
		if ica {
			if c.Kind == fif.KindMisc {
				picks = append(picks, i)
			}
			continue
		}
		switch c.Kind {
		case fif.KindMEG, fif.KindRefMEG, fif.KindEEG, fif.KindSEEG, fif.KindECoG, fif.KindDBS, fif.KindFNIRS:
			picks = append(picks, i)
		}
	}
	return picks
}

// CoversDataChannels reports whether picks include every channel of
// DataChannels, the condition under which raw.filter updates the info's
// highpass and lowpass.
func CoversDataChannels(info *fif.Info, picks []int) bool {
	data := DataChannels(info)
	if len(data) == 0 {
		return false
	}
	in := make(map[int]bool, len(picks))
	for _, p := range picks {
		in[p] = true
	}
	for _, d := range data {
		if !in[d] {
			return false
		}
	}
	return true
}

// FilteredInfo returns a copy of info with highpass and lowpass updated
// as raw.filter(lFreq, hFreq, picks) does (0 meaning None): only when the
// picks cover all data channels; the low-pass edge is lowered to hFreq
// and the high-pass edge raised to lFreq, band-stops change neither.
// Notch filters leave the info alone (don't call this for them).
func FilteredInfo(info *fif.Info, picks []int, lFreq, hFreq float64) *fif.Info {
	out := *info
	if !CoversDataChannels(info, picks) {
		return &out
	}
	pass := lFreq == 0 || hFreq == 0 || lFreq < hFreq
	if hFreq != 0 && pass && hFreq < out.Lowpass {
		out.Lowpass = hFreq
	}
	if lFreq != 0 && pass && lFreq > out.Highpass {
		out.Highpass = lFreq
	}
	return &out
}
