package h5

// The Debian/Ubuntu libhdf5-dev package keeps the serial headers and the
// libhdf5.so link under hdf5/serial; elsewhere (Fedora, Homebrew, source
// builds in /usr/local) the default search paths find them and the extra
// directories are harmless. CGO_CFLAGS / CGO_LDFLAGS can add others.

/*
#cgo CFLAGS: -I/usr/include/hdf5/serial
#cgo linux,amd64 LDFLAGS: -L/usr/lib/x86_64-linux-gnu/hdf5/serial
#cgo linux,arm64 LDFLAGS: -L/usr/lib/aarch64-linux-gnu/hdf5/serial
#cgo darwin LDFLAGS: -L/usr/local/lib -L/opt/homebrew/lib
#cgo darwin CFLAGS: -I/usr/local/include -I/opt/homebrew/include
#cgo LDFLAGS: -lhdf5
#include "h5c.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// ErrNotFound is wrapped by the errors for a missing dataset, group or
// attribute: errors.Is(err, h5.ErrNotFound).
var ErrNotFound = errors.New("not found")

var errClosed = errors.New("file is closed")

// mu serialises every call into libhdf5. The library may be built without
// thread safety, and even a thread-safe build keeps its error stack and the
// "print errors" switch per OS thread.
var mu sync.Mutex

// lib runs fn with the library lock held, on one OS thread, with automatic
// error printing off for that thread, so that a failing call's error stack
// can be read back by hdfErr and nothing is printed to stderr.
func lib(fn func() error) error {
	mu.Lock()
	defer mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.mf_quiet()
	return fn()
}

// hdfErr returns an error for a failed libhdf5 call: what failed, plus the
// library's own description from the thread's error stack.
func hdfErr(what string) error {
	var buf [640]C.char
	C.mf_errmsg(&buf[0], C.size_t(len(buf)))
	msg := C.GoString(&buf[0])
	if msg == "" {
		return errors.New(what)
	}
	return fmt.Errorf("%s (libhdf5: %s)", what, msg)
}

// pathError names the file, and if known the object and attribute.
type pathError struct {
	file string
	obj  string // "" for errors about the file as a whole
	attr string
	err  error
}

func (e *pathError) Error() string {
	var b strings.Builder
	b.WriteString("h5: ")
	b.WriteString(e.file)
	if e.obj != "" {
		b.WriteString(": ")
		b.WriteString(e.obj)
	}
	if e.attr != "" {
		b.WriteString(": attribute ")
		b.WriteString(strconv.Quote(e.attr))
	}
	b.WriteString(": ")
	b.WriteString(e.err.Error())
	return b.String()
}

func (e *pathError) Unwrap() error { return e.err }

func wrap(file, obj, attr string, err error) error {
	if err == nil {
		return nil
	}
	return &pathError{file: file, obj: obj, attr: attr, err: err}
}

// cleanPath normalises an object path: "", "/" and "." name the root group
// (returned as "/"); other paths lose leading, trailing and repeated
// slashes ("/raw//x/" -> "raw/x").
func cleanPath(name string) string {
	parts := strings.Split(name, "/")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return "/"
	}
	return strings.Join(kept, "/")
}

// cpath converts a cleaned path to a C string relative to the file id.
// The caller frees it.
func cpath(obj string) *C.char {
	if obj == "/" {
		return C.CString(".")
	}
	return C.CString(obj)
}

// exists reports whether obj (a cleaned path) names an object, checking each
// component so that a missing parent is "no" rather than a library error.
func exists(loc C.hid_t, obj string) bool {
	if obj == "/" {
		return true
	}
	parts := strings.Split(obj, "/")
	for i := range parts {
		p := C.CString(strings.Join(parts[:i+1], "/"))
		r := C.H5Lexists(loc, p, C.H5P_DEFAULT)
		if r > 0 && i == len(parts)-1 {
			// A dangling soft link exists as a link but not as an object.
			r = C.H5Oexists_by_name(loc, p, C.H5P_DEFAULT)
		}
		C.free(unsafe.Pointer(p))
		if r <= 0 {
			C.H5Eclear2(C.H5E_DEFAULT)
			return false
		}
	}
	return true
}

// openObject opens a dataset, group or named datatype by cleaned path.
func openObject(loc C.hid_t, obj string) (C.hid_t, error) {
	if !exists(loc, obj) {
		return -1, ErrNotFound
	}
	p := cpath(obj)
	defer C.free(unsafe.Pointer(p))
	id := C.H5Oopen(loc, p, C.H5P_DEFAULT)
	if id < 0 {
		return -1, hdfErr("cannot open object")
	}
	return id, nil
}

// objKind describes an open object for error messages.
func objKind(id C.hid_t) string {
	switch C.H5Iget_type(id) {
	case C.H5I_DATASET:
		return "dataset"
	case C.H5I_GROUP:
		return "group"
	case C.H5I_DATATYPE:
		return "named datatype"
	}
	return "object"
}

// className names an HDF5 type class for error messages.
func className(c C.H5T_class_t) string {
	switch c {
	case C.H5T_INTEGER:
		return "integer"
	case C.H5T_FLOAT:
		return "float"
	case C.H5T_STRING:
		return "string"
	case C.H5T_BITFIELD:
		return "bitfield"
	case C.H5T_OPAQUE:
		return "opaque"
	case C.H5T_COMPOUND:
		return "compound"
	case C.H5T_REFERENCE:
		return "reference"
	case C.H5T_ENUM:
		return "enum"
	case C.H5T_VLEN:
		return "variable-length sequence"
	case C.H5T_ARRAY:
		return "array"
	case C.H5T_TIME:
		return "time"
	}
	return "unknown type class"
}

// maxElems bounds the element count of anything read, so that a corrupt or
// hostile file cannot make us overflow int arithmetic.
const maxElems = math.MaxInt / 16

// spaceShape returns the dimensions and element count of a dataspace. A
// scalar space has dims []int{} and one element; a null space (h5py.Empty)
// has nil dims and no elements.
func spaceShape(space C.hid_t) ([]int, int, error) {
	switch C.H5Sget_simple_extent_type(space) {
	case C.H5S_SCALAR:
		return []int{}, 1, nil
	case C.H5S_NULL:
		return nil, 0, nil
	case C.H5S_SIMPLE:
	default:
		return nil, 0, hdfErr("cannot read dataspace")
	}
	nd := int(C.H5Sget_simple_extent_ndims(space))
	if nd < 0 {
		return nil, 0, hdfErr("cannot read dataspace rank")
	}
	if nd == 0 {
		return []int{}, 1, nil
	}
	hd := make([]C.hsize_t, nd)
	if C.H5Sget_simple_extent_dims(space, &hd[0], nil) < 0 {
		return nil, 0, hdfErr("cannot read dataspace dimensions")
	}
	dims := make([]int, nd)
	n := 1
	for i, d := range hd {
		if uint64(d) > maxElems {
			return nil, 0, fmt.Errorf("dimension %d too large", uint64(d))
		}
		dims[i] = int(d)
		if dims[i] != 0 && n > maxElems/dims[i] {
			return nil, 0, fmt.Errorf("shape %v too large", dims)
		}
		n *= dims[i]
	}
	return dims, n, nil
}

// newSpace creates a dataspace: scalar for len(dims) == 0, else simple.
func newSpace(dims []int) (C.hid_t, error) {
	var id C.hid_t
	if len(dims) == 0 {
		id = C.H5Screate(C.H5S_SCALAR)
	} else {
		hd := make([]C.hsize_t, len(dims))
		for i, d := range dims {
			hd[i] = C.hsize_t(d)
		}
		id = C.H5Screate_simple(C.int(len(dims)), &hd[0], nil)
	}
	if id < 0 {
		return -1, hdfErr(fmt.Sprintf("cannot create dataspace of shape %v", dims))
	}
	return id, nil
}

// openObjects returns how many identifiers are open in the file of id,
// the file itself included (for leak tests).
func openObjects(id C.hid_t) int {
	n := 0
	_ = lib(func() error {
		n = int(C.H5Fget_obj_count(id, C.H5F_OBJ_ALL))
		return nil
	})
	return n
}
