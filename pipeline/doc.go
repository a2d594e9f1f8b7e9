// Package pipeline runs megflow's whole flow for a study described by one
// YAML configuration: Maxwell filtering, filtering, events, epochs and noise
// covariance per subject; source space, BEM, parcellation, forward model and
// inverse operator; dSPM (or MNE/sLORETA) source estimates of every epoch
// reduced to parcel time courses and RDMs; an HTML report.
//
// # Configuration
//
// Load reads a YAML file with viper, applies MEGFLOW_* environment variables
// and --set overrides, and rejects unknown keys with a message naming the key,
// the closest valid one and the list of valid keys. Default gives every
// default in one place; configs/wakeman_henson.yaml documents where each
// value of the published reproduction comes from.
//
// # Steps, caching and provenance
//
// Each stage of each subject (and run) is a step with input files, output
// files and parameters. Next to every output a sidecar <output>.json records
// the megflow version, the stage's parameters and their hash, the config file
// and its hash, and every input with its size, modification time and
// SHA-256; HDF5 outputs carry the same as root attributes. A step is skipped
// when its outputs exist, its parameter hash is unchanged and its inputs have
// the recorded content, so a repeated run does nothing and a changed
// parameter re-runs that stage and the ones whose inputs change because of
// it. Outputs are written to temporary names and renamed, and a sidecar is
// written only after its output: a killed run resumes where it stopped.
//
// # Scheduling and memory
//
// A step starts once the steps writing its inputs are done. Subjects run
// in parallel within memory_gb; within a subject up to Options.StepJobs
// steps run at once, at most one of them outside lightStages (those that
// hold recordings or all epochs; two Maxwell runs may share, heavyWeight),
// so the anatomy is computed beside the recordings. OpenBLAS then runs on one thread per call (the parallelism
// comes from the steps and from Go workers). Steps that pass over every
// epoch read them from the -epo.fif one at a time (epochs.Open), the
// time-resolved RDMs are computed in chunks that fit the budget, and the
// Go heap is held to 80 % of memory_gb.
//
// # Layout
//
// Inputs follow BIDS (ds000117): <bids_root>/sub-XX/ses-S/meg/
// sub-XX_ses-S_task-T_run-RR_meg.fif, FreeSurfer subjects in subjects_dir.
// Outputs go to <deriv_root>/sub-XX/: per run meg/..._proc-sss_meg.fif,
// _proc-filt_meg.fif, _eve.fif; per subject _epo.fif, _cov.fif, _src.fif,
// _bem-sol.fif, _fwd.fif, _inv.fif, the results
// sub-XX_task-T_desc-parcels_tc.h5 (data n_epochs × n_parcels × n_times,
// parcels, times, condition, event_id), _desc-window_rdm.h5 and
// _desc-time_rdm.h5 (rsatoolbox's layout, see package rsa), and
// sub-XX_report.html.
package pipeline
