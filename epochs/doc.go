// Package epochs cuts epochs from raw recordings around events, as
// MNE-Python's mne.Epochs does, and averages them into evoked responses.
//
// New reads each epoch's window from a fif.RawSource (a *fif.Raw, or a
// filtered or projected view of one from package preprocess): neighbouring
// windows are read together, so no sample is read twice and memory holds
// only the epochs and a few seconds of raw data. Each epoch is then
//
//   - baseline corrected on its undecimated samples (Baseline; MNE's
//     default is BaselineNoneZero, the mean from the start to 0 s),
//   - decimated with MNE's rule (the first kept sample is the one at time 0
//     modulo Decim, plus DecimOffset; a warning is logged when the
//     recording's low-pass is above a third of the new sampling rate),
//   - projected by the SSP projectors (unless NoProj), and
//   - tested against peak-to-peak Reject and Flat thresholds per channel
//     type within [RejectTmin, RejectTmax].
//
// Times follow MNE's sample rounding (round(tmin·sfreq) to
// round(tmax·sfreq), half to even), events may be shifted by a trigger
// delay (Shift), and the drop log is MNE's: one entry per event, with
// 'IGNORED' for events not in the event id, 'NO_DATA' for windows starting
// before the recording, 'TOO_SHORT' for windows running past its end, and
// the names of the offending channels for rejected epochs.
//
// Conditions are MNE's hierarchical event ids: names such as
// "face/famous/first" are selected by any of their tags (Select("face"),
// AverageConditions("famous")). Runs of one subject are joined with
// Concatenate (events shifted as mne.concatenate_epochs does), condition
// counts equalized with EqualizeEventCounts (MNE's 'mintime' method).
//
// Write and Read handle -epo.fif files that mne.read_epochs reads (data,
// events, event_id, selection, drop log, baseline, rejection parameters and
// measurement info); averages are written with fif.WriteEvokeds. The noise
// covariance of epochs is estimated by package inverse from
// ConditionGroups.
package epochs
