package h5

// #include "h5c.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// Shape returns the dimensions of a dataset without reading it.
func (f *File) Shape(name string) (dims []int, err error) {
	obj := cleanPath(name)
	err = f.withDataset(obj, func(s source) error {
		sp, err := s.space()
		if err != nil {
			return err
		}
		defer C.H5Sclose(sp)
		dims, _, err = spaceShape(sp)
		return err
	})
	return dims, err
}

// ReadFloat64Slab reads the block of shape count at offset start (one entry
// per dimension) of a numeric dataset, converted to float64, row-major:
// large datasets can be read a part at a time.
func (f *File) ReadFloat64Slab(name string, start, count []int) ([]float64, error) {
	obj := cleanPath(name)
	var out []float64
	err := f.withDataset(obj, func(s source) error {
		c, _, err := s.class()
		if err != nil {
			return err
		}
		if c != C.H5T_INTEGER && c != C.H5T_FLOAT {
			return fmt.Errorf("has %s type, not a number type", className(c))
		}
		fspace, err := s.space()
		if err != nil {
			return err
		}
		defer C.H5Sclose(fspace)
		dims, _, err := spaceShape(fspace)
		if err != nil {
			return err
		}
		if len(start) != len(dims) || len(count) != len(dims) {
			return fmt.Errorf("slab start %v and count %v do not match the shape %v", start, count, dims)
		}
		total := 1
		for i := range dims {
			if start[i] < 0 || count[i] < 0 || start[i]+count[i] > dims[i] {
				return fmt.Errorf("slab start %v count %v outside the shape %v", start, count, dims)
			}
			total *= count[i]
		}
		out = make([]float64, total)
		if total == 0 {
			return nil
		}
		hs := make([]C.hsize_t, 2*len(dims))
		for i := range dims {
			hs[i], hs[len(dims)+i] = C.hsize_t(start[i]), C.hsize_t(count[i])
		}
		if C.H5Sselect_hyperslab(fspace, C.H5S_SELECT_SET, &hs[0], nil, &hs[len(dims)], nil) < 0 {
			return hdfErr("cannot select hyperslab")
		}
		mspace := C.H5Screate_simple(C.int(len(dims)), &hs[len(dims)], nil)
		if mspace < 0 {
			return hdfErr("cannot create memory dataspace")
		}
		defer C.H5Sclose(mspace)
		if C.H5Dread(s.id, C.mf_type(C.MF_NATIVE_DOUBLE), mspace, fspace, C.H5P_DEFAULT, unsafe.Pointer(&out[0])) < 0 {
			return hdfErr("cannot read hyperslab")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
