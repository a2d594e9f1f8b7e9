package epochs

import (
	"fmt"
	"math"
	"strings"

	"github.com/megflow/megflow/fif"
)

// Comment returns MNE's name of an epoch set (its Evoked comment): the
// condition name when there is one condition, else the share of each,
// "0.33 × face/famous + 0.67 × scrambled".
func (e *Epochs) Comment() string {
	if len(e.EventID) == 1 {
		return e.EventID[0].Name
	}
	count := map[int32]int{}
	for _, ev := range e.Events {
		count[ev.ID]++
	}
	parts := make([]string, len(e.EventID))
	for i, c := range e.EventID {
		share := math.NaN()
		if len(e.Events) > 0 {
			share = float64(count[c.ID]) / float64(len(e.Events))
		}
		parts[i] = fmt.Sprintf("%.2f × %s", share, c.Name)
	}
	return strings.Join(parts, " + ")
}

// dataRows are the channels an average keeps: MEG (with references), EEG,
// sEEG, ECoG, DBS, fNIRS and CSD channels, bad or not (MNE's
// 'data_or_ica' picks); EOG, ECG, stim and misc channels are left out.
func dataRows(info *fif.Info) []int {
	var out []int
	for i, c := range info.Chs {
		switch fif.ChannelType(c) {
		case "grad", "mag", "meg", "ref_meg", "eeg", "seeg", "ecog", "dbs", "fnirs", "csd":
			out = append(out, i)
		}
	}
	return out
}

// Average returns the mean of all epochs as an evoked response (MNE's
// epochs.average()): data channels only, nave = number of epochs, the
// comment of Comment and the epochs' baseline.
func (e *Epochs) Average() (*fif.Evoked, error) {
	return e.averageFrom(func(i int, _ []float64) ([]float64, error) { return e.Epoch(i), nil })
}

// averageFrom is Average with epoch i of e given by epoch (which may
// reuse buf).
func (e *Epochs) averageFrom(epoch func(i int, buf []float64) ([]float64, error)) (*fif.Evoked, error) {
	if e.Len() == 0 {
		return nil, fmt.Errorf("no epochs to average")
	}
	rows := dataRows(e.Info)
	if len(rows) == 0 {
		return nil, fmt.Errorf("no data channel found when averaging (channels: %s)", strings.Join(e.Info.ChNames(), ", "))
	}
	nt := e.NTimes()
	nch := e.NChan()
	sum := make([]float64, nch*nt)
	var buf []float64
	for i := range e.Len() {
		ep, err := epoch(i, buf)
		if err != nil {
			return nil, err
		}
		buf = ep
		for j, v := range ep {
			sum[j] += v
		}
	}
	n := float64(e.Len())
	data := make([]float64, 0, len(rows)*nt)
	for _, r := range rows {
		for _, v := range sum[r*nt : (r+1)*nt] {
			data = append(data, v/n)
		}
	}
	info := e.Info.Pick(rows)
	first := int(math.RoundToEven(e.Times[0] * e.Info.SFreq))
	ev := &fif.Evoked{
		Info:    info,
		Comment: e.Comment(),
		Kind:    "average",
		Nave:    e.Len(),
		First:   first,
		Last:    first + nt - 1,
		Times:   append([]float64(nil), e.Times...),
		Data:    data,
	}
	if e.Baseline != nil {
		b := *e.Baseline
		ev.Baseline = &b
	}
	return ev, nil
}

// AverageConditions averages the epochs of each selection: a selection is
// a condition name or tag ("face" averages every face condition), as
// epochs[key].average() in MNE, with MNE's comment for the selection.
// With no keys, it averages each condition of EventID separately and names
// each average by its condition (MNE's average(by_event_type=True)).
func (e *Epochs) AverageConditions(keys ...string) ([]*fif.Evoked, error) {
	return e.averageConditions(keys, func(sub *Epochs, _ []int) (*fif.Evoked, error) { return sub.Average() })
}

// Average is Epochs.Average reading the epochs one at a time.
func (lf *File) Average() (*fif.Evoked, error) {
	return lf.Epochs.averageFrom(lf.ReadEpoch)
}

// AverageConditions is Epochs.AverageConditions reading the epochs one at
// a time (each once per selection it belongs to).
func (lf *File) AverageConditions(keys ...string) ([]*fif.Evoked, error) {
	return lf.Epochs.averageConditions(keys, func(sub *Epochs, idx []int) (*fif.Evoked, error) {
		return sub.averageFrom(func(i int, buf []float64) ([]float64, error) { return lf.ReadEpoch(idx[i], buf) })
	})
}

// averageConditions selects the epochs of each key and averages them with
// avg, which gets the selection and the indices of its epochs in e.
func (e *Epochs) averageConditions(keys []string, avg func(sub *Epochs, idx []int) (*fif.Evoked, error)) ([]*fif.Evoked, error) {
	byType := len(keys) == 0
	if byType {
		keys = e.EventID.Names()
	}
	var out []*fif.Evoked
	for _, k := range keys {
		idx, err := e.keysToIndex(k)
		if err != nil {
			return nil, err
		}
		sub := e.subset(idx, "IGNORED", true)
		if sub.Len() == 0 {
			return nil, fmt.Errorf("condition %q has no epochs left to average", k)
		}
		ev, err := avg(sub, idx)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", k, err)
		}
		if byType {
			ev.Comment = k
		}
		out = append(out, ev)
	}
	return out, nil
}
