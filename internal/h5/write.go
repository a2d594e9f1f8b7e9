package h5

/*
#include "h5c.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// Writer writes a new HDF5 file. Everything goes to a temporary file next to
// the target (path + ".tmp-<pid>-<n>"); Close renames it into place, so the
// target either does not change or is complete. Once a write has failed,
// later writes are refused, and Close returns that first error and removes
// the temporary file. Typical use:
//
//	w, err := h5.Create(path)
//	if err != nil { return err }
//	defer w.Abort() // no-op after a successful Close
//	... w.WriteFloat64(...) ...
//	return w.Close()
type Writer struct {
	path string
	tmp  string
	id   C.hid_t
	err  error // first failure
	done bool  // Close or Abort was called
	open []*Dataset
}

var tmpSeq atomic.Int64

// Create starts writing a new HDF5 file that will replace path on Close.
func Create(path string) (*Writer, error) {
	w := &Writer{
		path: path,
		tmp:  fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), tmpSeq.Add(1)),
		id:   -1,
	}
	err := lib(func() error {
		p := C.CString(w.tmp)
		defer C.free(unsafe.Pointer(p))
		id := C.mf_fcreate(p)
		if id < 0 {
			return hdfErr("cannot create " + w.tmp)
		}
		w.id = id
		return nil
	})
	if err != nil {
		os.Remove(w.tmp)
		return nil, wrap(path, "", "", err)
	}
	return w, nil
}

// Path returns the target file name given to Create.
func (w *Writer) Path() string { return w.path }

// Close writes everything out, closes the file and renames it to the target
// path. If any earlier write failed, or closing fails, the temporary file is
// removed and the error returned. Calling Close twice is an error.
func (w *Writer) Close() error {
	var first error
	var closed bool
	err := lib(func() error {
		if w.done {
			return errors.New("writer already closed or aborted")
		}
		w.done = true
		first = w.err
		for _, d := range w.open {
			if err := d.closeLocked(); err != nil && first == nil {
				first = err
			}
		}
		if C.H5Fflush(w.id, C.H5F_SCOPE_GLOBAL) < 0 && first == nil {
			first = wrap(w.path, "", "", hdfErr("cannot flush"))
		}
		if C.H5Fclose(w.id) < 0 && first == nil {
			first = wrap(w.path, "", "", hdfErr("cannot close"))
		}
		w.id = -1
		closed = true
		return nil
	})
	if !closed {
		return wrap(w.path, "", "", err)
	}
	if first == nil {
		if err := os.Rename(w.tmp, w.path); err != nil {
			first = wrap(w.path, "", "", err)
		}
	}
	if first != nil {
		os.Remove(w.tmp)
	}
	return first
}

// Abort discards the file: it closes it and removes the temporary file,
// leaving the target path untouched. It does nothing after Close or Abort.
func (w *Writer) Abort() {
	_ = lib(func() error {
		if w.done {
			return nil
		}
		w.done = true
		for _, d := range w.open {
			d.closeLocked()
		}
		C.H5Fclose(w.id)
		w.id = -1
		os.Remove(w.tmp)
		return nil
	})
}

// do runs fn under the library lock unless the writer is closed or has
// failed; a failure of fn becomes the writer's sticky error.
func (w *Writer) do(obj, attr string, fn func() error) error {
	return lib(func() error {
		if w.done {
			return wrap(w.path, obj, attr, errors.New("writer already closed or aborted"))
		}
		if w.err != nil {
			return wrap(w.path, obj, attr, fmt.Errorf("not written: an earlier write failed: %w", w.err))
		}
		if err := fn(); err != nil {
			w.err = wrap(w.path, obj, attr, err)
			return w.err
		}
		return nil
	})
}

// Option configures the storage of a dataset.
type Option func(*dsetOpts)

type dsetOpts struct {
	chunks  []int
	gzip    int // -1: none
	shuffle bool
}

// Chunks sets the chunk shape (one entry per dimension; entries larger than
// the dataset are reduced to its size). Gzip or Shuffle without Chunks pick
// chunks of at most 1 MiB.
func Chunks(dims ...int) Option {
	d := append([]int(nil), dims...)
	return func(o *dsetOpts) { o.chunks = d }
}

// Gzip compresses with deflate at level 0-9 (h5py's compression="gzip").
func Gzip(level int) Option {
	return func(o *dsetOpts) { o.gzip = level }
}

// Shuffle adds the byte-shuffle filter, placed before deflate in the
// pipeline (h5py's shuffle=True).
func Shuffle() Option {
	return func(o *dsetOpts) { o.shuffle = true }
}

// WriteFloat64 writes data as a float64 dataset of shape dims (row-major).
// dims == nil means one dimension of len(data); a non-nil empty dims
// writes a scalar. Missing parent groups are created. Chunking and filters
// are not applied to scalar or zero-size datasets (HDF5 cannot chunk them).
func (w *Writer) WriteFloat64(name string, data []float64, dims []int, opts ...Option) error {
	return writeNumeric(w, name, data, dims, C.MF_NATIVE_DOUBLE, C.MF_F64LE, 8, opts)
}

// WriteFloat32 writes data as a float32 dataset; see WriteFloat64.
func (w *Writer) WriteFloat32(name string, data []float32, dims []int, opts ...Option) error {
	return writeNumeric(w, name, data, dims, C.MF_NATIVE_FLOAT, C.MF_F32LE, 4, opts)
}

// WriteInt64 writes data as an int64 dataset; see WriteFloat64.
func (w *Writer) WriteInt64(name string, data []int64, dims []int, opts ...Option) error {
	return writeNumeric(w, name, data, dims, C.MF_NATIVE_INT64, C.MF_I64LE, 8, opts)
}

// WriteInt32 writes data as an int32 dataset; see WriteFloat64.
func (w *Writer) WriteInt32(name string, data []int32, dims []int, opts ...Option) error {
	return writeNumeric(w, name, data, dims, C.MF_NATIVE_INT32, C.MF_I32LE, 4, opts)
}

// WriteUint8 writes data as a uint8 dataset (also used for booleans); see
// WriteFloat64.
func (w *Writer) WriteUint8(name string, data []uint8, dims []int, opts ...Option) error {
	return writeNumeric(w, name, data, dims, C.MF_NATIVE_UINT8, C.MF_U8LE, 1, opts)
}

func writeNumeric[T float64 | float32 | int64 | int32 | uint8](w *Writer, name string, data []T, dims []int, mem, file C.int, size int, opts []Option) error {
	obj := cleanPath(name)
	return w.do(obj, "", func() error {
		shape, err := checkDims(dims, len(data))
		if err != nil {
			return err
		}
		d, err := w.createDataset(obj, C.mf_type(file), shape, size, opts)
		if err != nil {
			return err
		}
		var werr error
		if len(data) > 0 && C.H5Dwrite(d, C.mf_type(mem), C.H5S_ALL, C.H5S_ALL, C.H5P_DEFAULT, unsafe.Pointer(&data[0])) < 0 {
			werr = hdfErr("cannot write data")
		}
		return closeDataset(d, werr)
	})
}

// WriteStrings writes s as a one-dimensional variable-length UTF-8 string
// dataset (h5py reads it with .asstr()). Strings must be valid UTF-8
// without NUL bytes.
func (w *Writer) WriteStrings(name string, s []string, opts ...Option) error {
	obj := cleanPath(name)
	return w.do(obj, "", func() error {
		for i, v := range s {
			if err := checkString(v, false); err != nil {
				return fmt.Errorf("string %d: %w", i, err)
			}
		}
		t := C.mf_str_type(0, C.H5T_CSET_UTF8)
		if t < 0 {
			return hdfErr("cannot make string type")
		}
		defer C.H5Tclose(t)
		d, err := w.createDataset(obj, t, []int{len(s)}, 16, opts)
		if err != nil {
			return err
		}
		var werr error
		if len(s) > 0 {
			ptrs := C.calloc(C.size_t(len(s)), C.size_t(unsafe.Sizeof(uintptr(0))))
			if ptrs == nil {
				return closeDataset(d, errors.New("out of memory"))
			}
			cs := unsafe.Slice((**C.char)(ptrs), len(s))
			for i, v := range s {
				cs[i] = C.CString(v)
			}
			if C.H5Dwrite(d, t, C.H5S_ALL, C.H5S_ALL, C.H5P_DEFAULT, ptrs) < 0 {
				werr = hdfErr("cannot write strings")
			}
			for _, p := range cs {
				C.free(unsafe.Pointer(p))
			}
			C.free(ptrs)
		}
		return closeDataset(d, werr)
	})
}

// WriteFixedStrings writes s as a one-dimensional fixed-length ASCII string
// dataset, NUL-padded to the longest string (at least 1 byte), like numpy
// 'S' arrays written by h5py. Strings must be ASCII without NUL bytes.
func (w *Writer) WriteFixedStrings(name string, s []string, opts ...Option) error {
	obj := cleanPath(name)
	return w.do(obj, "", func() error {
		size := 1
		for i, v := range s {
			if err := checkString(v, true); err != nil {
				return fmt.Errorf("string %d: %w", i, err)
			}
			size = max(size, len(v))
		}
		t := C.mf_str_type(C.size_t(size), C.H5T_CSET_ASCII)
		if t < 0 {
			return hdfErr("cannot make string type")
		}
		defer C.H5Tclose(t)
		d, err := w.createDataset(obj, t, []int{len(s)}, size, opts)
		if err != nil {
			return err
		}
		var werr error
		if len(s) > 0 {
			buf := make([]byte, len(s)*size)
			for i, v := range s {
				copy(buf[i*size:], v)
			}
			if C.H5Dwrite(d, t, C.H5S_ALL, C.H5S_ALL, C.H5P_DEFAULT, unsafe.Pointer(&buf[0])) < 0 {
				werr = hdfErr("cannot write strings")
			}
		}
		return closeDataset(d, werr)
	})
}

// CreateGroup creates a group and any missing parents. An existing group
// is not an error.
func (w *Writer) CreateGroup(name string) error {
	obj := cleanPath(name)
	return w.do(obj, "", func() error { return w.mkdirAll(obj) })
}

// SetAttrString sets a scalar variable-length UTF-8 string attribute (what
// h5py writes for a Python str, and reads back as str). obj is a dataset or
// group path, "" or "/" for the root; a missing group is created. An
// existing attribute of the same name is replaced.
func (w *Writer) SetAttrString(obj, attr, value string) error {
	obj = cleanPath(obj)
	return w.do(obj, attr, func() error {
		if err := checkString(value, false); err != nil {
			return err
		}
		t := C.mf_str_type(0, C.H5T_CSET_UTF8)
		if t < 0 {
			return hdfErr("cannot make string type")
		}
		defer C.H5Tclose(t)
		p := (**C.char)(C.calloc(1, C.size_t(unsafe.Sizeof(uintptr(0)))))
		if p == nil {
			return errors.New("out of memory")
		}
		defer C.free(unsafe.Pointer(p))
		*p = C.CString(value)
		defer C.free(unsafe.Pointer(*p))
		return w.setAttr(obj, attr, t, t, []int{}, unsafe.Pointer(p))
	})
}

// SetAttrFloat64 sets a scalar float64 attribute; see SetAttrString.
func (w *Writer) SetAttrFloat64(obj, attr string, v float64) error {
	return setAttrNumbers(w, obj, attr, []float64{v}, []int{}, C.MF_NATIVE_DOUBLE, C.MF_F64LE)
}

// SetAttrInt64 sets a scalar int64 attribute; see SetAttrString.
func (w *Writer) SetAttrInt64(obj, attr string, v int64) error {
	return setAttrNumbers(w, obj, attr, []int64{v}, []int{}, C.MF_NATIVE_INT64, C.MF_I64LE)
}

// SetAttrFloat64s sets a one-dimensional float64 array attribute; see
// SetAttrString. Attributes live in the object header and should stay
// small (well under 64 KiB).
func (w *Writer) SetAttrFloat64s(obj, attr string, v []float64) error {
	return setAttrNumbers(w, obj, attr, v, []int{len(v)}, C.MF_NATIVE_DOUBLE, C.MF_F64LE)
}

// SetAttrInt64s sets a one-dimensional int64 array attribute; see
// SetAttrFloat64s.
func (w *Writer) SetAttrInt64s(obj, attr string, v []int64) error {
	return setAttrNumbers(w, obj, attr, v, []int{len(v)}, C.MF_NATIVE_INT64, C.MF_I64LE)
}

func setAttrNumbers[T float64 | int64](w *Writer, obj, attr string, v []T, dims []int, mem, file C.int) error {
	obj = cleanPath(obj)
	return w.do(obj, attr, func() error {
		var buf unsafe.Pointer
		if len(v) > 0 {
			buf = unsafe.Pointer(&v[0])
		}
		return w.setAttr(obj, attr, C.mf_type(file), C.mf_type(mem), dims, buf)
	})
}

// setAttr (re)creates attribute attr on obj and writes buf (nil: no data).
func (w *Writer) setAttr(obj, attr string, fileType, mem C.hid_t, dims []int, buf unsafe.Pointer) error {
	if attr == "" || strings.IndexByte(attr, 0) >= 0 {
		return errors.New("invalid attribute name")
	}
	if !exists(w.id, obj) {
		if err := w.mkdirAll(obj); err != nil {
			return err
		}
	}
	o, err := openObject(w.id, obj)
	if err != nil {
		return err
	}
	defer C.H5Oclose(o)
	a := C.CString(attr)
	defer C.free(unsafe.Pointer(a))
	switch r := C.H5Aexists(o, a); {
	case r < 0:
		return hdfErr("cannot look up attribute")
	case r > 0:
		if C.H5Adelete(o, a) < 0 {
			return hdfErr("cannot replace attribute")
		}
	}
	sp, err := newSpace(dims)
	if err != nil {
		return err
	}
	defer C.H5Sclose(sp)
	acpl := C.mf_acpl()
	if acpl < 0 {
		return hdfErr("cannot make property list")
	}
	defer C.H5Pclose(acpl)
	aid := C.H5Acreate2(o, a, fileType, sp, acpl, C.H5P_DEFAULT)
	if aid < 0 {
		return hdfErr("cannot create attribute")
	}
	var werr error
	if buf != nil && C.H5Awrite(aid, mem, buf) < 0 {
		werr = hdfErr("cannot write attribute")
	}
	if C.H5Aclose(aid) < 0 && werr == nil {
		werr = hdfErr("cannot close attribute")
	}
	return werr
}

// mkdirAll creates group obj and its missing parents.
func (w *Writer) mkdirAll(obj string) error {
	if obj == "/" {
		return nil
	}
	parts := strings.Split(obj, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if exists(w.id, p) {
			id, err := openObject(w.id, p)
			if err != nil {
				return err
			}
			kind := C.H5Iget_type(id)
			desc := objKind(id)
			C.H5Oclose(id)
			if kind != C.H5I_GROUP {
				return fmt.Errorf("%s is a %s, not a group", p, desc)
			}
			continue
		}
		if err := createGroup(w.id, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func createGroup(loc C.hid_t, path string) error {
	gcpl := C.mf_gcpl()
	if gcpl < 0 {
		return hdfErr("cannot make property list")
	}
	defer C.H5Pclose(gcpl)
	lcpl := C.mf_lcpl()
	if lcpl < 0 {
		return hdfErr("cannot make property list")
	}
	defer C.H5Pclose(lcpl)
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	g := C.H5Gcreate2(loc, p, lcpl, gcpl, C.H5P_DEFAULT)
	if g < 0 {
		return hdfErr("cannot create group")
	}
	if C.H5Gclose(g) < 0 {
		return hdfErr("cannot close group")
	}
	return nil
}

// createDataset creates dataset obj with the given stored type and shape;
// elemSize (bytes) guides automatic chunking.
func (w *Writer) createDataset(obj string, fileType C.hid_t, dims []int, elemSize int, opts []Option) (C.hid_t, error) {
	if obj == "/" {
		return -1, errors.New("the root group is not a dataset name")
	}
	if exists(w.id, obj) {
		return -1, errors.New("already exists")
	}
	if i := strings.LastIndexByte(obj, '/'); i > 0 {
		if err := w.mkdirAll(obj[:i]); err != nil {
			return -1, err
		}
	}
	o := dsetOpts{gzip: -1}
	for _, opt := range opts {
		opt(&o)
	}
	dcpl := C.mf_dcpl()
	if dcpl < 0 {
		return -1, hdfErr("cannot make property list")
	}
	defer C.H5Pclose(dcpl)
	if err := setFilters(dcpl, o, dims, elemSize); err != nil {
		return -1, err
	}
	sp, err := newSpace(dims)
	if err != nil {
		return -1, err
	}
	defer C.H5Sclose(sp)
	lcpl := C.mf_lcpl()
	if lcpl < 0 {
		return -1, hdfErr("cannot make property list")
	}
	defer C.H5Pclose(lcpl)
	p := C.CString(obj)
	defer C.free(unsafe.Pointer(p))
	d := C.H5Dcreate2(w.id, p, fileType, sp, lcpl, dcpl, C.H5P_DEFAULT)
	if d < 0 {
		return -1, hdfErr("cannot create dataset")
	}
	return d, nil
}

// setFilters applies chunking, shuffle and deflate to a dataset creation
// property list, in that pipeline order.
func setFilters(dcpl C.hid_t, o dsetOpts, dims []int, elemSize int) error {
	if o.gzip != -1 && (o.gzip < 0 || o.gzip > 9) {
		return fmt.Errorf("gzip level %d not in 0..9", o.gzip)
	}
	if o.chunks != nil && len(o.chunks) != len(dims) {
		return fmt.Errorf("chunk shape %v does not match dataset shape %v", o.chunks, dims)
	}
	for _, c := range o.chunks {
		if c <= 0 {
			return fmt.Errorf("chunk shape %v has a non-positive size", o.chunks)
		}
	}
	if o.chunks == nil && o.gzip < 0 && !o.shuffle {
		return nil
	}
	n := 1
	for _, d := range dims {
		n *= d
	}
	if len(dims) == 0 || n == 0 {
		return nil // scalar or empty: stored contiguous, unfiltered
	}
	chunks := effectiveChunks(o, dims, elemSize)
	hc := make([]C.hsize_t, len(dims))
	for i := range dims {
		hc[i] = C.hsize_t(chunks[i])
	}
	if C.H5Pset_chunk(dcpl, C.int(len(hc)), &hc[0]) < 0 {
		return hdfErr(fmt.Sprintf("cannot set chunk shape %v", chunks))
	}
	if o.shuffle && C.H5Pset_shuffle(dcpl) < 0 {
		return hdfErr("cannot set shuffle filter")
	}
	if o.gzip >= 0 {
		if C.H5Zfilter_avail(C.H5Z_FILTER_DEFLATE) <= 0 {
			return errors.New("this libhdf5 has no deflate (gzip) filter")
		}
		if C.H5Pset_deflate(dcpl, C.uint(o.gzip)) < 0 {
			return hdfErr("cannot set gzip filter")
		}
	}
	return nil
}

// guessChunks halves the largest dimension until a chunk is at most 1 MiB.
func guessChunks(dims []int, elemSize int) []int {
	const target = 1 << 20
	c := append([]int(nil), dims...)
	for {
		bytes, big := elemSize, 0
		for i, d := range c {
			bytes *= d
			if d > c[big] {
				big = i
			}
		}
		if bytes <= target || c[big] == 1 {
			return c
		}
		c[big] = (c[big] + 1) / 2
	}
}

// closeDataset closes d, keeping err if set, else reporting a close error.
func closeDataset(d C.hid_t, err error) error {
	if C.H5Dclose(d) < 0 && err == nil {
		err = hdfErr("cannot close dataset")
	}
	return err
}

// checkDims returns the shape for n values: dims itself, or {n} for nil.
func checkDims(dims []int, n int) ([]int, error) {
	if dims == nil {
		return []int{n}, nil
	}
	total := 1
	for _, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", dims)
		}
		if d != 0 && total > maxElems/d {
			return nil, fmt.Errorf("shape %v too large", dims)
		}
		total *= d
	}
	if total != n {
		return nil, fmt.Errorf("shape %v holds %d values, data has %d", dims, total, n)
	}
	return dims, nil
}

// checkString refuses strings that would not round-trip: NUL bytes (C
// strings end there), invalid UTF-8, and for ASCII non-ASCII bytes.
func checkString(s string, ascii bool) error {
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("string contains a NUL byte")
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return fmt.Errorf("non-ASCII byte in %q for a fixed-length ASCII string", s)
			}
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8 in %q", s)
	}
	return nil
}
