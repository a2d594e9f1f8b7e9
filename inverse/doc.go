// Package inverse estimates noise covariances, computes whitened
// minimum-norm inverse operators and applies them (MNE, dSPM, sLORETA), as
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
// MakeOperator is MNE's make_inverse_operator: the channels of the data
// info that are good and present in the forward solution and covariance
// (SelectChannels; a good channel missing from either is an error), the
// whitener of the projected covariance with MNE's rank estimate, eigen-
// decomposed per channel group (PrepareWhitener), the depth prior (largest
// eigenvalue of each source's 3 x 3 gradiometer Gram matrix, limited at
// 10², to the power 0.8), the loose (or fixed) orientation prior on a
// surface-normal frame, the source covariance scaled to
// trace(W G R Gᵀ Wᵀ) = rank, and the SVD of the whitened, weighted gain.
// The forward solution is a plain Forward (ForwardFromFIF adapts a
// fif.Forward). Operator.Prepare assembles one kernel for a method, λ²,
// pick_ori (none: norm of the three components; normal; vector, in head
// x/y/z) and nave (MNE's prepare_inverse_operator and _assemble_kernel);
// Kernel.Apply and ApplyEpochs apply it with blocked GEMMs through gonum's
// blas64 interface (a registered BLAS backend is used), handing each
// epoch's estimate to an Estimates sink as soon as it is computed, so only
// one estimate is ever held; H5Estimates streams them to HDF5. pick_ori
// normal on a free-orientation (loose = 1) operator takes the component
// along the surface normal of each source, as MNE does for surface source
// spaces (other source spaces are refused). Operator.ToFIF and
// OperatorFromFIF convert to and from the -inv.fif record of
// fif.WriteInverse / fif.ReadInverse, which MNE-Python reads and writes.
//
// ApplyRaw is MNE's apply_inverse_raw on raw.crop(tmin, tmax) (RawSpan):
// it reads a fif.RawSource block by block (only the kernel's channels when
// the source can pick them, as fif.Raw can), applies the kernel, with the
// operator's projectors, and hands each block's estimate to a
// BlockEstimates sink (on another goroutine, while the next block is read
// and estimated, with RawApplyOptions.Overlap), so that memory is bounded
// by the block; block sizes do not change the estimates. H5RawEstimates
// writes them in the layout of H5Estimates with one epoch, chunked along
// time.
//
// StcWriter, WriteStc and ReadStc write and read MNE's .stc pair
// (STEM-lh.stc, STEM-rh.stc) of a single surface estimate, which
// mne.read_source_estimate reads; the writer takes the estimate whole or
// block by block (the format is time-major) and renames both files into
// place only once both are complete.
//
// The package depends on fif only (not on package epochs or forward), so
// that the inverse stages can take covariances and forward solutions from
// any source.
package inverse
