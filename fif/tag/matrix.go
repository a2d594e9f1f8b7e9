package tag

import (
	"fmt"
	"math"
)

// Matrix is a dense FIF matrix, row-major, with its element type.
// Values are widened to float64 (Float, Double, Int, Julian elements);
// complex elements are stored interleaved (re, im) with the last dimension
// doubled in Data but not in Dims.
type Matrix struct {
	Elem Type
	Dims []int // slowest-varying first (rows, cols) as MNE reports them
	Data []float64
}

// Rows and Cols of a 2-D matrix (a 1-D matrix is one row).
func (m Matrix) Rows() int {
	if len(m.Dims) < 2 {
		return 1
	}
	return m.Dims[0]
}

// Cols returns the length of the last dimension.
func (m Matrix) Cols() int {
	if len(m.Dims) == 0 {
		return 0
	}
	return m.Dims[len(m.Dims)-1]
}

// Sparse is a FIF sparse matrix in compressed column (CCS) or row (RCS)
// storage. For CCS, Indices are row indices and Ptr has NCol+1 entries;
// for RCS, Indices are column indices and Ptr has NRow+1 entries.
type Sparse struct {
	Coding     Type // MatrixCCS or MatrixRCS
	NRow, NCol int
	Data       []float64
	Indices    []int32
	Ptr        []int32
}

// Dense returns the sparse matrix as a row-major dense slice.
func (s Sparse) Dense() []float64 {
	out := make([]float64, s.NRow*s.NCol)
	for j := 0; j+1 < len(s.Ptr); j++ {
		for k := s.Ptr[j]; k < s.Ptr[j+1]; k++ {
			if s.Coding == MatrixCCS {
				out[int(s.Indices[k])*s.NCol+j] = s.Data[k]
			} else {
				out[j*s.NCol+int(s.Indices[k])] = s.Data[k]
			}
		}
	}
	return out
}

func matrixElemSize(t Type) (int, error) {
	switch t.Elem() {
	case Int, Julian, Float:
		return 4, nil
	case Double, ComplexFloat:
		return 8, nil
	case ComplexDouble:
		return 16, nil
	}
	return 0, fmt.Errorf("unsupported matrix element type %s", t.Elem())
}

func decodeElems(t Type, b []byte, n int) []float64 {
	switch t {
	case Int, Julian:
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(int32(be.Uint32(b[4*i:])))
		}
		return out
	case Float, ComplexFloat:
		if t == ComplexFloat {
			n *= 2
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(math.Float32frombits(be.Uint32(b[4*i:])))
		}
		return out
	default: // Double, ComplexDouble
		if t == ComplexDouble {
			n *= 2
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(be.Uint64(b[8*i:]))
		}
		return out
	}
}

// maxDims bounds the number of dimensions a matrix may claim.
const maxDims = 3

// DecodeMatrix decodes a dense matrix payload: the elements followed by the
// dimensions (fastest-varying first) and the number of dimensions.
func DecodeMatrix(t Type, b []byte) (Matrix, error) {
	if t.Coding() != MatrixDense {
		return Matrix{}, fmt.Errorf("expected a dense matrix, found %s", t)
	}
	size, err := matrixElemSize(t)
	if err != nil {
		return Matrix{}, err
	}
	if len(b) < 4 {
		return Matrix{}, fmt.Errorf("matrix payload of %d bytes has no dimension count", len(b))
	}
	ndim := int(int32(be.Uint32(b[len(b)-4:])))
	if ndim < 1 || ndim > maxDims {
		return Matrix{}, fmt.Errorf("matrix claims %d dimensions (1 to %d supported)", ndim, maxDims)
	}
	if len(b) < 4*(ndim+1) {
		return Matrix{}, fmt.Errorf("matrix payload of %d bytes too short for %d dimensions", len(b), ndim)
	}
	dimBytes := b[len(b)-4*(ndim+1) : len(b)-4]
	dims := make([]int, ndim)
	n := int64(1)
	for i := range ndim {
		d := int64(int32(be.Uint32(dimBytes[4*i:])))
		if d < 0 {
			return Matrix{}, fmt.Errorf("matrix dimension %d is negative (%d)", i, d)
		}
		dims[ndim-1-i] = int(d) // stored fastest-varying first
		n *= d
		if n > int64(len(b)) {
			break
		}
	}
	if n*int64(size) != int64(len(b)-4*(ndim+1)) {
		return Matrix{}, fmt.Errorf("matrix dimensions %v need %d bytes of %s, payload has %d",
			dims, n*int64(size), t.Elem(), len(b)-4*(ndim+1))
	}
	return Matrix{Elem: t.Elem(), Dims: dims, Data: decodeElems(t.Elem(), b, int(n))}, nil
}

// DecodeSparse decodes a sparse CCS or RCS matrix payload: values, indices,
// pointers, then nnz, nrow, ncol and the dimension count (2).
func DecodeSparse(t Type, b []byte) (Sparse, error) {
	coding := t.Coding()
	if coding != MatrixCCS && coding != MatrixRCS {
		return Sparse{}, fmt.Errorf("expected a sparse matrix, found %s", t)
	}
	size, err := matrixElemSize(t)
	if err != nil {
		return Sparse{}, err
	}
	if t.Elem() == ComplexFloat || t.Elem() == ComplexDouble {
		return Sparse{}, fmt.Errorf("complex sparse matrices are not supported")
	}
	if len(b) < 16 {
		return Sparse{}, fmt.Errorf("sparse matrix payload of %d bytes is too short", len(b))
	}
	ndim := int32(be.Uint32(b[len(b)-4:]))
	if ndim != 2 {
		return Sparse{}, fmt.Errorf("sparse matrix claims %d dimensions (only 2 supported)", ndim)
	}
	tail := b[len(b)-16:]
	nnz := int64(int32(be.Uint32(tail)))
	nrow := int64(int32(be.Uint32(tail[4:])))
	ncol := int64(int32(be.Uint32(tail[8:])))
	if nnz < 0 || nrow < 0 || ncol < 0 {
		return Sparse{}, fmt.Errorf("sparse matrix has negative sizes (nnz %d, %d x %d)", nnz, nrow, ncol)
	}
	nptr := ncol + 1
	if coding == MatrixRCS {
		nptr = nrow + 1
	}
	body := int64(len(b) - 16)
	if nnz*int64(size)+4*nnz+4*nptr > body {
		return Sparse{}, fmt.Errorf("sparse matrix (nnz %d, %d x %d) needs more than the %d bytes it has", nnz, nrow, ncol, body)
	}
	if nrow*ncol > 1<<34 {
		return Sparse{}, fmt.Errorf("sparse matrix of %d x %d is implausibly large", nrow, ncol)
	}
	s := Sparse{Coding: coding, NRow: int(nrow), NCol: int(ncol)}
	s.Data = decodeElems(t.Elem(), b, int(nnz))
	off := nnz * int64(size)
	s.Indices = make([]int32, nnz)
	for i := range s.Indices {
		s.Indices[i] = int32(be.Uint32(b[off+4*int64(i):]))
	}
	off += 4 * nnz
	s.Ptr = make([]int32, nptr)
	for i := range s.Ptr {
		s.Ptr[i] = int32(be.Uint32(b[off+4*int64(i):]))
	}
	if err := s.validate(); err != nil {
		return Sparse{}, err
	}
	return s, nil
}

func (s Sparse) validate() error {
	inner := s.NRow // range of Indices
	if s.Coding == MatrixRCS {
		inner = s.NCol
	}
	prev := int32(0)
	for i, p := range s.Ptr {
		if p < prev || int(p) > len(s.Indices) {
			return fmt.Errorf("sparse matrix pointer %d (%d) out of order or range", i, p)
		}
		prev = p
	}
	for i, ix := range s.Indices {
		if ix < 0 || int(ix) >= inner {
			return fmt.Errorf("sparse matrix index %d (%d) outside [0, %d)", i, ix, inner)
		}
	}
	return nil
}

// AppendMatrix appends a dense matrix payload with elements of type elem
// (Float, Double or Int). dims are slowest-varying first; data is row-major.
func AppendMatrix(b []byte, elem Type, dims []int, data []float64) []byte {
	b = appendElems(b, elem, data)
	for i := len(dims) - 1; i >= 0; i-- {
		b = be.AppendUint32(b, uint32(dims[i]))
	}
	return be.AppendUint32(b, uint32(len(dims)))
}

// AppendSparse appends a sparse matrix payload (elements of type elem).
func AppendSparse(b []byte, elem Type, s Sparse) []byte {
	b = appendElems(b, elem, s.Data)
	for _, v := range s.Indices {
		b = be.AppendUint32(b, uint32(v))
	}
	for _, v := range s.Ptr {
		b = be.AppendUint32(b, uint32(v))
	}
	for _, v := range []int{len(s.Data), s.NRow, s.NCol, 2} {
		b = be.AppendUint32(b, uint32(v))
	}
	return b
}

func appendElems(b []byte, elem Type, data []float64) []byte {
	for _, v := range data {
		switch elem {
		case Float:
			b = be.AppendUint32(b, math.Float32bits(float32(v)))
		case Double:
			b = be.AppendUint64(b, math.Float64bits(v))
		case Int:
			b = be.AppendUint32(b, uint32(int32(v)))
		default:
			panic("tag: unsupported matrix element type " + elem.String())
		}
	}
	return b
}

// AppendInt32s, AppendFloat32s and AppendFloat64s append plain arrays.
func AppendInt32s(b []byte, v ...int32) []byte {
	for _, x := range v {
		b = be.AppendUint32(b, uint32(x))
	}
	return b
}

// AppendFloat32s appends float32 values.
func AppendFloat32s(b []byte, v ...float32) []byte {
	for _, x := range v {
		b = be.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// AppendFloat64s appends float64 values.
func AppendFloat64s(b []byte, v ...float64) []byte {
	for _, x := range v {
		b = be.AppendUint64(b, math.Float64bits(x))
	}
	return b
}
