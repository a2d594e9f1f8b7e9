package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
)

// newRun prepares the generator of run r: its trials, artefact times,
// high-bit trigger segments and external-field topographies.
func (st *study) newRun(r int, info *fif.Info) (*runSource, error) {
	o := st.opt
	sf := o.SFreq
	rng := stream(o.Seed, 100+uint64(r))
	rs := &runSource{
		info:      info,
		firstSamp: int64(math.Round(firstSampSecs * sf)),
		seed:      [2]uint64{o.Seed, 0x6e6f697365000000 + uint64(r)},
		comps:     st.comps,
		bnTopo:    st.bnTopo,
		bnPhi:     math.Exp(-2 * math.Pi * brainNoiseHz / sf),
		flat:      info.ChIndex(flatBad),
		noisy:     info.ChIndex(noisyBad),
		iEOGH:     info.ChIndex("EOG061"),
		iEOGV:     info.ChIndex("EOG062"),
		iECG:      info.ChIndex("ECG063"),
		iSTI:      info.ChIndex("STI101"),
	}
	for ti, t := range st.trials {
		if t.run == r {
			rs.trials = append(rs.trials, t)
			rs.topo = append(rs.topo, st.topo[ti])
		}
	}
	if len(rs.trials) == 0 {
		return nil, fmt.Errorf("simulate: run %d has no trials", r+1)
	}
	last := rs.trials[len(rs.trials)-1]
	dur := last.onset + epochEnd + tailSeconds
	if o.Duration > 0 {
		dur = o.Duration
	}
	rs.nTimes = int64(math.Round(dur * sf))
	for i, c := range info.Chs {
		if c.Kind == fif.KindMEG {
			rs.nMEG = i + 1
		}
	}
	if rs.nMEG != len(st.mag) || min(rs.flat, rs.noisy, rs.iEOGH, rs.iEOGV, rs.iECG, rs.iSTI) < 0 {
		return nil, fmt.Errorf("simulate: internal error: unexpected channel layout")
	}
	rs.whiteSD = make([]float64, len(info.Chs))
	for i := range rs.nMEG {
		rs.whiteSD[i] = whiteGrad
		if st.mag[i] {
			rs.whiteSD[i] = whiteMag
		}
	}
	rs.whiteSD[rs.noisy] *= noisyFactor
	rs.whiteSD[rs.iEOGH], rs.whiteSD[rs.iEOGV], rs.whiteSD[rs.iECG] = whiteBio, whiteBio, whiteBio

	sens := headSensors(info)
	for f, peak := range [2]float64{line50FT, line100FT} {
		topo := externalTopo(rng, sens, peak)
		ph := 2 * math.Pi * rng.Float64()
		c, s := make([]float64, len(topo)), make([]float64, len(topo))
		for i, v := range topo {
			c[i], s[i] = v*math.Cos(ph), -v*math.Sin(ph)
		}
		rs.line[f] = [2][]float64{c, s}
	}
	for range 3 {
		rs.drift = append(rs.drift, externalTopo(rng, sens, driftFT/math.Sqrt(3)))
		rs.driftF = append(rs.driftF, 0.02+0.1*rng.Float64())
		rs.driftP = append(rs.driftP, 2*math.Pi*rng.Float64())
	}
	eyes := []geom.Vec3{{-0.032, 0.075, -0.01}, {0.032, 0.075, -0.01}}
	rs.blink = dipolesTopo(sens, eyes, geom.Vec3{0, 0.4, 1}, blinkFT)
	rs.heart = dipolesTopo(sens, []geom.Vec3{{0.03, 0.04, -0.30}}, geom.Vec3{0.3, -0.2, 1}, heartFT)
	for t := 0.5 + rng.ExpFloat64()/blinkRate; t < dur-blinkDur; t += 0.5 + rng.ExpFloat64()/blinkRate {
		rs.blinks = append(rs.blinks, int64(t*sf))
	}
	for t := heartRR * rng.Float64(); t < dur; t += heartRR * (1 + 0.05*rng.NormFloat64()) {
		rs.beats = append(rs.beats, int64(t*sf))
	}
	// High bits on STI101: every other segment starts a little before a
	// trigger and overlaps it; the others fall between triggers.
	nHigh := 2 + len(rs.trials)/10
	step := max(1, len(rs.trials)/nHigh)
	for i := range nHigh {
		ti := min(len(rs.trials)-1, i*step+rng.IntN(step))
		tr := rs.trials[ti]
		n := int64(math.Round(highBitLen * sf * (0.6 + 0.8*rng.Float64())))
		start := tr.sample - int64(5+rng.IntN(15))
		if i%2 == 1 {
			start = tr.sample + int64(math.Round(0.6*sf))
		}
		v := int32(4096)
		if i%3 == 2 {
			v = 256
		}
		rs.highs = append(rs.highs, highBit{Start: start, Stop: start + n, Value: v})
	}
	return rs, nil
}

// eventsTSV is the BIDS events.tsv of a run.
func eventsTSV(rs *runSource) []byte {
	var b bytes.Buffer
	b.WriteString("onset\tduration\ttrial_type\tvalue\tsample\n")
	for _, t := range rs.trials {
		fmt.Fprintf(&b, "%.6f\t%.3f\t%s/%s\t%d\t%d\n", t.onset, pulseSeconds, conditions[t.cond], repeatNames[t.rep], t.code, t.sample)
	}
	return b.Bytes()
}

// bidsFiles writes dataset_description.json, participants.tsv and the
// MEG sidecar.
func bidsFiles(root string, o Options) ([]string, error) {
	desc := map[string]any{
		"Name":               "megflow simulated face-recognition study",
		"BIDSVersion":        "1.8.0",
		"DatasetType":        "raw",
		"License":            "CC0",
		"Authors":            []string{"megflow simulate"},
		"GeneratedBy":        []map[string]any{{"Name": "megflow simulate", "Description": fmt.Sprintf("seed %d, %d trials, %d runs, %g Hz", o.Seed, o.Trials, o.Runs, o.SFreq)}},
		"HowToAcknowledge":   "Synthetic data modelled on Wakeman & Henson (2015), ds000117.",
		"ReferencesAndLinks": []string{"https://openneuro.org/datasets/ds000117"},
	}
	dj, _ := json.MarshalIndent(desc, "", "  ")
	side := map[string]any{
		"TaskName":                   "facerecognition",
		"SamplingFrequency":          o.SFreq,
		"PowerLineFrequency":         50,
		"DewarPosition":              "upright",
		"SoftwareFilters":            "n/a",
		"Manufacturer":               "Elekta (simulated by megflow)",
		"ManufacturersModelName":     "Neuromag-306 (simulated)",
		"MEGChannelCount":            306,
		"EOGChannelCount":            2,
		"ECGChannelCount":            1,
		"TriggerChannelCount":        1,
		"DigitizedHeadPoints":        true,
		"DigitizedLandmarks":         true,
		"ContinuousHeadLocalization": false,
	}
	sj, _ := json.MarshalIndent(side, "", "  ")
	files := map[string][]byte{
		filepath.Join(root, "dataset_description.json"):                                                  append(dj, '\n'),
		filepath.Join(root, "participants.tsv"):                                                          []byte("participant_id\tage\tsex\thand\n" + Subject + "\tn/a\tn/a\tn/a\n"),
		filepath.Join(root, Subject, "ses-meg", "meg", Subject+"_ses-meg_task-facerecognition_meg.json"): append(sj, '\n'),
	}
	var out []string
	for _, p := range []string{
		filepath.Join(root, "dataset_description.json"),
		filepath.Join(root, "participants.tsv"),
		filepath.Join(root, Subject, "ses-meg", "meg", Subject+"_ses-meg_task-facerecognition_meg.json"),
	} {
		if err := writeFileAtomic(p, files[p]); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// writeFileAtomic writes b to a temporary file next to path and renames
// it into place.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("simulate: write %s: %w", path, err)
	}
	return nil
}
