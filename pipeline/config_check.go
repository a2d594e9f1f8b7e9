package pipeline

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/forward"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/preprocess"
	"github.com/megflow/megflow/preprocess/maxwell"
	"github.com/megflow/megflow/rsa"
	"maps"
	"slices"
)

// checkValues checks every value that can be checked without reading
// files, so that a bad config fails before any work.
func (c *Config) checkValues(where string) error {
	bad := func(key string, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", where, key, fmt.Sprintf(format, args...))
	}
	m := &c.Maxwell
	if _, err := maxwell.ParseFrame(strings.ToLower(m.Frame)); err != nil {
		return bad("maxwell.frame", "%q: want head or meg", m.Frame)
	}
	if _, err := parseOrigin(m.Origin); err != nil {
		return bad("maxwell.origin", "%v", err)
	}
	if m.IntOrder < 1 || m.ExtOrder < 0 {
		return bad("maxwell.int_order/ext_order", "%d/%d: want >= 1 and >= 0", m.IntOrder, m.ExtOrder)
	}
	if r := strings.ToLower(m.Regularize); r != "in" && r != "none" {
		return bad("maxwell.regularize", "%q: want in or none", m.Regularize)
	}
	if !(m.STDuration >= 0) || math.IsInf(m.STDuration, 0) {
		return bad("maxwell.st_duration", "%g: want >= 0 (0: no tSSS)", m.STDuration)
	}
	if !(m.STCorrelation > 0 && m.STCorrelation <= 1) {
		return bad("maxwell.st_correlation", "%g: want (0, 1]", m.STCorrelation)
	}
	if d := m.Destination; d != "" && !strings.HasPrefix(d, "run-") {
		if _, err := geom.ParseVec3(d); err != nil {
			return bad("maxwell.destination", "%q: want x,y,z in metres or run-<label>", d)
		}
	} else if d != "" && !contains(c.Runs, strings.TrimPrefix(d, "run-")) {
		return bad("maxwell.destination", "%q is not one of runs %v", d, c.Runs)
	}
	f := &c.Filter
	for _, x := range []struct {
		k string
		v float64
	}{{"filter.l_freq", f.LFreq}, {"filter.h_freq", f.HFreq}, {"filter.eog_l_freq", f.EOGLFreq}, {"filter.eog_h_freq", f.EOGHFreq}} {
		if !(x.v >= 0) || math.IsInf(x.v, 0) {
			return bad(x.k, "%g: want >= 0 (0: none)", x.v)
		}
	}
	if f.Method != "fir" && f.Method != "iir" {
		return bad("filter.method", "%q: want fir or iir", f.Method)
	}
	e := &c.Events
	if _, err := preprocess.ParseMaskType(e.MaskType); err != nil {
		return bad("events.mask_type", "%v", err)
	}
	if _, err := preprocess.ParseConsecutive(e.Consecutive); err != nil {
		return bad("events.consecutive", "%v", err)
	}
	if _, err := c.eventID(); err != nil {
		return bad("events.event_id", "%v", err)
	}
	ep := &c.Epochs
	if !(ep.Tmin < ep.Tmax) {
		return bad("epochs.tmin/tmax", "%g >= %g", ep.Tmin, ep.Tmax)
	}
	if _, err := epochs.ParseBaseline(ep.Baseline); err != nil {
		return bad("epochs.baseline", "%v", err)
	}
	if ep.Decim < 1 {
		return bad("epochs.decim", "%d: want >= 1", ep.Decim)
	}
	if _, err := epochs.ParseThresholds(thresholdSpec(ep.Reject)); err != nil {
		return bad("epochs.reject", "%v", err)
	}
	if _, err := epochs.ParseThresholds(thresholdSpec(ep.Flat)); err != nil {
		return bad("epochs.flat", "%v", err)
	}
	switch c.Covariance.Method {
	case inverse.MethodEmpirical, inverse.MethodShrunk, inverse.MethodDiagonalFixed:
	default:
		return bad("covariance.method", "%q: want empirical, shrunk or diagonal_fixed", c.Covariance.Method)
	}
	if _, err := inverse.ParseRank(c.Covariance.Rank); err != nil {
		return bad("covariance.rank", "%v", err)
	}
	if _, err := inverse.ParseRank(c.Inverse.Rank); err != nil {
		return bad("inverse.rank", "%v", err)
	}
	if _, _, err := forward.ParseSpacing(c.SourceSpace.Spacing); err != nil {
		return bad("source_space.spacing", "%v", err)
	}
	if c.SourceSpace.MinDist < 0 {
		return bad("source_space.mindist", "%g: want >= 0 (mm)", c.SourceSpace.MinDist)
	}
	if n := len(c.BEM.Conductivity); n != 1 && n != 3 {
		return bad("bem.conductivity", "%v: want one value (single layer) or three", c.BEM.Conductivity)
	}
	if c.BEM.Ico < 1 || c.BEM.Ico > 5 {
		return bad("bem.ico", "%d: want 1 to 5", c.BEM.Ico)
	}
	in := &c.Inverse
	if !(in.Loose >= 0 && in.Loose <= 1) {
		return bad("inverse.loose", "%g: want [0, 1]", in.Loose)
	}
	if !(in.Depth >= 0) || math.IsInf(in.Depth, 0) {
		return bad("inverse.depth", "%g: want >= 0", in.Depth)
	}
	if _, err := inverse.ParseMethod(in.Method); err != nil {
		return bad("inverse.method", "%v", err)
	}
	if !(in.SNR > 0) {
		return bad("inverse.snr", "%g: want > 0", in.SNR)
	}
	if p, err := inverse.ParsePickOri(in.PickOri); err != nil {
		return bad("inverse.pick_ori", "%v", err)
	} else if p == inverse.PickOri("vector") {
		return bad("inverse.pick_ori", "vector estimates have no parcel time courses; want none or normal")
	}
	pc := &c.Parcellation
	if pc.Parc == "" {
		return bad("parcellation.parc", "empty")
	}
	if pc.NParcels < 1 {
		return bad("parcellation.n_parcels", "%d: want >= 1", pc.NParcels)
	}
	if _, err := atlas.ParseMode(pc.Mode); err != nil {
		return bad("parcellation.mode", "%v", err)
	}
	r := &c.RSA
	if r.Metric == crossnobis {
		timeBy := r.TimeAverageBy
		if timeBy == "" {
			timeBy = r.AverageBy
		}
		if r.AverageBy == "none" || timeBy == "none" {
			return bad("rsa.metric", "crossnobis compares patterns averaged within runs: set rsa.average_by (and time_average_by) to condition or stimulus")
		}
		if len(c.Runs) < 2 {
			return bad("rsa.metric", "crossnobis needs two runs or more (runs: %v)", c.Runs)
		}
	} else if _, err := rsa.ParseMetric(r.Metric); err != nil {
		return bad("rsa.metric", "%v (or crossnobis)", err)
	}
	if !(r.WindowTmin < r.WindowTmax) {
		return bad("rsa.window_tmin/window_tmax", "%g >= %g", r.WindowTmin, r.WindowTmax)
	}
	if !(r.TimeTmin <= r.TimeTmax) {
		return bad("rsa.time_tmin/time_tmax", "%g > %g", r.TimeTmin, r.TimeTmax)
	}
	if r.TimeStep < 1 || r.TimeWidth < 1 {
		return bad("rsa.time_step/time_width", "%d/%d: want >= 1", r.TimeStep, r.TimeWidth)
	}
	switch r.AverageBy {
	case "none", "condition", "stimulus":
	default:
		return bad("rsa.average_by", "%q: want none, condition or stimulus", r.AverageBy)
	}
	switch r.TimeAverageBy {
	case "", "none", "condition", "stimulus":
	default:
		return bad("rsa.time_average_by", "%q: want none, condition or stimulus (empty: as average_by)", r.TimeAverageBy)
	}
	return nil
}

// eventID turns events.event_id into epochs' table, sorted by code for a
// deterministic order (an empty table keeps every code).
func (c *Config) eventID() (epochs.EventID, error) {
	if len(c.Events.EventID) == 0 {
		return nil, nil
	}
	var specs []string
	for _, name := range slices.Sorted(maps.Keys(c.Events.EventID)) {
		specs = append(specs, name+"="+strconv.FormatInt(c.Events.EventID[name], 10))
	}
	return epochs.ParseEventID(specs...)
}

// thresholdSpec renders a map of thresholds in epochs.ParseThresholds' syntax.
func thresholdSpec(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

func parseOrigin(s string) (*geom.Vec3, error) {
	if s == "" || strings.EqualFold(s, "auto") {
		return nil, nil
	}
	v, err := geom.ParseVec3(s)
	if err != nil {
		return nil, fmt.Errorf("%v (or auto)", err)
	}
	if math.Abs(v[0])+math.Abs(v[1])+math.Abs(v[2]) > 1 {
		return nil, fmt.Errorf("%q is more than a metre from the frame origin: the value is in metres", s)
	}
	return &v, nil
}

// Problem is one missing input found by Check.
type Problem struct {
	Subject string
	What    string
}

// CheckInputs verifies, before any work, that every subject's recordings,
// anatomy, transform and Maxwell files exist. It returns all problems.
func (c *Config) CheckInputs() []Problem {
	var out []Problem
	add := func(sub, format string, args ...any) {
		out = append(out, Problem{Subject: sub, What: fmt.Sprintf(format, args...)})
	}
	if st, err := os.Stat(c.BIDSRoot); err != nil || !st.IsDir() {
		add("", "bids_root %s is not a directory", c.BIDSRoot)
		return out
	}
	for _, p := range []struct{ key, path string }{{"maxwell.calibration", c.Maxwell.Calibration}, {"maxwell.cross_talk", c.Maxwell.CrossTalk}} {
		if c.Maxwell.Enabled && p.path != "" {
			if _, err := os.Stat(p.path); err != nil {
				add("", "%s: %s does not exist", p.key, p.path)
			}
		}
	}
	for _, sub := range c.Subjects {
		dir := filepath.Join(c.BIDSRoot, "sub-"+sub)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			add(sub, "unknown subject %q: %s does not exist", sub, dir)
			continue
		}
		for _, run := range c.Runs {
			if p := c.RawPath(sub, run); !exists(p) {
				add(sub, "run %s: raw file %s does not exist", run, p)
			}
		}
		fs := c.FSSubject(sub)
		for _, f := range []string{"surf/lh.white", "surf/rh.white", "surf/lh.sphere", "surf/rh.sphere", "bem/inner_skull.surf"} {
			if p := filepath.Join(c.SubjectsDir, fs, f); !exists(p) {
				add(sub, "FreeSurfer subject %s: %s does not exist", fs, p)
			}
		}
		if c.parcAnnotPath(sub, 0) == "" {
			for _, h := range atlas.Hemis {
				if p := atlas.AnnotPath(c.SubjectsDir, fs, h, c.Parcellation.BuildFrom); !exists(p) {
					add(sub, "parcellation %s is missing and cannot be built: %s does not exist", c.Parcellation.Parc, p)
				}
			}
		}
		if p := c.TransPath(sub); !exists(p) {
			add(sub, "trans: %s does not exist", p)
		}
	}
	return out
}

// InputsError is CheckInputs as one error listing every problem (nil when
// there is none).
func (l *Loaded) InputsError() error {
	probs := l.CheckInputs()
	if len(probs) == 0 {
		return nil
	}
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = p.What
		if p.Subject != "" {
			lines[i] = "sub-" + p.Subject + ": " + p.What
		}
	}
	return fmt.Errorf("config %s: %d problem(s) with the inputs:\n  %s", displayPath(l.Path), len(lines), strings.Join(lines, "\n  "))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
