package h5

/*
#include "h5c.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sort"
	"strings"
	"unsafe"
)

// File is an HDF5 file open for reading. Its methods may be called from
// several goroutines; calls into libhdf5 are serialised.
type File struct {
	path string
	id   C.hid_t // -1 once closed
}

// Open opens an existing HDF5 file read-only.
func Open(path string) (*File, error) {
	if _, err := os.Stat(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, wrap(path, "", "", err)
	}
	f := &File{path: path, id: -1}
	err := lib(func() error {
		p := C.CString(path)
		defer C.free(unsafe.Pointer(p))
		if C.H5Fis_hdf5(p) <= 0 {
			C.H5Eclear2(C.H5E_DEFAULT)
			return errors.New("not an HDF5 file")
		}
		id := C.mf_fopen(p)
		if id < 0 {
			return hdfErr("cannot open file")
		}
		f.id = id
		return nil
	})
	if err != nil {
		return nil, wrap(path, "", "", err)
	}
	return f, nil
}

// Path returns the file name given to Open.
func (f *File) Path() string { return f.path }

// Close closes the file. Closing twice is not an error.
func (f *File) Close() error {
	err := lib(func() error {
		if f.id < 0 {
			return nil
		}
		id := f.id
		f.id = -1
		if C.H5Fclose(id) < 0 {
			return hdfErr("cannot close file")
		}
		return nil
	})
	return wrap(f.path, "", "", err)
}

// Exists reports whether name is a dataset or group (or other object) in
// the file. The root ("" or "/") always exists.
func (f *File) Exists(name string) bool {
	ok := false
	_ = lib(func() error {
		ok = f.id >= 0 && exists(f.id, cleanPath(name))
		return nil
	})
	return ok
}

// with opens object obj (already cleaned) and runs fn on it under the
// library lock, closing it afterwards. The error names file and object.
func (f *File) with(obj, attr string, fn func(id C.hid_t) error) error {
	err := lib(func() error {
		if f.id < 0 {
			return errClosed
		}
		id, err := openObject(f.id, obj)
		if err != nil {
			return err
		}
		defer C.H5Oclose(id)
		return fn(id)
	})
	return wrap(f.path, obj, attr, err)
}

// withDataset is with for datasets: the object must be a dataset.
func (f *File) withDataset(obj string, fn func(src source) error) error {
	return f.with(obj, "", func(id C.hid_t) error {
		if C.H5Iget_type(id) != C.H5I_DATASET {
			return fmt.Errorf("is a %s, not a dataset", objKind(id))
		}
		return fn(source{id: id})
	})
}

// withAttr is with for the attribute attr of the object.
func (f *File) withAttr(obj, attr string, fn func(src source) error) error {
	return f.with(obj, attr, func(id C.hid_t) error {
		a := C.CString(attr)
		defer C.free(unsafe.Pointer(a))
		switch r := C.H5Aexists(id, a); {
		case r == 0:
			return ErrNotFound
		case r < 0:
			return hdfErr("cannot look up attribute")
		}
		aid := C.H5Aopen(id, a, C.H5P_DEFAULT)
		if aid < 0 {
			return hdfErr("cannot open attribute")
		}
		defer C.H5Aclose(aid)
		return fn(source{id: aid, isAttr: true})
	})
}

// ReadFloat64 reads a numeric dataset of any integer or float type and byte
// order, converted to float64, in row-major order, with its shape. A scalar
// dataset has dims []int{} and one value.
func (f *File) ReadFloat64(name string) (data []float64, dims []int, err error) {
	obj := cleanPath(name)
	err = f.withDataset(obj, func(s source) error {
		data, dims, err = s.float64s()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return data, dims, nil
}

// ReadInt64 reads an integer dataset (any width, signedness and byte
// order) as int64. Float datasets are refused rather than truncated, and a
// uint64 value above math.MaxInt64 is an error.
func (f *File) ReadInt64(name string) (data []int64, dims []int, err error) {
	obj := cleanPath(name)
	err = f.withDataset(obj, func(s source) error {
		data, dims, err = s.int64s()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return data, dims, nil
}

// ReadStrings reads a string dataset, fixed-length (numpy 'S': trailing
// NULs, or for space-padded strings trailing spaces, are removed) or
// variable-length, ASCII or UTF-8, flattened in row-major order.
func (f *File) ReadStrings(name string) (data []string, err error) {
	obj := cleanPath(name)
	err = f.withDataset(obj, func(s source) error {
		data, _, err = s.strings()
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// ListGroup returns the names of the members of a group, sorted.
func (f *File) ListGroup(name string) (names []string, err error) {
	obj := cleanPath(name)
	err = f.with(obj, "", func(id C.hid_t) error {
		if C.H5Iget_type(id) != C.H5I_GROUP {
			return fmt.Errorf("is a %s, not a group", objKind(id))
		}
		var info C.H5G_info_t
		if C.H5Gget_info(id, &info) < 0 {
			return hdfErr("cannot read group info")
		}
		dot := C.CString(".")
		defer C.free(unsafe.Pointer(dot))
		for i := C.hsize_t(0); i < info.nlinks; i++ {
			n := C.H5Lget_name_by_idx(id, dot, C.H5_INDEX_NAME, C.H5_ITER_INC, i, nil, 0, C.H5P_DEFAULT)
			if n < 0 {
				return hdfErr("cannot read member name")
			}
			buf := make([]C.char, int(n)+1)
			if C.H5Lget_name_by_idx(id, dot, C.H5_INDEX_NAME, C.H5_ITER_INC, i, &buf[0], C.size_t(len(buf)), C.H5P_DEFAULT) < 0 {
				return hdfErr("cannot read member name")
			}
			names = append(names, C.GoString(&buf[0]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// AttrNames returns the attribute names of a dataset or group (root: ""
// or "/"), sorted.
func (f *File) AttrNames(obj string) (names []string, err error) {
	obj = cleanPath(obj)
	err = f.with(obj, "", func(id C.hid_t) error {
		count := C.mf_count_attrs(id)
		if count < 0 {
			return hdfErr("cannot count attributes")
		}
		dot := C.CString(".")
		defer C.free(unsafe.Pointer(dot))
		for i := C.hsize_t(0); i < C.hsize_t(count); i++ {
			n := C.H5Aget_name_by_idx(id, dot, C.H5_INDEX_NAME, C.H5_ITER_INC, i, nil, 0, C.H5P_DEFAULT)
			if n < 0 {
				return hdfErr("cannot read attribute name")
			}
			buf := make([]C.char, int(n)+1)
			if C.H5Aget_name_by_idx(id, dot, C.H5_INDEX_NAME, C.H5_ITER_INC, i, &buf[0], C.size_t(len(buf)), C.H5P_DEFAULT) < 0 {
				return hdfErr("cannot read attribute name")
			}
			names = append(names, C.GoString(&buf[0]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// AttrString reads a string attribute holding one value: fixed-length
// (numpy bytes attributes) or variable-length (h5py str attributes).
func (f *File) AttrString(obj, attr string) (string, error) {
	return attrOne(f, obj, attr, source.strings, "a single string")
}

// AttrFloat64 reads a numeric attribute holding one value as float64.
func (f *File) AttrFloat64(obj, attr string) (float64, error) {
	return attrOne(f, obj, attr, source.float64s, "a single value")
}

// AttrInt64 reads an integer attribute holding one value.
func (f *File) AttrInt64(obj, attr string) (int64, error) {
	return attrOne(f, obj, attr, source.int64s, "a single value")
}

// attrOne reads an attribute that must hold exactly one value.
func attrOne[T any](f *File, obj, attr string, read func(source) ([]T, []int, error), want string) (v T, err error) {
	err = f.withAttr(cleanPath(obj), attr, func(src source) error {
		data, dims, err := read(src)
		if err != nil {
			return err
		}
		if len(data) != 1 {
			return fmt.Errorf("has shape %v, want %s", dims, want)
		}
		v = data[0]
		return nil
	})
	return v, err
}

// AttrFloat64s reads a numeric attribute of any shape, flattened, as
// float64.
func (f *File) AttrFloat64s(obj, attr string) (v []float64, err error) {
	obj = cleanPath(obj)
	err = f.withAttr(obj, attr, func(src source) error {
		v, _, err = src.float64s()
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// AttrInt64s reads an integer attribute of any shape, flattened.
func (f *File) AttrInt64s(obj, attr string) (v []int64, err error) {
	obj = cleanPath(obj)
	err = f.withAttr(obj, attr, func(src source) error {
		v, _, err = src.int64s()
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// source is an open dataset or attribute to read from.
type source struct {
	id     C.hid_t
	isAttr bool
}

// typ returns a copy of the stored datatype; the caller closes it.
func (s source) typ() (C.hid_t, error) {
	var t C.hid_t
	if s.isAttr {
		t = C.H5Aget_type(s.id)
	} else {
		t = C.H5Dget_type(s.id)
	}
	if t < 0 {
		return -1, hdfErr("cannot read datatype")
	}
	return t, nil
}

// space returns the dataspace; the caller closes it.
func (s source) space() (C.hid_t, error) {
	var sp C.hid_t
	if s.isAttr {
		sp = C.H5Aget_space(s.id)
	} else {
		sp = C.H5Dget_space(s.id)
	}
	if sp < 0 {
		return -1, hdfErr("cannot read dataspace")
	}
	return sp, nil
}

// read reads all elements, converted to the memory type mem, into buf.
func (s source) read(mem C.hid_t, buf unsafe.Pointer) error {
	var r C.herr_t
	if s.isAttr {
		r = C.H5Aread(s.id, mem, buf)
	} else {
		r = C.H5Dread(s.id, mem, C.H5S_ALL, C.H5S_ALL, C.H5P_DEFAULT, buf)
	}
	if r < 0 {
		return hdfErr("cannot read data")
	}
	return nil
}

// class returns the type class and signedness of the stored type.
func (s source) class() (C.H5T_class_t, bool, error) {
	t, err := s.typ()
	if err != nil {
		return C.H5T_NO_CLASS, false, err
	}
	defer C.H5Tclose(t)
	c := C.H5Tget_class(t)
	unsigned64 := c == C.H5T_INTEGER && C.H5Tget_sign(t) == C.H5T_SGN_NONE && C.H5Tget_size(t) == 8
	return c, unsigned64, nil
}

// readAll reads every element of s converted to mem into a new []T.
func readAll[T float64 | int64 | uint64](s source, mem C.hid_t) ([]T, []int, error) {
	sp, err := s.space()
	if err != nil {
		return nil, nil, err
	}
	defer C.H5Sclose(sp)
	dims, n, err := spaceShape(sp)
	if err != nil {
		return nil, nil, err
	}
	out := make([]T, n)
	if n > 0 {
		if err := s.read(mem, unsafe.Pointer(&out[0])); err != nil {
			return nil, nil, err
		}
	}
	return out, dims, nil
}

func (s source) float64s() ([]float64, []int, error) {
	c, _, err := s.class()
	if err != nil {
		return nil, nil, err
	}
	if c != C.H5T_INTEGER && c != C.H5T_FLOAT {
		return nil, nil, fmt.Errorf("has %s type, not a number type", className(c))
	}
	return readAll[float64](s, C.mf_type(C.MF_NATIVE_DOUBLE))
}

func (s source) int64s() ([]int64, []int, error) {
	c, unsigned64, err := s.class()
	if err != nil {
		return nil, nil, err
	}
	if c != C.H5T_INTEGER {
		return nil, nil, fmt.Errorf("has %s type, not an integer type", className(c))
	}
	if !unsigned64 {
		return readAll[int64](s, C.mf_type(C.MF_NATIVE_INT64))
	}
	// libhdf5 would clip uint64 values above MaxInt64; refuse them instead.
	u, dims, err := readAll[uint64](s, C.mf_type(C.MF_NATIVE_UINT64))
	if err != nil {
		return nil, nil, err
	}
	out := make([]int64, len(u))
	for i, v := range u {
		if v > math.MaxInt64 {
			return nil, nil, fmt.Errorf("uint64 value %d at index %d does not fit int64", v, i)
		}
		out[i] = int64(v)
	}
	return out, dims, nil
}

// strings reads a fixed- or variable-length string dataset or attribute.
func (s source) strings() ([]string, []int, error) {
	t, err := s.typ()
	if err != nil {
		return nil, nil, err
	}
	defer C.H5Tclose(t)
	if c := C.H5Tget_class(t); c != C.H5T_STRING {
		return nil, nil, fmt.Errorf("has %s type, not a string type", className(c))
	}
	sp, err := s.space()
	if err != nil {
		return nil, nil, err
	}
	defer C.H5Sclose(sp)
	dims, n, err := spaceShape(sp)
	if err != nil {
		return nil, nil, err
	}
	out := make([]string, n)
	if n == 0 {
		return out, dims, nil
	}
	switch C.H5Tis_variable_str(t) {
	case 1:
		err = readVarStrings(s, t, sp, out)
	case 0:
		err = readFixedStrings(s, t, out)
	default:
		err = hdfErr("cannot inspect string type")
	}
	if err != nil {
		return nil, nil, err
	}
	return out, dims, nil
}

func readVarStrings(s source, fileType, space C.hid_t, out []string) error {
	// The library does not convert between character sets, so the memory
	// type uses the stored one.
	mem := C.mf_str_type(0, C.int(C.H5Tget_cset(fileType)))
	if mem < 0 {
		return hdfErr("cannot make string type")
	}
	defer C.H5Tclose(mem)
	ptrs := C.calloc(C.size_t(len(out)), C.size_t(unsafe.Sizeof(uintptr(0))))
	if ptrs == nil {
		return errors.New("out of memory")
	}
	defer C.free(ptrs)
	if err := s.read(mem, ptrs); err != nil {
		return err
	}
	for i, p := range unsafe.Slice((**C.char)(ptrs), len(out)) {
		if p != nil {
			out[i] = C.GoString(p)
		}
	}
	if C.mf_reclaim(mem, space, ptrs) < 0 {
		return hdfErr("cannot free variable-length strings")
	}
	return nil
}

func readFixedStrings(s source, fileType C.hid_t, out []string) error {
	size := int(C.H5Tget_size(fileType))
	if size <= 0 || len(out) > maxElems/size {
		return fmt.Errorf("bad string size %d", size)
	}
	// Read with the stored type itself: no conversion, padding handled here.
	mem := C.H5Tcopy(fileType)
	if mem < 0 {
		return hdfErr("cannot copy string type")
	}
	defer C.H5Tclose(mem)
	buf := make([]byte, len(out)*size)
	if err := s.read(mem, unsafe.Pointer(&buf[0])); err != nil {
		return err
	}
	pad := C.H5Tget_strpad(fileType)
	for i := range out {
		b := string(buf[i*size : (i+1)*size])
		switch pad {
		case C.H5T_STR_NULLTERM:
			if j := strings.IndexByte(b, 0); j >= 0 {
				b = b[:j]
			}
		case C.H5T_STR_SPACEPAD:
			b = strings.TrimRight(b, " ")
		default: // NULLPAD, numpy 'S'
			b = strings.TrimRight(b, "\x00")
		}
		out[i] = b
	}
	return nil
}
