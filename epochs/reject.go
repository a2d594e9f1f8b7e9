package epochs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
)

// Threshold is a peak-to-peak limit for one channel type (MNE's reject or
// flat dict entry): grad in T/m, mag in T, eeg/eog/ecg in V.
type Threshold struct {
	Type  string
	Value float64
}

// Thresholds are peak-to-peak limits by channel type, in the order given
// (the order of the reasons in the drop log).
type Thresholds []Threshold

// rejectTypes are the channel types MNE accepts as reject/flat keys
// (those of channel_indices_by_type).
var rejectTypes = []string{
	"mag", "grad", "eeg", "csd", "stim", "eog", "ecg", "emg", "misc", "resp",
	"chpi", "exci", "ias", "syst", "seeg", "dipole", "gof", "bio", "ecog", "dbs",
	"temperature", "gsr", "ref_meg", "hbo", "hbr", "fnirs_cw_amplitude",
	"fnirs_fd_ac_amplitude", "fnirs_fd_phase", "fnirs_od",
}

// ParseThresholds reads "grad=4000e-13,mag=4e-12" (comma- or
// space-separated type=value pairs). An empty string gives nil.
func ParseThresholds(s string) (Thresholds, error) {
	var out Thresholds
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("threshold %q: want type=value, e.g. grad=4000e-13", item)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("threshold %q: %q is not a number", item, v)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		for _, t := range out {
			if t.Type == k {
				return nil, fmt.Errorf("threshold for %q given twice", k)
			}
		}
		out = append(out, Threshold{Type: k, Value: f})
	}
	return out, nil
}

// String writes the thresholds back as "type=value,...".
func (t Thresholds) String() string {
	parts := make([]string, len(t))
	for i, x := range t {
		parts[i] = x.Type + "=" + strconv.FormatFloat(x.Value, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Get returns the threshold of a channel type.
func (t Thresholds) Get(typ string) (float64, bool) {
	for _, x := range t {
		if x.Type == typ {
			return x.Value, true
		}
	}
	return 0, false
}

// typeIndex is one threshold with the rows of its channel type.
type typeIndex struct {
	typ   string
	value float64
	rows  []int
}

// Rejector tests epochs against reject and flat thresholds the way MNE's
// _is_good does: for every threshold in order, the peak-to-peak amplitude
// of each channel of the type over the rejection window; channels marked
// bad are never blamed.
type Rejector struct {
	reject, flat []typeIndex
	names        []string
	checkable    []bool
}

// NewRejector prepares the tests for data whose rows are the channels of
// info. As MNE, it refuses unknown channel types, negative or NaN values,
// and thresholds for channel types the data do not have (unless the
// reject value is infinite).
func NewRejector(info *fif.Info, reject, flat Thresholds) (*Rejector, error) {
	byType := make(map[string][]int)
	for i, c := range info.Chs {
		t := fif.ChannelType(c)
		byType[t] = append(byType[t], i)
	}
	r := &Rejector{names: info.ChNames(), checkable: make([]bool, len(info.Chs))}
	for i, c := range info.Chs {
		r.checkable[i] = !info.IsBad(c.Name)
	}
	for _, set := range []struct {
		what string
		th   Thresholds
		dst  *[]typeIndex
	}{{"reject", reject, &r.reject}, {"flat", flat, &r.flat}} {
		for _, t := range set.th {
			known := false
			for _, v := range rejectTypes {
				known = known || v == t.Type
			}
			if !known {
				return nil, fmt.Errorf("unknown channel type %q in %s (known types: %s)", t.Type, set.what, strings.Join(rejectTypes, ", "))
			}
			if math.IsNaN(t.Value) || t.Value < 0 {
				return nil, fmt.Errorf("%s value for %s must be a number >= 0, not %g", set.what, t.Type, t.Value)
			}
			rows := byType[t.Type]
			if len(rows) == 0 && (set.what == "flat" || !math.IsInf(t.Value, 1)) {
				return nil, fmt.Errorf("no %s channels in the data: cannot %s based on %s", strings.ToUpper(t.Type), set.what, strings.ToUpper(t.Type))
			}
			*set.dst = append(*set.dst, typeIndex{typ: t.Type, value: t.Value, rows: rows})
		}
	}
	return r, nil
}

// Active reports whether any threshold is set.
func (r *Rejector) Active() bool { return r != nil && (len(r.reject) > 0 || len(r.flat) > 0) }

// Check returns the names of the channels that exceed a reject threshold
// or fall below a flat threshold over samples [lo, hi) of data (rows of nt
// samples), reject reasons first; nil means the epoch is good.
func (r *Rejector) Check(data []float64, nt, lo, hi int) []string {
	if r == nil {
		return nil
	}
	var bad []string
	for pass, list := range [][]typeIndex{r.reject, r.flat} {
		for _, ti := range list {
			for _, row := range ti.rows {
				if !r.checkable[row] {
					continue
				}
				x := data[row*nt+lo : row*nt+hi]
				if len(x) == 0 {
					continue
				}
				mn, mx := x[0], x[0]
				for _, v := range x[1:] {
					if v < mn {
						mn = v
					}
					if v > mx {
						mx = v
					}
				}
				d := mx - mn
				if (pass == 0 && d > ti.value) || (pass == 1 && d < ti.value) {
					bad = append(bad, r.names[row])
				}
			}
		}
	}
	return bad
}
