package fif

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif/tag"
)

// Channel name lists (bads, projector channels, cross-talk channels) are
// stored as one string with ':' between names; a ':' inside a name is
// written as "{COLON}", as MNE does.
const colonEscape = "{COLON}"

// readNameList splits a stored name list (an empty string is no names).
func readNameList(s string) []string {
	if s == "" {
		return nil
	}
	names := strings.Split(s, ":")
	for i, n := range names {
		names[i] = strings.ReplaceAll(n, colonEscape, ":")
	}
	return names
}

// joinNameList joins names into a stored name list.
func joinNameList(names []string, what string) (string, error) {
	esc := make([]string, len(names))
	for i, n := range names {
		if strings.Contains(n, colonEscape) {
			return "", fmt.Errorf("%s: name %q contains %q, which cannot be stored", what, n, colonEscape)
		}
		esc[i] = strings.ReplaceAll(n, ":", colonEscape)
	}
	return strings.Join(esc, ":"), nil
}

func truncRunes(s string, n int) string {
	if n < 0 {
		n = 0
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// uniqueChannelNames returns names made unique the way MNE does: names
// are first cut to maxLen characters (when maxLen > 0), then every name
// that occurs more than once gets "-0", "-1", ... (or "-a", "-b", ... when
// those are taken) appended to all its occurrences, the stem shortened so
// that the result still fits maxLen.
func uniqueChannelNames(names []string, maxLen int) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		if maxLen > 0 {
			n = truncRunes(n, maxLen)
		}
		out[i] = n
	}
	seen := make(map[string]bool, len(out))
	dupSet := map[string]bool{}
	for _, n := range out {
		if seen[n] {
			dupSet[n] = true
		}
		seen[n] = true
	}
	if len(dupSet) == 0 {
		return out, nil
	}
	dups := make([]string, 0, len(dupSet))
	for n := range dupSet {
		dups = append(dups, n)
	}
	sort.Strings(dups) // MNE's order here is that of a Python set
	taken := func(s string) bool {
		for _, n := range out {
			if n == s {
				return true
			}
		}
		return false
	}
	for _, stem := range dups {
		var overlaps []int
		for i, n := range out {
			if n == stem {
				overlaps = append(overlaps, i)
			}
		}
		if maxLen > 0 {
			keep := maxLen - 1 - int(math.Ceil(math.Log10(float64(len(overlaps)))))
			stem = truncRunes(stem, keep)
		}
		for idx, chIdx := range overlaps {
			name := ""
			free := false
			for k := -1; k < 26; k++ {
				suffix := strconv.Itoa(idx)
				if k >= 0 {
					suffix = string(rune('a' + k))
				}
				name = stem + "-" + suffix
				if !taken(name) {
					free = true
					break
				}
			}
			if !free {
				return nil, fmt.Errorf("cannot make channel name %q unique: %q is taken too", stem, name)
			}
			out[chIdx] = name
		}
	}
	return out, nil
}

// recordName is the name a channel info record gives back for name: the
// record holds at most 15 bytes.
func recordName(name string) string {
	c, _ := tag.DecodeChInfo(tag.AppendChInfo(nil, tag.ChInfoRec{Name: name}))
	return c.Name
}

// shortChannelNames returns the names to store in the channel info
// records and whether any differs from the full name, in which case the
// full names must be written in extended channel info blocks and the name
// lists of the file (bads, projectors, compensation) use the short names.
// The short names are MNE's (cut to 15 characters and made unique); a
// character outside printable ASCII is replaced by '_' (MNE cannot write
// such names, and reads record names as UTF-8 only), which also makes the
// full name go to the extended blocks.
func shortChannelNames(names []string) ([]string, bool, error) {
	short, err := uniqueChannelNames(names, 15)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, n := range short {
		clean := strings.Map(func(r rune) rune {
			if r < 0x20 || r > 0x7e {
				return '_'
			}
			return r
		}, n)
		if clean != n {
			short[i], changed = clean, true
		}
	}
	if changed {
		if short, err = uniqueChannelNames(short, 15); err != nil {
			return nil, false, err
		}
	}
	mapped := false
	seen := make(map[string]int, len(short))
	for i := range short {
		if recordName(short[i]) != short[i] {
			return nil, false, fmt.Errorf("channel %q: stored name %q does not survive the channel record", names[i], short[i])
		}
		if short[i] != names[i] {
			mapped = true
		}
		if j, dup := seen[short[i]]; dup {
			return nil, false, fmt.Errorf("channels %q and %q would both be stored as %q", names[j], names[i], short[i])
		}
		seen[short[i]] = i
	}
	return short, mapped, nil
}
