// Package rsa computes representational dissimilarity matrices (RDMs) from
// plain arrays and writes them to HDF5 in rsatoolbox's layout. It knows
// nothing of MEG: patterns are rows of matrices, parcels are lists of
// column (source) indices.
//
// # Dissimilarities
//
// Correlation is 1 − Pearson r between two patterns (scipy's
// pdist(X, 'correlation')); Euclidean is the Euclidean distance. An RDM of
// n patterns is stored condensed: the NPairs(n) = n(n−1)/2 values of the
// upper triangle i<j, row-major — scipy's pdist/squareform order
// (PairIndex). Every RDM is a normalized Gram matrix: the patterns are
// centred and scaled to unit norm (correlation) and the upper triangle of
// Z Zᵀ is computed with a blocked kernel — an AVX2/FMA assembly kernel of
// 8×4 tiles on amd64 CPUs that have it (build tag purego disables it),
// 4×4 register tiles in Go elsewhere — written straight into condensed
// order.
//
// # Methods
//
//   - WindowRDMs, method (i): one RDM per parcel from stimulus × source
//     patterns (WindowMean averages source estimates over a window).
//   - TimeRDMs, method (ii): one RDM per parcel and selected time sample
//     (optionally averaged over a sliding window of samples), streamed to
//     a callback because the full set is large (450 parcels × 220 samples ×
//     450 stimuli is 10¹⁰ values).
//   - Method (ii′), the parcel time course inside a window, is RDM on the
//     stimulus × sample matrix of a parcel time course.
//
// CrossnobisRDM gives the cross-validated Mahalanobis distance over runs
// of noise-whitened patterns (not yet offered by the rdm command, whose
// source estimates carry no runs).
//
// Groups, SortedGroups and Average average epochs per condition/stimulus.
// Work is spread over goroutines per parcel (per parcel × time sample for
// TimeRDMs).
//
// # HDF5 layout
//
// One file per RDM set, opened by rsatoolbox.rdm.load_rdm(path) (that is,
// rsatoolbox.io.hdf5.read_dict_hdf5 + rsatoolbox.rdm.rdms.rdms_from_dict):
//
//	/                          attrs: dissimilarity_measure (variable-length UTF-8
//	                           str, e.g. "correlation"), megflow_version, created
//	                           (RFC 3339 UTC), plus caller attributes (config,
//	                           inputs), all variable-length UTF-8 strings
//	/dissimilarities           float32 (or float64) n_rdms × n_pairs, condensed
//	                           upper triangle in scipy order; chunked, shuffle,
//	                           gzip 1
//	/descriptors/              group; whole-set descriptors as string attributes
//	                           (e.g. parcellation, subject, method)
//	/rdm_descriptors/roi       fixed-length ASCII ('S'), parcel name per RDM
//	/rdm_descriptors/time      float64 seconds per RDM (window centre for method i)
//	/rdm_descriptors/index     int64 0 … n_rdms−1
//	/pattern_descriptors/condition  fixed-length ASCII, e.g. "face/famous/first"
//	/pattern_descriptors/event_id   int64
//	/pattern_descriptors/trial      int64 (epoch index, or −1 for averages)
//	/pattern_descriptors/index      int64 0 … n_patterns−1
//
// Time-resolved sets put every (parcel, time) pair in its own row, parcel
// major: row = parcel·n_times + time index, with roi and time repeated.
//
// The choices avoid rsatoolbox's traps: a fixed-length string attribute
// for the measure would load as bytes (so it is variable-length UTF-8); a
// variable-length string dataset inside a descriptor group would load as
// bytes (so descriptor strings are fixed-length 'S' datasets, which
// rsatoolbox converts to str); a string attribute inside rdm_descriptors or
// pattern_descriptors would be split into characters (so there are none:
// only datasets).
package rsa
