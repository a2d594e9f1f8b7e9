package tag

import "fmt"

// Type is a FIFF data type code (the second word of a tag header).
// Matrix types carry a coding in the high 16 bits and the element type in
// the low 16 bits.
type Type uint32

// FIFF data types.
const (
	Void               Type = 0
	Byte               Type = 1
	Short              Type = 2
	Int                Type = 3
	Float              Type = 4
	Double             Type = 5
	Julian             Type = 6
	UShort             Type = 7
	UInt               Type = 8
	ULong              Type = 9
	String             Type = 10
	Long               Type = 11
	DauPack13          Type = 13
	DauPack14          Type = 14
	DauPack16          Type = 16
	ComplexFloat       Type = 20
	ComplexDouble      Type = 21
	OldPack            Type = 23
	ChInfoStruct       Type = 30
	IDStruct           Type = 31
	DirEntryStruct     Type = 32
	DigPointStruct     Type = 33
	ChPosStruct        Type = 34
	CoordTransStruct   Type = 35
	DigStringStruct    Type = 36
	StreamSegmentStruc Type = 37

	// Matrix codings (high 16 bits of the type word).
	MatrixDense Type = 0x40000000
	MatrixCCS   Type = 0x40100000 // sparse, compressed column storage
	MatrixRCS   Type = 0x40200000 // sparse, compressed row storage

	codingMask Type = 0xFFFF0000
	elemMask   Type = 0x0000FFFF
)

// Coding returns the matrix coding bits of t (0 for a non-matrix type).
func (t Type) Coding() Type { return t & codingMask }

// Elem returns the element type of a matrix type, or t itself.
func (t Type) Elem() Type { return t & elemMask }

// IsMatrix reports whether t is a dense or sparse matrix type.
func (t Type) IsMatrix() bool { return t.Coding() != 0 }

// ElemSize is the size in bytes of one element of t (of its element type
// for matrices), or 0 for variable-size and struct types without a fixed
// element size.
func (t Type) ElemSize() int {
	switch t.Elem() {
	case Byte, String:
		return 1
	case Short, UShort, DauPack16:
		return 2
	case Int, Float, Julian, UInt:
		return 4
	case Double, Long, ULong, ComplexFloat:
		return 8
	case ComplexDouble:
		return 16
	case ChInfoStruct:
		return ChInfoSize
	case IDStruct:
		return IDSize
	case DirEntryStruct:
		return DirEntrySize
	case DigPointStruct:
		return DigPointSize
	case CoordTransStruct:
		return CoordTransSize
	}
	return 0
}

var typeNames = map[Type]string{
	Void: "void", Byte: "byte", Short: "short", Int: "int", Float: "float",
	Double: "double", Julian: "julian", UShort: "ushort", UInt: "uint",
	ULong: "ulong", String: "string", Long: "long", DauPack13: "dau_pack13",
	DauPack14: "dau_pack14", DauPack16: "dau_pack16",
	ComplexFloat: "complex_float", ComplexDouble: "complex_double",
	OldPack: "old_pack", ChInfoStruct: "ch_info_struct",
	IDStruct: "id_struct", DirEntryStruct: "dir_entry_struct",
	DigPointStruct: "dig_point_struct", ChPosStruct: "ch_pos_struct",
	CoordTransStruct: "coord_trans_struct", DigStringStruct: "dig_string_struct",
	StreamSegmentStruc: "stream_segment_struct",
}

func (t Type) String() string {
	prefix := ""
	switch t.Coding() {
	case 0:
	case MatrixDense:
		prefix = "matrix "
	case MatrixCCS:
		prefix = "sparse ccs matrix "
	case MatrixRCS:
		prefix = "sparse rcs matrix "
	default:
		return fmt.Sprintf("type 0x%08x", uint32(t))
	}
	if n, ok := typeNames[t.Elem()]; ok {
		return prefix + n
	}
	return fmt.Sprintf("%stype %d", prefix, uint32(t.Elem()))
}
