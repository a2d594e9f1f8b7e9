package epochs

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
)

// Condition is one entry of an event id map: a name, possibly made of
// '/'-separated tags ("face/famous/first"), and its trigger code.
type Condition struct {
	Name string
	ID   int32
}

// EventID is MNE's event_id: condition names mapped to trigger codes, in
// the order given (the order matters: it is the order of the conditions in
// files, in Covariance estimation and in averages by event type).
type EventID []Condition

// ParseEventID reads conditions written "name=code" ("face/famous/first=5").
// A bare code ("5") names itself, as MNE does for a list of codes. Names
// must be unique and must not contain ':' or ';' (the separators of the
// FIF event-id string).
func ParseEventID(specs ...string) (EventID, error) {
	var out EventID
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		name, code, ok := strings.Cut(s, "=")
		if !ok {
			name, code = s, s
		}
		name, code = strings.TrimSpace(name), strings.TrimSpace(code)
		v, err := strconv.ParseInt(code, 10, 64)
		if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("event id %q: the code %q is not a 32-bit integer (want name=code, e.g. face/famous/first=5)", s, code)
		}
		if name == "" {
			return nil, fmt.Errorf("event id %q: empty condition name", s)
		}
		out = append(out, Condition{Name: name, ID: int32(v)})
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	return out, nil
}

// check validates names: unique, not empty, free of the FIF separators.
func (e EventID) check() error {
	seen := make(map[string]bool, len(e))
	for _, c := range e {
		if c.Name == "" {
			return fmt.Errorf("event id: empty condition name (code %d)", c.ID)
		}
		if strings.ContainsAny(c.Name, ":;") {
			return fmt.Errorf("event id %q: names cannot contain ':' or ';'", c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("event id: condition %q given twice", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// EventIDFromCodes builds MNE's default event_id for events when none is
// given: every distinct code, ascending, named by itself.
func EventIDFromCodes(events []fif.Event) EventID {
	var codes []int32
	for _, ev := range events {
		codes = append(codes, ev.ID)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	out := make(EventID, len(codes))
	for i, c := range codes {
		out[i] = Condition{Name: strconv.Itoa(int(c)), ID: c}
	}
	return out
}

// Names returns the condition names in order.
func (e EventID) Names() []string {
	out := make([]string, len(e))
	for i, c := range e {
		out[i] = c.Name
	}
	return out
}

// Lookup returns the code of the named condition.
func (e EventID) Lookup(name string) (int32, bool) {
	for _, c := range e {
		if c.Name == name {
			return c.ID, true
		}
	}
	return 0, false
}

// HasCode reports whether some condition has the code.
func (e EventID) HasCode(code int32) bool {
	for _, c := range e {
		if c.ID == code {
			return true
		}
	}
	return false
}

// Match returns the names matched by the keys, as MNE's match_event_names:
// a key selects every condition whose tags include all of the key's tags
// ("face" selects "face/famous/first"; "famous/first" selects
// "face/famous/first"; tag order does not matter). Names are listed key by
// key, in event-id order (a name matched by two keys appears twice, as in
// MNE). A key that matches nothing is an error that lists the conditions.
func (e EventID) Match(keys ...string) ([]string, error) {
	var out []string
	for _, key := range keys {
		want := strings.Split(key, "/")
		for _, c := range e {
			tags := strings.Split(c.Name, "/")
			all := true
			for _, w := range want {
				if !slices.Contains(tags, w) {
					all = false
					break
				}
			}
			if all {
				out = append(out, c.Name)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("event name %q could not be found; the conditions are: %s",
			strings.Join(keys, ", "), strings.Join(e.Names(), ", "))
	}
	return out, nil
}

// String is the FIF form MNE writes into -epo.fif files: "name:code" items
// joined by ';'.
func (e EventID) String() string {
	parts := make([]string, len(e))
	for i, c := range e {
		parts[i] = c.Name + ":" + strconv.Itoa(int(c.ID))
	}
	return strings.Join(parts, ";")
}

// parseEventIDString reads the FIF form back, as MNE does: each item is
// split at its last ':'.
func parseEventIDString(s string) (EventID, error) {
	var out EventID
	for _, item := range strings.Split(s, ";") {
		i := strings.LastIndex(item, ":")
		if i < 0 {
			return nil, fmt.Errorf("event id item %q has no ':'", item)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(item[i+1:]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("event id item %q: %v", item, err)
		}
		out = append(out, Condition{Name: item[:i], ID: int32(v)})
	}
	return out, nil
}

// union returns e followed by the conditions of o whose names e lacks
// (Python's dict.update for new keys). A name mapped to two codes is an
// error.
func (e EventID) union(o EventID) (EventID, error) {
	out := slices.Clone(e)
	for _, c := range o {
		if v, ok := out.Lookup(c.Name); ok {
			if v != c.ID {
				return nil, fmt.Errorf("event id %q maps to %d in some epochs and to %d in others", c.Name, v, c.ID)
			}
			continue
		}
		out = append(out, c)
	}
	return out, nil
}
