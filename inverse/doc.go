// Package inverse estimates noise covariances and (in later work) computes
// whitened inverse operators and MNE / dSPM / sLORETA source estimates, as
// MNE-Python does.
//
// ComputeCovariance is MNE's compute_covariance for epochs (grouped by
// condition, as package epochs' ConditionGroups provides them):
// 'empirical', 'shrunk' (the shrinkage of each channel type chosen on MNE's
// grid by 3-fold cross-validated Gaussian log-likelihood, exactly as
// scikit-learn's GridSearchCV over ShrunkCovariance does inside MNE) and
// 'diagonal_fixed', computed in MNE's working units (fT, fT/cm, µV) and, for
// rank-deficient data, in the subspace MNE keeps. The rank is estimated from
// the data (MNE's default), taken from the measurement info (the SSS
// dimension recorded by Maxwell filtering, minus the projectors) or given.
// ComputeRawCovariance does the same for continuous data such as an
// empty-room recording. The result is a fif.Cov, written with fif.WriteCov.
//
// The package depends on fif only (not on package epochs), so that the
// inverse stages can take covariances from any source.
package inverse
