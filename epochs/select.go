package epochs

import (
	"fmt"
	"slices"
	"strings"
)

// keysToIndex returns the indices of the epochs whose code belongs to a
// condition matched by keys (MNE's _keys_to_idx), ascending.
func (e *Epochs) keysToIndex(keys ...string) ([]int, error) {
	names, err := e.EventID.Match(keys...)
	if err != nil {
		return nil, err
	}
	codes := make([]int32, 0, len(names))
	for _, n := range names {
		c, _ := e.EventID.Lookup(n)
		codes = append(codes, c)
	}
	var idx []int
	for i, ev := range e.Events {
		if slices.Contains(codes, ev.ID) {
			idx = append(idx, i)
		}
	}
	return idx, nil
}

// subset returns the epochs idx (ascending indices) as MNE's _getitem:
// the others' drop log entries become [reason] (unless reason is ""), and
// with dropIDs the conditions left without epochs are removed. The epoch
// data are shared.
func (e *Epochs) subset(idx []int, reason string, dropIDs bool) *Epochs {
	out := *e
	out.Info = e.Info
	keep := make(map[int]bool, len(idx))
	out.Events = nil
	out.Selection = nil
	out.Data = nil
	for _, i := range idx {
		out.Events = append(out.Events, e.Events[i])
		out.Selection = append(out.Selection, e.Selection[i])
		if e.Data != nil { // nil for the metadata of a File
			out.Data = append(out.Data, e.Epoch(i))
		}
		keep[e.Selection[i]] = true
	}
	out.DropLog = make([][]string, len(e.DropLog))
	for i, r := range e.DropLog {
		out.DropLog[i] = slices.Clone(r)
	}
	if reason != "" {
		for _, s := range e.Selection {
			if !keep[s] {
				out.DropLog[s] = []string{reason}
			}
		}
	}
	out.EventID = slices.Clone(e.EventID)
	if dropIDs {
		out.EventID = nil
		for _, c := range e.EventID {
			for _, ev := range out.Events {
				if ev.ID == c.ID {
					out.EventID = append(out.EventID, c)
					break
				}
			}
		}
	}
	return &out
}

// Select returns the epochs of the conditions matched by keys, as
// epochs[keys] in MNE: "face" selects every condition tagged face, several
// keys select the union. The other epochs are logged as 'IGNORED' and
// conditions without epochs are dropped from EventID. The epoch data are
// shared with e.
func (e *Epochs) Select(keys ...string) (*Epochs, error) {
	idx, err := e.keysToIndex(keys...)
	if err != nil {
		return nil, err
	}
	return e.subset(idx, "IGNORED", true), nil
}

// Drop removes the epochs at the given indices (into the current epochs)
// and logs reason for them, as MNE's epochs.drop (in place).
func (e *Epochs) Drop(indices []int, reason string) error {
	drop := make(map[int]bool, len(indices))
	for _, i := range indices {
		j := i
		if j < 0 {
			j += e.Len()
		}
		if j < 0 || j >= e.Len() {
			return fmt.Errorf("epoch index %d is out of bounds (%d epochs)", i, e.Len())
		}
		drop[j] = true
	}
	var keep []int
	for i := range e.Len() {
		if !drop[i] {
			keep = append(keep, i)
		}
	}
	*e = *e.subset(keep, reason, false)
	return nil
}

// EqualizeEventCounts drops epochs so that the groups of conditions have
// the same number of epochs, keeping those closest in time to the epochs
// of the smallest group (MNE's equalize_event_counts with its default
// method 'mintime'). Each group is a list of condition names or tags; nil
// equalizes every condition of EventID. With hierarchical names, a group
// of tags selects the conditions carrying all of them, and the first two
// groups must not overlap. Dropped epochs are logged as
// 'EQUALIZED_COUNT'; their indices (before dropping) are returned.
func (e *Epochs) EqualizeEventCounts(groups [][]string) ([]int, error) {
	if groups == nil {
		for _, n := range e.EventID.Names() {
			groups = append(groups, []string{n})
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("equalize: no groups of conditions given")
	}
	names := e.EventID.Names()
	hier := strings.Contains(strings.Join(names, ""), "/")
	if hier {
		orig := groups
		tagging := false
		resolved := make([][]string, len(groups))
		for gi, g := range groups {
			direct := 0
			for _, k := range g {
				if slices.Contains(names, k) {
					direct++
				}
			}
			if direct < len(g) {
				tagging = true
			}
			if direct == 0 {
				for _, n := range names {
					tags := strings.Split(n, "/")
					all := true
					for _, tg := range g {
						all = all && slices.Contains(tags, tg)
					}
					if all {
						resolved[gi] = append(resolved[gi], n)
					}
				}
			} else {
				resolved[gi] = g
			}
			if len(resolved[gi]) == 0 {
				return nil, fmt.Errorf("equalize: %s not found in the conditions (%s)", strings.Join(orig[gi], "/"), strings.Join(names, ", "))
			}
			in := 0
			for _, k := range resolved[gi] {
				if slices.Contains(names, k) {
					in++
				}
			}
			if in != 0 && in != len(resolved[gi]) {
				return nil, fmt.Errorf("equalize: don't mix hierarchical and regular event ids like in %q", strings.Join(resolved[gi], ", "))
			}
		}
		groups = resolved
		if tagging && len(groups) > 1 {
			a, err := e.keysToIndex(groups[0]...)
			if err != nil {
				return nil, err
			}
			b, err := e.keysToIndex(groups[1]...)
			if err != nil {
				return nil, err
			}
			for _, i := range a {
				for _, j := range b {
					if e.Events[i].Sample == e.Events[j].Sample {
						return nil, fmt.Errorf("equalize: the two sets of epochs are overlapping; provide an orthogonal selection")
					}
				}
			}
		}
	}
	inds := make([][]int, len(groups))
	times := make([][]int64, len(groups))
	for gi, g := range groups {
		idx, err := e.keysToIndex(g...)
		if err != nil {
			return nil, err
		}
		inds[gi] = idx
		for _, i := range idx {
			times[gi] = append(times[gi], e.Events[i].Sample)
		}
	}
	small := 0
	for gi := range times {
		if len(times[gi]) < len(times[small]) {
			small = gi
		}
	}
	var drop []int
	for gi := range times {
		keep := minimizeTimeDiff(times[small], times[gi])
		for j, k := range keep {
			if !k {
				drop = append(drop, inds[gi][j])
			}
		}
	}
	if err := e.Drop(drop, "EQUALIZED_COUNT"); err != nil {
		return nil, err
	}
	return drop, nil
}

// minimizeTimeDiff chooses which of the longer list's times to keep so that
// the kept times line up with the shorter list (MNE's _minimize_time_diff:
// greedy removal, one time at a time, of the element whose removal gives
// the smallest sum of absolute differences after linear interpolation onto
// each other's index grids). Times are integers, so the interpolation at
// the grid points is exact.
func minimizeTimeDiff(short, long []int64) []bool {
	keep := make([]bool, len(long))
	for i := range keep {
		keep[i] = true
	}
	if len(short) < 2 {
		for i := range keep {
			keep[i] = false
		}
		if len(short) == 1 {
			best := 0
			for i, t := range long {
				if abs64(t-short[0]) < abs64(long[best]-short[0]) {
					best = i
				}
			}
			keep[best] = true
		}
		return keep
	}
	ns := len(short)
	shortAt := func(j int) int64 { // interpolation with fill at the end
		if j < ns {
			return short[j]
		}
		return short[ns-1]
	}
	kept := make([]int64, 0, len(long))
	for range len(long) - ns {
		bestScore, best := int64(-1), -1
		for cand := range long {
			if !keep[cand] {
				continue
			}
			kept = kept[:0]
			for i, t := range long {
				if keep[i] && i != cand {
					kept = append(kept, t)
				}
			}
			var score int64
			for j := range ns {
				score += abs64(kept[j] - short[j])
			}
			for j, t := range kept {
				score += abs64(shortAt(j) - t)
			}
			if best < 0 || score < bestScore {
				bestScore, best = score, cand
			}
		}
		keep[best] = false
	}
	return keep
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// ConditionGroups returns the epochs split by condition as MNE's
// compute_covariance splits an Epochs object: one group per condition of
// EventID, in order, each holding the epochs epochs[name] selects (a name
// that is a tag of other names selects those too); with one condition,
// a single group of all epochs. The slices share memory with Data.
func (e *Epochs) ConditionGroups() [][][]float64 {
	if len(e.EventID) <= 1 {
		g := make([][]float64, e.Len())
		for i := range g {
			g[i] = e.Epoch(i)
		}
		return [][][]float64{g}
	}
	var out [][][]float64
	for _, c := range e.EventID {
		idx, _ := e.keysToIndex(c.Name)
		g := make([][]float64, len(idx))
		for j, i := range idx {
			g[j] = e.Epoch(i)
		}
		out = append(out, g)
	}
	return out
}
