package simulate

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/megflow/megflow/internal/h5"
)

// writeTruth writes the ground truth of the study to path (HDF5).
func (st *study) writeTruth(path string) error {
	w, err := h5.Create(path)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer w.Abort()
	if err := st.fillTruth(w); err != nil {
		return fmt.Errorf("simulate: %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}

// truthWriter collects the first error of a sequence of writes.
type truthWriter struct {
	w   *h5.Writer
	err error
}

func (t *truthWriter) do(f func() error) {
	if t.err == nil {
		t.err = f()
	}
}

func (st *study) fillTruth(hw *h5.Writer) error {
	o := st.opt
	t := &truthWriter{w: hw}
	n := len(st.trials)
	nMEG := len(st.megName)
	runs := make([]int64, n)
	events := make([]int64, 0, 3*n)
	cond := make([]string, n)
	condIdx := make([]int64, n)
	codes := make([]int64, n)
	rep := make([]string, n)
	stim := make([]int64, n)
	onset := make([]float64, n)
	for i, tr := range st.trials {
		runs[i] = int64(tr.run + 1)
		events = append(events, tr.sample, 0, int64(tr.code))
		cond[i] = conditions[tr.cond]
		condIdx[i] = int64(tr.cond)
		codes[i] = int64(tr.code)
		rep[i] = repeatNames[tr.rep]
		stim[i] = int64(tr.stim)
		onset[i] = tr.onset
	}
	gz := []h5.Option{h5.Shuffle(), h5.Gzip(4)}
	t.do(func() error { return hw.WriteInt64("events", events, []int{n, 3}) })
	t.do(func() error { return hw.WriteInt64("run", runs, []int{n}) })
	t.do(func() error { return hw.WriteStrings("condition", cond) })
	t.do(func() error { return hw.WriteInt64("condition_index", condIdx, []int{n}) })
	t.do(func() error { return hw.WriteInt64("trigger_code", codes, []int{n}) })
	t.do(func() error { return hw.WriteStrings("repeat", rep) })
	t.do(func() error { return hw.WriteInt64("stimulus", stim, []int{n}) })
	t.do(func() error { return hw.WriteFloat64("onset_time", onset, []int{n}) })
	t.do(func() error {
		return hw.SetAttrString("onset_time", "note", "seconds from the first sample of the run's file")
	})
	t.do(func() error { return hw.WriteStrings("bads", []string{flatBad, noisyBad}) })
	t.do(func() error { return hw.WriteStrings("meg_ch_names", st.megName) })

	topo := make([]float64, 0, n*len(st.comps)*nMEG)
	for ti := range st.trials {
		for k := range st.comps {
			topo = append(topo, st.topo[ti][k]...)
		}
	}
	t.do(func() error { return hw.WriteFloat64("topographies", topo, []int{n, len(st.comps), nMEG}, gz...) })
	t.do(func() error {
		return hw.SetAttrString("topographies", "note", "(n_trials, n_components, 306 MEG) noise-free field at the waveform peak (T, T/m)")
	})

	for k, c := range st.comps {
		g := "components/" + c.Name
		def, _ := json.Marshal(c)
		lat := make([]float64, n)
		amp := make([]float64, n)
		for i, tr := range st.trials {
			lat[i], amp[i] = tr.latency[k], tr.amp[k]
		}
		t.do(func() error { return hw.WriteFloat64(g+"/latency", lat, []int{n}) })
		t.do(func() error { return hw.WriteFloat64(g+"/amplitude_factor", amp, []int{n}) })
		t.do(func() error { return hw.WriteStrings(g+"/labels", c.Labels) })
		t.do(func() error { return hw.SetAttrString(g, "definition", string(def)) })
		t.do(func() error { return hw.SetAttrFloat64(g, "peak", c.Peak) })
		t.do(func() error { return hw.SetAttrFloat64(g, "width", c.Width) })
		t.do(func() error {
			return hw.SetAttrString(g, "waveform", "exp(-(t - latency)^2 / (2 width^2)), t from the trigger onset (s)")
		})
		for _, r := range st.regions[k] {
			lg := g + "/" + r.label
			vert := make([]int64, len(r.vertno))
			for i, v := range r.vertno {
				vert[i] = int64(v)
			}
			mom := make([]float64, 0, n*len(vert))
			for _, m := range r.moments {
				mom = append(mom, m...)
			}
			t.do(func() error { return hw.WriteInt64(lg+"/vertno", vert, []int{len(vert)}) })
			t.do(func() error { return hw.WriteFloat64(lg+"/moments", mom, []int{n, len(vert)}, gz...) })
			t.do(func() error { return hw.SetAttrString(lg+"/moments", "units", "A*m") })
			t.do(func() error { return hw.SetAttrString(lg, "hemi", hemiNames[r.hemi]) })
			t.do(func() error { return hw.SetAttrFloat64(lg, "moment_scale_Am", r.scale) })
		}
	}

	for r, rs := range st.runs {
		g := fmt.Sprintf("runs/run-%02d", r+1)
		ev := make([]int64, 0, 3*len(rs.trials))
		for _, tr := range rs.trials {
			ev = append(ev, tr.sample, 0, int64(tr.code))
		}
		hb := make([]int64, 0, 3*len(rs.highs))
		for _, h := range rs.highs {
			hb = append(hb, h.Start, h.Stop, int64(h.Value))
		}
		line := append(append(append(append([]float64{}, rs.line[0][0]...), rs.line[0][1]...), rs.line[1][0]...), rs.line[1][1]...)
		blinks := append([]int64{}, rs.blinks...)
		beats := append([]int64{}, rs.beats...)
		for i := range blinks {
			blinks[i] += rs.firstSamp
		}
		for i := range beats {
			beats[i] += rs.firstSamp
		}
		t.do(func() error { return hw.WriteInt64(g+"/events", ev, []int{len(rs.trials), 3}) })
		t.do(func() error { return hw.WriteInt64(g+"/stim_high_bit_segments", hb, []int{len(rs.highs), 3}) })
		t.do(func() error {
			return hw.SetAttrString(g+"/stim_high_bit_segments", "note", "[start, stop) absolute samples, value added to STI101")
		})
		t.do(func() error { return hw.WriteFloat64(g+"/line_coefs", line, []int{2, 2, nMEG}) })
		t.do(func() error {
			return hw.SetAttrString(g+"/line_coefs", "note", "(50/100 Hz, cos/sin, 306): field = c cos(2 pi f t) + s sin(2 pi f t), t from the first sample (s)")
		})
		t.do(func() error { return hw.WriteInt64(g+"/blink_onsets", blinks, []int{len(blinks)}) })
		t.do(func() error { return hw.WriteInt64(g+"/heartbeat_peaks", beats, []int{len(beats)}) })
		t.do(func() error { return hw.SetAttrInt64(g, "first_samp", rs.firstSamp) })
		t.do(func() error { return hw.SetAttrInt64(g, "n_times", rs.nTimes) })
		if r < len(st.runPath) {
			t.do(func() error { return hw.SetAttrString(g, "raw_file", filepath.Base(st.runPath[r])) })
		}
	}

	white := make([]float64, nMEG)
	for i := range white {
		white[i] = whiteGrad
		if st.mag[i] {
			white[i] = whiteMag
		}
		if st.megName[i] == noisyBad {
			white[i] *= noisyFactor
		}
	}
	t.do(func() error { return hw.WriteFloat64("noise/white_sd", white, []int{nMEG}) })
	t.do(func() error { return hw.SetAttrFloat64("noise", "brain_noise_rms_mag_fT", brainNoiseFT) })
	t.do(func() error { return hw.SetAttrInt64("noise", "brain_noise_dipoles", brainNoiseN) })

	params := map[string]any{
		"seed": o.Seed, "n_trials": o.Trials, "n_runs": o.Runs, "sfreq": o.SFreq, "duration": o.Duration,
		"save_format": o.Format, "components": st.comps,
		"event_id": map[string]int{
			"famous/first": 5, "famous/immediate": 6, "famous/long": 7,
			"unfamiliar/first": 13, "unfamiliar/immediate": 14, "unfamiliar/long": 15,
			"scrambled/first": 17, "scrambled/immediate": 18, "scrambled/long": 19,
		},
		"stim_mask": 4096 + 256, "stim_mask_type": "not_and", "pulse_seconds": pulseSeconds,
		"soa": []float64{soaMin, soaMax}, "first_onset": firstOnset,
		"subject": Subject, "trans": "identity (MRI = head)",
		"forward": "megflow forward.MakeForward, sphere model, origin (0, -0.01, 0.04) m head, fixed surface-normal orientation",
		"bads":    map[string]string{flatBad: "flat (all zeros)", noisyBad: fmt.Sprintf("noisy: %gx white noise", noisyFactor)},
		"noise": map[string]any{
			"white_mag_T": whiteMag, "white_grad_T_per_m": whiteGrad, "brain_rms_mag_fT": brainNoiseFT,
			"line_50_fT": line50FT, "line_100_fT": line100FT, "drift_fT": driftFT, "blink_fT": blinkFT, "heart_fT": heartFT,
		},
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return err
	}
	rawFiles := make([]string, len(st.runPath))
	for i, p := range st.runPath {
		rawFiles[i] = filepath.Base(p)
	}
	rf, _ := json.Marshal(rawFiles)
	t.do(func() error { return hw.SetAttrString("/", "params", string(pj)) })
	t.do(func() error { return hw.SetAttrString("/", "raw_files", string(rf)) })
	t.do(func() error { return hw.SetAttrInt64("/", "seed", int64(o.Seed)) })
	t.do(func() error { return hw.SetAttrFloat64("/", "sfreq", o.SFreq) })
	t.do(func() error { return hw.SetAttrString("/", "subject", Subject) })
	t.do(func() error { return hw.SetAttrString("/", "produced_by", "megflow simulate") })
	t.do(func() error {
		return hw.SetAttrString("/", "description", "Ground truth of a megflow simulated study. Evoked source activity of trial i = sum over components c and their regions of moments[i] (A*m, surface-normal dipoles at white-surface vertices vertno) times exp(-(t - latency[i])^2/(2 width^2)), t from the trigger (events[:, 0], absolute samples).")
	})
	return t.err
}
