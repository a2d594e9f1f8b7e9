// Package report builds the self-contained HTML report of a megflow run:
// one file with inline CSS, a table of contents, tables and figures drawn
// with gonum/plot and embedded as base64 data URIs (PNG, or SVG for
// figures made of few shapes), so that it can be mailed or archived on
// its own.
//
// The package knows nothing of megflow's pipeline: every method takes
// plain slices (spectra, channel × time arrays, source positions and
// values, condensed RDMs), so the pipeline decides what to show.
//
//	r := report.New("sub-01 — megflow report")
//	r.Section("Raw data")
//	r.KeyValues("Recording", []report.KV{{"File", "run-01_raw.fif"}, {"Sampling rate", "1100 Hz"}})
//	r.PSD("PSD before and after Maxwell filtering", freqs, panels, report.PSDOptions{})
//	r.Events("Events per condition", names, counts, report.EventsOptions{})
//	r.Butterfly("Evoked: faces", times, panels, report.ButterflyOptions{Markers: ms})
//	r.SourceMap("dSPM at the M170 peak", hemis, report.SourceMapOptions{Unit: "dSPM"})
//	r.TimeCourses("Face network", times, series, report.TimeCourseOptions{})
//	r.RDM("RDM, right fusiform", labels, condensed, report.RDMOptions{})
//	err := r.WriteFile(path) // atomic: temporary file + rename
//
// Figures are drawn as soon as they are added, from copies of their data,
// up to Report.Workers at a time (default GOMAXPROCS) in goroutines of
// their own, and only their encoded bytes are kept; the page is the same
// whatever the number of workers. A figure that cannot be drawn
// (mismatched lengths, no data) is replaced in the page by an error
// notice and reported by Err, so that a faulty input spoils one figure,
// not the report.
//
// All text is HTML-escaped (html/template). The output is deterministic
// for the same input apart from the generation time, Report.Time, which
// the caller may set (or zero to omit).
//
// Figure kinds:
//
//   - PSD: spectra in dB per channel type, mean over channels with the
//     min–max range shaded, one curve per stage (before/after Maxwell);
//     preprocess.PSDWelch computes the spectra as MNE does.
//   - Events: bar chart of counts per condition.
//   - Butterfly: every channel overlaid per channel type, with the RMS
//     over channels and markers (M100, M170). Long traces are reduced to
//     their min/max envelope per pixel column.
//   - TimeCourses: named series with shaded windows and markers.
//   - SourceMap: orthographic views (lateral, medial, ventral, …) of each
//     hemisphere's sources, drawn as depth-sorted discs coloured by value
//     (moreland maps), with a colour bar.
//   - RDM, RDM32, RDMMatrix: heat map with a colour bar and labels or
//     category ticks.
package report
