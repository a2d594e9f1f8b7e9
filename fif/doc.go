// Package fif is the object level of megflow's FIF support: measurement
// info (channels, transforms, digitization, projectors, compensation,
// processing history including MaxFilter's records, HPI, subject), raw
// recordings (read in any time range and channel subset without loading the
// whole file, calibrated to SI units, split files, MaxShield), events,
// evoked responses, noise covariances and coordinate transforms — read and
// written so that MNE-Python reads megflow's files and megflow reads
// MNE-Python's and Elekta/MEGIN's.
//
// The byte level lives in package fif/tag and the file level (directory,
// blocks, the atomic writer) in package fif/tree. Values are SI units and
// float64; float32 fields of the format are widened exactly.
package fif
