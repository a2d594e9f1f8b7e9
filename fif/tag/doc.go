// Package tag is the byte level of the FIF format: the 16-byte tag header,
// the numeric codes of tag kinds, data types and blocks, and the decoding and
// encoding of every FIFF data type that Neuromag/MEGIN and MNE files use
// (integers, floats, strings, ids, directory entries, channel info,
// coordinate transforms, digitizer points, dense and sparse matrices, and the
// old packed 16-bit format).
//
// FIF is big-endian throughout. A tag is a header (kind, type, size, next)
// followed by size bytes of payload. This package knows nothing about files
// or blocks (see package tree) nor about what a tag means in a measurement
// (see package fif); it turns payload bytes into Go values and back, and it
// never trusts a size field: every decoder checks the payload length first
// and returns an error instead of panicking or over-allocating.
package tag
