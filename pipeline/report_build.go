package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/pipeline/report"
	"github.com/megflow/megflow/preprocess"
)

const algoReport = 1

// psdSeconds is how much of the first run the PSD figure uses.
const psdSeconds = 60

// writeReport gathers the figures of a subject from the stage outputs.
// The inputs are those of reportStep: per run raw, filtered, events; then
// epochs, inverse, parcel time courses, window RDMs.
func (r *subjectRun) writeReport(ctx context.Context, e *env, in []string, out string) error {
	c := &r.cfg.Config
	rep := report.New(fmt.Sprintf("sub-%s — %s", r.sub, c.Study))
	nr := len(c.Runs)
	rep.Section("Provenance")
	rep.KeyValues("Run", []report.KV{{Key: "megflow", Value: version.String()}, {Key: "config", Value: r.cfg.Path},
		{Key: "config sha256", Value: r.cfg.Hash}, {Key: "subject", Value: "sub-" + r.sub + " (FreeSurfer " + c.FSSubject(r.sub) + ")"},
		{Key: "runs", Value: strings.Join(c.Runs, ", ")}})
	rep.Table("Steps (from the provenance sidecars)", []string{"output", "stage", "seconds", "created"}, r.stepRows())

	if err := r.reportRaw(e, rep, in[0], in[1]); err != nil {
		return err
	}
	var badRows [][]string
	for i, run := range c.Runs {
		info, err := readInfo(in[3*i])
		if err != nil {
			return err
		}
		badRows = append(badRows, []string{"run-" + run, strings.Join(info.Bads, ", "), strings.Join(c.RunBads(r.sub, run), ", ")})
	}
	rep.Table("Bad channels (reconstructed by Maxwell filtering)", []string{"run", "in the file", "added by the config"}, badRows)

	ep, err := epochs.Open(in[3*nr])
	if err != nil {
		return err
	}
	defer ep.Close()
	r.reportEvents(rep, ep.Epochs, in, nr)
	if err := r.reportEvoked(e, rep, ep, in[3*nr+1]); err != nil {
		return err
	}
	if err := r.reportParcels(rep, in[3*nr+2]); err != nil {
		return err
	}
	if err := r.reportRDMs(rep, in[3*nr+3]); err != nil {
		return err
	}
	rep.Section("Configuration")
	y, _ := r.cfg.YAML()
	rep.Pre("Effective configuration", string(y))
	if err := rep.Err(); err != nil {
		e.log.Warn("report figures", "err", err)
	}
	return rep.WriteFile(out)
}

// stepRows lists every output of the subject with its sidecar's timing.
func (r *subjectRun) stepRows() [][]string {
	var rows [][]string
	for _, s := range r.steps() {
		if s.Stage == "report" {
			continue
		}
		for _, o := range s.Outputs {
			b, err := os.ReadFile(sidecarPath(o))
			if err != nil {
				continue
			}
			var p Provenance
			if json.Unmarshal(b, &p) != nil {
				continue
			}
			rows = append(rows, []string{filepath.Base(o), s.Label, fmt.Sprintf("%.2f", p.Seconds), p.Created})
		}
	}
	return rows
}

// reportRaw draws the PSD of the first run's MEG channels before and after
// preprocessing (the first psdSeconds seconds).
func (r *subjectRun) reportRaw(e *env, rep *report.Report, rawPath, filtPath string) error {
	c := &r.cfg.Config
	rep.Section("Raw data")
	type curve struct{ label, path string }
	curves := []curve{{"raw", rawPath}}
	if c.Maxwell.Enabled {
		curves = append(curves, curve{"Maxwell-filtered", c.sssPath(r.sub, c.Runs[0])})
	}
	curves = append(curves, curve{"filtered", filtPath})
	var freqs []float64
	panels := []report.PSDPanel{{Title: "Magnetometers", Unit: "fT", Scale: 1e15}, {Title: "Gradiometers", Unit: "fT/cm", Scale: 1e13}}
	for _, cv := range curves {
		raw, err := fif.OpenRaw(cv.path, fif.RawOptions{AllowMaxShield: true})
		if err != nil {
			return err
		}
		n := min(raw.NTimes, int64(psdSeconds*raw.Info.SFreq))
		for pi, typ := range []string{"mag", "grad"} {
			picks := channelsOfType(raw.Info, typ)
			picks = slices.DeleteFunc(picks, func(i int) bool { return slices.Contains(raw.Info.Bads, raw.Info.Chs[i].Name) })
			if len(picks) == 0 {
				continue
			}
			data, err := raw.Read(picks, 0, n)
			if err != nil {
				raw.Close()
				return err
			}
			rows := make([][]float64, len(picks))
			for q := range rows {
				rows[q] = data[q*int(n) : (q+1)*int(n)]
			}
			nfft := preprocess.RawPSDNFFT(int(n))
			psd, f, err := preprocess.PSDWelch(rows, raw.Info.SFreq, preprocess.WelchOptions{NFFT: nfft, FMax: min(raw.Info.SFreq/2, 150)})
			if err != nil {
				raw.Close()
				return fmt.Errorf("%s: PSD: %w", cv.path, err)
			}
			freqs = f
			panels[pi].Curves = append(panels[pi].Curves, report.PSDCurve{Label: cv.label, Spectra: psd})
		}
		raw.Close()
	}
	rep.PSD(fmt.Sprintf("Power spectral density, run-%s (first %d s, good MEG channels)", c.Runs[0], psdSeconds), freqs, panels,
		report.PSDOptions{Markers: []report.Marker{{X: 50, Label: "50 Hz"}}})
	return nil
}

func (r *subjectRun) reportEvents(rep *report.Report, ep *epochs.Epochs, in []string, nr int) {
	rep.Section("Events and epochs")
	found := map[int32]int{}
	for i := range nr {
		ev, err := fif.ReadEvents(in[3*i+2])
		if err != nil {
			continue
		}
		for _, x := range ev {
			found[x.ID]++
		}
	}
	kept := map[int32]int{}
	for _, x := range ep.Events {
		kept[x.ID]++
	}
	var labels []string
	var counts []int
	var rows [][]string
	for _, cnd := range ep.EventID {
		labels = append(labels, cnd.Name)
		counts = append(counts, kept[cnd.ID])
		rows = append(rows, []string{cnd.Name, fmt.Sprint(cnd.ID), fmt.Sprint(found[cnd.ID]), fmt.Sprint(kept[cnd.ID])})
	}
	rep.Events("Epochs kept per condition", labels, counts, report.EventsOptions{})
	rep.Table("Events found and epochs kept", []string{"condition", "code", "events", "epochs kept"}, rows)
}

// category is the first level of a condition name ("face/famous/first" →
// "face").
func category(cond string) string {
	c, _, _ := strings.Cut(cond, "/")
	return c
}

// reportEvoked draws butterflies per category and dSPM maps of the evoked
// response of all epochs at the configured peak times.
func (r *subjectRun) reportEvoked(e *env, rep *report.Report, ep *epochs.File, invPath string) error {
	c := &r.cfg.Config
	rep.Section("Evoked responses")
	names := map[int32]string{}
	for _, cnd := range ep.EventID {
		names[cnd.ID] = cnd.Name
	}
	var order []string
	for _, ev := range ep.Events {
		if cat := category(names[ev.ID]); !slices.Contains(order, cat) {
			order = append(order, cat)
		}
	}
	slices.Sort(order)
	var markers []report.Marker
	for _, t := range c.Report.PeakTimes {
		markers = append(markers, report.Marker{X: t, Label: fmt.Sprintf("%.0f ms", t*1000)})
	}
	// A category is the first tag of the condition names, so MNE's tag
	// selection (epochs["face"]) averages exactly its epochs.
	evs, err := ep.AverageConditions(order...)
	if err != nil {
		return err
	}
	for i, ev := range evs {
		nt := ev.NTimes()
		var panels []report.ButterflyPanel
		for _, typ := range []struct{ t, title, unit string }{{"mag", "Magnetometers", "fT"}, {"grad", "Gradiometers", "fT/cm"}} {
			p := report.ButterflyPanel{Title: typ.title, Unit: typ.unit, Scale: 1e15}
			if typ.t == "grad" {
				p.Scale = 1e13
			}
			for ch := range ev.Info.Chs {
				if fif.ChannelType(ev.Info.Chs[ch]) == typ.t {
					p.Data = append(p.Data, ev.Data[ch*nt:(ch+1)*nt])
				}
			}
			if len(p.Data) > 0 {
				panels = append(panels, p)
			}
		}
		rep.Butterfly(fmt.Sprintf("Evoked response, %s (%d epochs)", order[i], ev.Nave), ev.Times, panels,
			report.ButterflyOptions{Markers: markers})
	}
	// Source maps of the evoked response of all epochs.
	rec, err := fif.ReadInverse(invPath)
	if err != nil {
		return err
	}
	op, err := inverse.OperatorFromFIF(rec)
	if err != nil {
		return err
	}
	method, _ := inverse.ParseMethod(c.Inverse.Method)
	avg, err := ep.Average()
	if err != nil {
		return err
	}
	k, err := op.Prepare(method, 1/(c.Inverse.SNR*c.Inverse.SNR), inverse.PickOri(""), float64(avg.Nave))
	if err != nil {
		return err
	}
	var stc []float32
	err = inverse.ApplyEpochs(context.Background(), k, inverse.EpochInput{Info: avg.Info, Times: avg.Times, N: 1,
		Epoch: func(int) ([]float64, error) { return avg.Data, nil }},
		estimateSink(func(_ int, d []float32) error { stc = append([]float32(nil), d...); return nil }))
	if err != nil {
		return err
	}
	nt := avg.NTimes()
	for _, t := range c.Report.PeakTimes {
		ti, _ := timeRange(avg.Times, t, t)
		if ti >= nt {
			continue
		}
		var hemis []report.Hemisphere
		i := 0
		for h, name := range []string{"lh", "rh"} {
			if h >= len(op.Vertices) {
				break
			}
			hm := report.Hemisphere{Name: name}
			for range op.Vertices[h] {
				hm.Pos = append(hm.Pos, [3]float64{op.SourceRR[3*i], op.SourceRR[3*i+1], op.SourceRR[3*i+2]})
				hm.Values = append(hm.Values, float64(stc[i*nt+ti]))
				i++
			}
			hemis = append(hemis, hm)
		}
		rep.SourceMap(fmt.Sprintf("%s of the evoked response (all epochs) at %.0f ms", c.Inverse.Method, avg.Times[ti]*1000), hemis,
			report.SourceMapOptions{Unit: c.Inverse.Method, Views: []string{"lateral", "ventral"}})
	}
	return nil
}

// reportParcels draws, for each parent region of report.face_parcels and
// hemisphere, the mean parcel time course of each category.
func (r *subjectRun) reportParcels(rep *report.Report, path string) error {
	c := &r.cfg.Config
	rep.Section("Parcel time courses")
	hemis := []string{"lh", "rh"}
	rm, err := readRegionMeans(path, c.Report.FaceParcels, hemis, category)
	if err != nil {
		return err
	}
	var markers []report.Marker
	for _, t := range c.Report.PeakTimes {
		markers = append(markers, report.Marker{X: t, Label: fmt.Sprintf("%.0f ms", t*1000)})
	}
	cats := slices.Sorted(slices.Values(rm.groups))
	for _, region := range c.Report.FaceParcels {
		var series []report.Series
		for _, hemi := range hemis {
			for _, cat := range cats {
				if v := rm.mean[regionKey{region, hemi, cat}]; v != nil {
					series = append(series, report.Series{Label: fmt.Sprintf("%s-%s %s", region, hemi, cat), Values: v})
				}
			}
		}
		if len(series) == 0 {
			continue
		}
		rep.TimeCourses(fmt.Sprintf("%s parcels (mean over %s sub-parcels, weighted by size)", region, region), rm.times, series,
			report.TimeCourseOptions{YLabel: c.Inverse.Method + " (" + c.Parcellation.Mode + ")", Markers: markers,
				Windows: []report.Window{{Start: c.RSA.WindowTmin, End: c.RSA.WindowTmax, Label: "RSA window"}}})
	}
	return nil
}

// reportRDMs draws the window RDM of the largest parcel of each face
// region and hemisphere, patterns sorted by condition.
func (r *subjectRun) reportRDMs(rep *report.Report, path string) error {
	c := &r.cfg.Config
	rep.Section("RDMs")
	f, err := h5.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dims, err := f.Shape("dissimilarities")
	if err != nil {
		return err
	}
	if len(dims) != 2 {
		return fmt.Errorf("%s: dissimilarities has shape %v; want RDMs × pairs", path, dims)
	}
	roi, err := f.ReadStrings("rdm_descriptors/roi")
	if err != nil {
		return err
	}
	conds, err := f.ReadStrings("pattern_descriptors/condition")
	if err != nil {
		return err
	}
	n := len(conds)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(conds[a], conds[b]) })
	cats := make([]string, n)
	for q, i := range order {
		cats[q] = category(conds[i])
	}
	np := dims[1]
	var rows [][]string
	for _, region := range c.Report.FaceParcels {
		for _, hemi := range []string{"lh", "rh"} {
			best := -1
			for i, name := range roi {
				if parcelMatches(name, region, hemi) {
					best = i
					break
				}
			}
			if best < 0 {
				continue
			}
			row, err := f.ReadFloat64Slab("dissimilarities", []int{best, 0}, []int{1, np})
			if err != nil {
				return err
			}
			m := make([][]float64, n)
			for a := range n {
				m[a] = make([]float64, n)
				for b := range n {
					if a != b {
						m[a][b] = row[pairIndex(order[a], order[b], n)]
					}
				}
			}
			if n <= maxRDMPatterns {
				rep.RDMMatrix("Window RDM, "+roi[best], cats, m, report.RDMOptions{Measure: c.RSA.Metric, Categories: cats})
			} else {
				names, mm := conditionMeans(m, order, conds)
				ncat := make([]string, len(names))
				for i, nm := range names {
					ncat[i] = category(nm)
				}
				rep.RDMMatrix(fmt.Sprintf("Window RDM, %s (mean per pair of conditions over %d patterns)", roi[best], n), names, mm,
					report.RDMOptions{Measure: c.RSA.Metric, Categories: ncat})
			}
			ff, fs, ss := categoryMeans(m, cats)
			rows = append(rows, []string{roi[best], fmt.Sprintf("%.3f", ff), fmt.Sprintf("%.3f", ss), fmt.Sprintf("%.3f", fs)})
		}
	}
	rep.Table("Mean dissimilarity within and between the first category and the others",
		[]string{"parcel", "within first", "within others", "between"}, rows)
	return nil
}

// maxRDMPatterns is the largest RDM drawn pattern by pattern; larger ones
// are drawn as their means per pair of conditions.
const maxRDMPatterns = 400

// conditionMeans averages an RDM (rows and columns in the sorted order
// given, conditions conds of the original patterns) over every pair of
// conditions; the diagonal holds the mean within a condition (without the
// zero self-dissimilarities).
func conditionMeans(m [][]float64, order []int, conds []string) ([]string, [][]float64) {
	var names []string
	of := make([]int, len(order))
	for q, i := range order {
		k := slices.Index(names, conds[i])
		if k < 0 {
			k = len(names)
			names = append(names, conds[i])
		}
		of[q] = k
	}
	sum := make([][]float64, len(names))
	cnt := make([][]int, len(names))
	for k := range names {
		sum[k] = make([]float64, len(names))
		cnt[k] = make([]int, len(names))
	}
	for a := range m {
		for b := range m {
			if a != b {
				sum[of[a]][of[b]] += m[a][b]
				cnt[of[a]][of[b]]++
			}
		}
	}
	for k := range sum {
		for l := range sum {
			if cnt[k][l] > 0 {
				sum[k][l] /= float64(cnt[k][l])
			}
		}
	}
	return names, sum
}

func pairIndex(i, j, n int) int {
	if i > j {
		i, j = j, i
	}
	return n*i - i*(i+1)/2 + j - i - 1
}

// categoryMeans returns the mean off-diagonal dissimilarity within the
// first category (in sorted order), between it and the others, and within
// the others.
func categoryMeans(m [][]float64, cats []string) (within, between, others float64) {
	if len(cats) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	first := cats[0]
	var s [3]float64
	var k [3]int
	for a := range m {
		for b := range m {
			if a == b {
				continue
			}
			fa, fb := cats[a] == first, cats[b] == first
			q := 2
			switch {
			case fa && fb:
				q = 0
			case fa != fb:
				q = 1
			}
			s[q] += m[a][b]
			k[q]++
		}
	}
	return s[0] / float64(k[0]), s[1] / float64(k[1]), s[2] / float64(k[2])
}

// reportStep writes the subject's HTML report.
func (r *subjectRun) reportStep() *step {
	c := &r.cfg.Config
	var in []string
	for _, run := range c.Runs {
		in = append(in, c.RawPath(r.sub, run), c.filtPath(r.sub, run), c.eventsPath(r.sub, run))
	}
	in = append(in, c.epochsPath(r.sub), c.invPath(r.sub), c.ParcelsPath(r.sub), c.WindowRDMPath(r.sub))
	if c.Maxwell.Enabled {
		in = append(in, c.sssPath(r.sub, c.Runs[0])) // the PSD after Maxwell filtering
	}
	out := c.ReportPath(r.sub)
	return &step{Stage: "report", Label: "report", Algo: algoReport, Inputs: in, Outputs: []string{out},
		Params: c.Report,
		Run: func(ctx context.Context, e *env) error {
			return r.writeReport(ctx, e, in, out)
		}}
}
