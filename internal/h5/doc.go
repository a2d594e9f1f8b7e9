// Package h5 is megflow's small, safe layer over the HDF5 C library
// (libhdf5, through cgo). It reads the golden reference files that h5py
// writes, and writes files (megflow convert output, RDMs for rsatoolbox)
// that h5py and rsatoolbox read back with the expected Python types.
//
// # Why not gonum.org/v1/hdf5 directly
//
// The gonum wrapper (pinned at v0.0.0-20210714002203-8c5d23bc6946) is thin
// and has gaps that bite exactly here:
//
//   - Dataset.Read uses the dataset's stored type as the memory type, so
//     reading a float32 or big-endian dataset into a []float64 returns
//     garbage and no error; there is no conversion.
//   - Writing a []string crashes the process inside C (SIGSEGV, which Go
//     cannot recover).
//   - There is no shuffle filter, and no way to ask for variable-length
//     UTF-8 strings, which h5py needs to hand back a Python str instead of
//     bytes.
//   - Errors are bare "code -1" values without the file or object, and
//     error printing is turned off only on the OS thread that ran its init:
//     with a thread-safe libhdf5 (Debian's is) the error stack is per
//     thread, so failures on other threads still print to stderr.
//
// This package calls libhdf5 directly. Every call runs under one lock, on
// one locked OS thread, with automatic error printing off for that thread;
// a failure's HDF5 error stack is read back into the returned error.
//
// # Reading
//
// Open a file with Open. ReadFloat64 converts any integer or float dataset
// (any width and byte order) to float64; ReadInt64 reads integer datasets;
// ReadStrings reads fixed-length (numpy 'S') and variable-length string
// datasets. Attributes are read with AttrString, AttrFloat64, AttrInt64,
// AttrFloat64s and AttrInt64s. Object paths look like
// "raw/facerec_sim_raw/data"; "" and "/" name the root group. Errors name
// the file and the object, for example
//
//	h5: /work/shared/golden/fif_read.h5: raw/x/data: not found
//
// and a missing object or attribute matches errors.Is(err, ErrNotFound).
//
// # Writing
//
// Create writes to a temporary file next to the target and Close renames
// it into place, so a reader never sees a half-written file; Abort, or any
// failed write followed by Close, removes the temporary file. Parent groups
// are created on demand. Numbers are stored little-endian; strings as
// variable-length UTF-8 (WriteStrings, SetAttrString) or fixed-length
// NUL-padded ASCII (WriteFixedStrings, numpy 'S'). Chunks, Shuffle and Gzip
// configure storage; shuffle always precedes deflate in the pipeline.
// Object modification times are not recorded, as in h5py. The rename
// protects against an interrupted or killed process, not against power
// loss: files are not fsynced (a sync of a large file took seconds here
// and buys nothing the pipeline needs).
//
// Data larger than memory are written in slabs: CreateFloat64 or
// CreateFloat32 makes a dataset of the full shape, WriteFloat64Slab /
// WriteFloat32Slab fill it block by block. A slab made of whole chunks
// (edge chunks included) is shuffled and deflated by Go on all cores and
// stored with H5Dwrite_chunk, outside libhdf5's single-threaded filter
// pipeline; readers see ordinary filtered chunks (chunkwrite.go). Writers
// that can should therefore write whole chunks, and ask for Gzip(1): Go's
// level 1 compresses float data nearly as well as level 4, 3× faster.
//
// # Building
//
// The package needs libhdf5 and its headers (Debian: libhdf5-dev). The cgo
// flags cover Debian's /usr/include/hdf5/serial layout and default paths;
// set CGO_CFLAGS / CGO_LDFLAGS for other locations.
package h5
