package h5

/*
#include "h5c.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Dataset is a numeric dataset created with its full shape and written in
// hyperslabs, so that data larger than memory can be streamed into it
// block by block (a raw recording converted to HDF5, source estimates of
// hundreds of epochs). It is closed by Close, or with its Writer.
type Dataset struct {
	w    *Writer
	obj  string
	id   C.hid_t
	dims []int
	mem  C.int // native memory type code
	// layout, when not nil, lets slabs of whole chunks be filtered in Go
	// and written directly (chunkwrite.go).
	layout *chunkLayout
}

// CreateFloat64 creates a float64 dataset of shape dims to be filled with
// WriteFloat64Slab. Options as for WriteFloat64; with a filter and no
// Chunks, chunks of at most 1 MiB are chosen.
func (w *Writer) CreateFloat64(name string, dims []int, opts ...Option) (*Dataset, error) {
	return w.createSlabbed(name, dims, C.MF_NATIVE_DOUBLE, C.MF_F64LE, 8, opts)
}

// CreateFloat32 creates a float32 dataset to be filled with
// WriteFloat32Slab.
func (w *Writer) CreateFloat32(name string, dims []int, opts ...Option) (*Dataset, error) {
	return w.createSlabbed(name, dims, C.MF_NATIVE_FLOAT, C.MF_F32LE, 4, opts)
}

func (w *Writer) createSlabbed(name string, dims []int, mem, file C.int, size int, opts []Option) (*Dataset, error) {
	obj := cleanPath(name)
	ds := &Dataset{w: w, obj: obj, dims: append([]int(nil), dims...), mem: mem, id: -1}
	o := dsetOpts{gzip: -1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.gzip <= 9 && (o.chunks == nil || len(o.chunks) == len(dims)) {
		ds.layout = layoutFor(o, dims, size)
	}
	err := w.do(obj, "", func() error {
		if len(dims) == 0 {
			return errors.New("a slab-written dataset needs at least one dimension")
		}
		total := 1
		for _, d := range dims {
			if d < 0 {
				return fmt.Errorf("negative dimension in shape %v", dims)
			}
			total *= d
		}
		if _, err := checkDims(dims, total); err != nil {
			return err
		}
		id, err := w.createDataset(obj, C.mf_type(file), dims, size, opts)
		if err != nil {
			return err
		}
		ds.id = id
		w.open = append(w.open, ds)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// WriteFloat64Slab writes the row-major block data of shape count at
// offset start (one entry per dimension) of a float64 dataset.
func (d *Dataset) WriteFloat64Slab(start, count []int, data []float64) error {
	if d.mem != C.MF_NATIVE_DOUBLE {
		return wrap(d.w.path, d.obj, "", errors.New("dataset is not float64"))
	}
	return d.writeSlab(start, count, len(data), func() unsafe.Pointer { return unsafe.Pointer(&data[0]) }, func() []byte {
		return unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 8*len(data))
	})
}

// WriteFloat32Slab is WriteFloat64Slab for a float32 dataset.
func (d *Dataset) WriteFloat32Slab(start, count []int, data []float32) error {
	if d.mem != C.MF_NATIVE_FLOAT {
		return wrap(d.w.path, d.obj, "", errors.New("dataset is not float32"))
	}
	return d.writeSlab(start, count, len(data), func() unsafe.Pointer { return unsafe.Pointer(&data[0]) }, func() []byte {
		return unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))
	})
}

// checkSlab checks a slab against the dataset's shape and the data's
// length; it returns the number of values.
func (d *Dataset) checkSlab(start, count []int, n int) (int, error) {
	if len(start) != len(d.dims) || len(count) != len(d.dims) {
		return 0, fmt.Errorf("slab start %v and count %v do not match the shape %v", start, count, d.dims)
	}
	total := 1
	for i := range d.dims {
		if start[i] < 0 || count[i] < 0 || start[i]+count[i] > d.dims[i] {
			return 0, fmt.Errorf("slab start %v count %v outside the shape %v", start, count, d.dims)
		}
		total *= count[i]
	}
	if total != n {
		return 0, fmt.Errorf("slab of shape %v holds %d values, data has %d", count, total, n)
	}
	return total, nil
}

func (d *Dataset) writeSlab(start, count []int, n int, ptr func() unsafe.Pointer, raw func() []byte) error {
	total, err := d.checkSlab(start, count, n)
	if err != nil {
		return d.w.do(d.obj, "", func() error { return err })
	}
	if total > 0 && directChunks && d.layout != nil && d.layout.aligned(d.dims, start, count) {
		// Filter whole chunks on all cores before taking the lock.
		chunks, err := d.layout.encodeSlab(start, count, raw())
		return d.w.do(d.obj, "", func() error {
			if d.id < 0 {
				return errors.New("dataset is closed")
			}
			if err != nil {
				return err
			}
			return writeChunks(d.id, chunks)
		})
	}
	return d.w.do(d.obj, "", func() error {
		if d.id < 0 {
			return errors.New("dataset is closed")
		}
		if total == 0 {
			return nil
		}
		hs := make([]C.hsize_t, 2*len(d.dims))
		for i := range d.dims {
			hs[i], hs[len(d.dims)+i] = C.hsize_t(start[i]), C.hsize_t(count[i])
		}
		fspace := C.H5Dget_space(d.id)
		if fspace < 0 {
			return hdfErr("cannot get dataspace")
		}
		defer C.H5Sclose(fspace)
		if C.H5Sselect_hyperslab(fspace, C.H5S_SELECT_SET, &hs[0], nil, &hs[len(d.dims)], nil) < 0 {
			return hdfErr("cannot select hyperslab")
		}
		mspace := C.H5Screate_simple(C.int(len(d.dims)), &hs[len(d.dims)], nil)
		if mspace < 0 {
			return hdfErr("cannot create memory dataspace")
		}
		defer C.H5Sclose(mspace)
		if C.H5Dwrite(d.id, C.mf_type(d.mem), mspace, fspace, C.H5P_DEFAULT, ptr()) < 0 {
			return hdfErr("cannot write hyperslab")
		}
		return nil
	})
}

// Close closes the dataset; unwritten parts read as zeros.
func (d *Dataset) Close() error {
	return lib(func() error { return d.closeLocked() })
}

func (d *Dataset) closeLocked() error {
	if d.id < 0 {
		return nil
	}
	err := closeDataset(d.id, nil)
	d.id = -1
	if err != nil {
		return wrap(d.w.path, d.obj, "", err)
	}
	return nil
}
