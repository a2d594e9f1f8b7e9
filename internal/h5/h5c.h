// Small C helpers for package h5: things cgo cannot express directly (the
// predefined type ids are macros over global variables), version-dependent
// calls, and error-stack handling. Everything else is called from Go.

#ifndef MEGFLOW_H5C_H
#define MEGFLOW_H5C_H

#include <stdlib.h>
#include <hdf5.h>

// Type codes for mf_type.
enum {
	MF_NATIVE_DOUBLE = 0,
	MF_NATIVE_FLOAT,
	MF_NATIVE_INT64,
	MF_NATIVE_UINT64,
	MF_NATIVE_INT32,
	MF_NATIVE_UINT8,
	MF_F64LE,
	MF_F32LE,
	MF_I64LE,
	MF_I32LE,
	MF_U8LE,
	MF_C_S1
};

// mf_type returns a predefined (never to be closed) datatype id, or -1.
hid_t mf_type(int code);

// mf_quiet turns off automatic error-stack printing for the calling thread.
void mf_quiet(void);

// mf_errmsg writes a one-line summary of the calling thread's error stack
// into buf (outermost and innermost descriptions) and clears the stack.
// It returns the number of stack entries.
int mf_errmsg(char *buf, size_t len);

// mf_str_type returns a new string datatype: variable-length when size is 0,
// otherwise fixed-length of size bytes with NUL padding; cset is
// H5T_CSET_ASCII or H5T_CSET_UTF8. The caller closes it.
hid_t mf_str_type(size_t size, int cset);

// mf_reclaim frees the variable-length data H5Dread/H5Aread allocated.
herr_t mf_reclaim(hid_t type, hid_t space, void *buf);

// mf_fapl returns a new file-access property list: strong close degree and,
// where the library supports it, file locking that is skipped on file
// systems without lock support. The caller closes it.
hid_t mf_fapl(void);

// mf_lcpl returns a new link-creation property list that creates missing
// intermediate groups and marks link names as UTF-8.
hid_t mf_lcpl(void);

// mf_acpl returns a new attribute-creation property list marking the
// attribute name as UTF-8.
hid_t mf_acpl(void);

// mf_count_attrs returns the number of attributes of obj, or -1.
long long mf_count_attrs(hid_t obj);

// mf_fopen opens name read-only (mf_fapl settings); mf_fcreate creates or
// truncates name for writing.
hid_t mf_fopen(const char *name);
hid_t mf_fcreate(const char *name);

// mf_dcpl and mf_gcpl return new dataset / group creation property lists
// with object modification times off, so that identical content gives
// identical files (as h5py does by default).
hid_t mf_dcpl(void);
hid_t mf_gcpl(void);

#endif
