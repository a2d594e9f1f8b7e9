package simulate

import (
	"fmt"
	"strings"

	"github.com/megflow/megflow/internal/h5"
)

// Truth is the part of a study's ground truth (derivatives/truth/
// sub-01_truth.h5) a pipeline checks its results against.
type Truth struct {
	Seed  uint64
	SFreq float64
	// Per trial, in presentation order: the run (1-based), the absolute
	// trigger sample, the trigger code, the condition ("famous",
	// "unfamiliar", "scrambled"), the repeat type ("first", "immediate",
	// "long") and the stimulus number.
	Run       []int
	Sample    []int64
	Code      []int32
	Condition []string
	Repeat    []string
	Stimulus  []int
	// Components are M100, M170 and M400.
	Components []TruthComponent
	Bads       []string
}

// TruthComponent is one evoked component: its nominal peak latency and
// width (s), the labels it is active in ("fusiform-lh", ...) and the
// latency of each trial (s after the trigger).
type TruthComponent struct {
	Name    string
	Peak    float64
	Width   float64
	Labels  []string
	Latency []float64
}

// Component returns the named component, or nil.
func (t *Truth) Component(name string) *TruthComponent {
	for i := range t.Components {
		if strings.EqualFold(t.Components[i].Name, name) {
			return &t.Components[i]
		}
	}
	return nil
}

// ReadTruth reads the ground truth written by Study.
func ReadTruth(path string) (*Truth, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	defer f.Close()
	t := &Truth{}
	fail := func(err error) (*Truth, error) { return nil, fmt.Errorf("simulate: %s: %w", path, err) }
	seed, err := f.AttrInt64("/", "seed")
	if err != nil {
		return fail(err)
	}
	t.Seed = uint64(seed)
	if t.SFreq, err = f.AttrFloat64("/", "sfreq"); err != nil {
		return fail(err)
	}
	ev, dims, err := f.ReadInt64("events")
	if err != nil {
		return fail(err)
	}
	if len(dims) != 2 || dims[1] != 3 {
		return fail(fmt.Errorf("events has shape %v, want (n, 3)", dims))
	}
	n := dims[0]
	runs, _, err := f.ReadInt64("run")
	if err != nil {
		return fail(err)
	}
	stim, _, err := f.ReadInt64("stimulus")
	if err != nil {
		return fail(err)
	}
	if t.Condition, err = f.ReadStrings("condition"); err != nil {
		return fail(err)
	}
	if t.Repeat, err = f.ReadStrings("repeat"); err != nil {
		return fail(err)
	}
	if t.Bads, err = f.ReadStrings("bads"); err != nil {
		return fail(err)
	}
	if len(runs) != n || len(stim) != n || len(t.Condition) != n || len(t.Repeat) != n {
		return fail(fmt.Errorf("per-trial datasets disagree on the number of trials (%d)", n))
	}
	for i := range n {
		t.Sample = append(t.Sample, ev[3*i])
		t.Code = append(t.Code, int32(ev[3*i+2]))
		t.Run = append(t.Run, int(runs[i]))
		t.Stimulus = append(t.Stimulus, int(stim[i]))
	}
	names, err := f.ListGroup("components")
	if err != nil {
		return fail(err)
	}
	for _, name := range names {
		g := "components/" + name
		c := TruthComponent{Name: name}
		if c.Peak, err = f.AttrFloat64(g, "peak"); err != nil {
			return fail(err)
		}
		if c.Width, err = f.AttrFloat64(g, "width"); err != nil {
			return fail(err)
		}
		if c.Labels, err = f.ReadStrings(g + "/labels"); err != nil {
			return fail(err)
		}
		if c.Latency, _, err = f.ReadFloat64(g + "/latency"); err != nil {
			return fail(err)
		}
		t.Components = append(t.Components, c)
	}
	return t, nil
}
