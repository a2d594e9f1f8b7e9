#include <stdio.h>
#include <string.h>
#include "h5c.h"

// mf_close_plist closes a property list without losing the error stack of
// a call that just failed (every API call clears the stack on entry).
static void mf_close_plist(hid_t p) {
	hid_t st = H5Eget_current_stack();
	H5Pclose(p);
	if (st >= 0) {
		H5Eset_current_stack(st);
	}
}

hid_t mf_type(int code) {
	switch (code) {
	case MF_NATIVE_DOUBLE: return H5T_NATIVE_DOUBLE;
	case MF_NATIVE_FLOAT:  return H5T_NATIVE_FLOAT;
	case MF_NATIVE_INT64:  return H5T_NATIVE_INT64;
	case MF_NATIVE_UINT64: return H5T_NATIVE_UINT64;
	case MF_NATIVE_INT32:  return H5T_NATIVE_INT32;
	case MF_NATIVE_UINT8:  return H5T_NATIVE_UINT8;
	case MF_F64LE:         return H5T_IEEE_F64LE;
	case MF_F32LE:         return H5T_IEEE_F32LE;
	case MF_I64LE:         return H5T_STD_I64LE;
	case MF_I32LE:         return H5T_STD_I32LE;
	case MF_U8LE:          return H5T_STD_U8LE;
	case MF_C_S1:          return H5T_C_S1;
	}
	return -1;
}

void mf_quiet(void) {
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct {
	char outer[256];
	char inner[256];
	int n;
} mf_walk_data;

static herr_t mf_walk_cb(unsigned n, const H5E_error2_t *e, void *client) {
	mf_walk_data *d = (mf_walk_data *)client;
	const char *desc = (e != NULL && e->desc != NULL) ? e->desc : "";
	(void)n;
	if (d->n == 0) {
		snprintf(d->outer, sizeof d->outer, "%s", desc);
	}
	snprintf(d->inner, sizeof d->inner, "%s", desc);
	d->n++;
	return 0;
}

int mf_errmsg(char *buf, size_t len) {
	mf_walk_data d;
	memset(&d, 0, sizeof d);
	if (len > 0) {
		buf[0] = '\0';
	}
	// Downward: from the API function to where the error was detected.
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, mf_walk_cb, &d);
	H5Eclear2(H5E_DEFAULT);
	if (len == 0 || d.n == 0) {
		return d.n;
	}
	if (d.n == 1 || strcmp(d.outer, d.inner) == 0) {
		snprintf(buf, len, "%s", d.outer);
	} else {
		snprintf(buf, len, "%s: %s", d.outer, d.inner);
	}
	return d.n;
}

hid_t mf_str_type(size_t size, int cset) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) {
		return -1;
	}
	if (H5Tset_size(t, size == 0 ? H5T_VARIABLE : size) < 0 ||
	    H5Tset_cset(t, (H5T_cset_t)cset) < 0 ||
	    (size != 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
		hid_t st = H5Eget_current_stack();
		H5Tclose(t);
		if (st >= 0) {
			H5Eset_current_stack(st);
		}
		return -1;
	}
	return t;
}

herr_t mf_reclaim(hid_t type, hid_t space, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
	return H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
	return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
}

hid_t mf_fapl(void) {
	hid_t p = H5Pcreate(H5P_FILE_ACCESS);
	if (p < 0) {
		return -1;
	}
	if (H5Pset_fclose_degree(p, H5F_CLOSE_STRONG) < 0) {
		mf_close_plist(p);
		return -1;
	}
#if (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0)) || H5_VERSION_GE(1, 12, 1)
	// Lock as usual, but do not fail on file systems without flock support.
	if (H5Pset_file_locking(p, 1, 1) < 0) {
		mf_close_plist(p);
		return -1;
	}
#endif
	return p;
}

hid_t mf_lcpl(void) {
	hid_t p = H5Pcreate(H5P_LINK_CREATE);
	if (p < 0) {
		return -1;
	}
	if (H5Pset_create_intermediate_group(p, 1) < 0 ||
	    H5Pset_char_encoding(p, H5T_CSET_UTF8) < 0) {
		mf_close_plist(p);
		return -1;
	}
	return p;
}

hid_t mf_acpl(void) {
	hid_t p = H5Pcreate(H5P_ATTRIBUTE_CREATE);
	if (p < 0) {
		return -1;
	}
	if (H5Pset_char_encoding(p, H5T_CSET_UTF8) < 0) {
		mf_close_plist(p);
		return -1;
	}
	return p;
}

static herr_t mf_count_cb(hid_t loc, const char *name, const H5A_info_t *info, void *client) {
	(void)loc;
	(void)name;
	(void)info;
	(*(long long *)client)++;
	return 0;
}

long long mf_count_attrs(hid_t obj) {
	long long n = 0;
	hsize_t idx = 0;
	if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, mf_count_cb, &n) < 0) {
		return -1;
	}
	return n;
}

hid_t mf_fopen(const char *name) {
	hid_t fapl = mf_fapl();
	hid_t f;
	if (fapl < 0) {
		return -1;
	}
	f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
	mf_close_plist(fapl);
	return f;
}

hid_t mf_fcreate(const char *name) {
	hid_t fapl = mf_fapl();
	hid_t f;
	if (fapl < 0) {
		return -1;
	}
	f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	mf_close_plist(fapl);
	return f;
}

hid_t mf_dcpl(void) {
	hid_t p = H5Pcreate(H5P_DATASET_CREATE);
	if (p < 0) {
		return -1;
	}
	if (H5Pset_obj_track_times(p, 0) < 0) {
		mf_close_plist(p);
		return -1;
	}
	return p;
}

hid_t mf_gcpl(void) {
	hid_t p = H5Pcreate(H5P_GROUP_CREATE);
	if (p < 0) {
		return -1;
	}
	if (H5Pset_obj_track_times(p, 0) < 0) {
		mf_close_plist(p);
		return -1;
	}
	return p;
}
