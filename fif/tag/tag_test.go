package tag

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Kind: ChInfo, Type: ChInfoStruct, Size: ChInfoSize, Next: NextNone}
	b := AppendHeader(nil, h)
	if len(b) != HeaderSize {
		t.Fatalf("header of %d bytes", len(b))
	}
	got, err := DecodeHeader(b)
	if err != nil || got != h {
		t.Fatalf("got %+v (%v), want %+v", got, err, h)
	}
	if _, err := DecodeHeader(b[:15]); err == nil {
		t.Error("short header decoded")
	}
	if p, ok := (Header{Size: 8}).NextPos(100); !ok || p != 124 {
		t.Errorf("sequential next %d %v", p, ok)
	}
	if _, ok := (Header{Next: NextNone}).NextPos(100); ok {
		t.Error("last tag has a successor")
	}
}

func TestIntsFloats(t *testing.T) {
	b := AppendInt32s(nil, -1, 2, math.MaxInt32)
	v, err := Ints(Int, b)
	if err != nil || !reflect.DeepEqual(v, []int64{-1, 2, math.MaxInt32}) {
		t.Errorf("ints %v %v", v, err)
	}
	f, err := Floats(Int, b)
	if err != nil || f[0] != -1 {
		t.Errorf("ints as floats %v %v", f, err)
	}
	if _, err := Ints(Int, b[:5]); err == nil {
		t.Error("partial int decoded")
	}
	if _, err := Ints(Float, b); err == nil {
		t.Error("float decoded as int")
	}
	f32 := AppendFloat32s(nil, 0.1, -2.5)
	f, err = Floats(Float, f32)
	if err != nil || f[0] != float64(float32(0.1)) || f[1] != -2.5 {
		t.Errorf("floats %v %v", f, err)
	}
	f64 := AppendFloat64s(nil, math.Pi)
	if f, _ := Floats(Double, f64); f[0] != math.Pi {
		t.Errorf("double %v", f)
	}
	if _, err := Floats(ChInfoStruct, f64); err == nil {
		t.Error("struct decoded as numbers")
	}
	s := []byte{0xff, 0xfe, 0, 1}
	if v, _ := Ints(Short, s); !reflect.DeepEqual(v, []int64{-2, 1}) {
		t.Errorf("shorts %v", v)
	}
	if v, _ := Ints(UShort, s); !reflect.DeepEqual(v, []int64{65534, 1}) {
		t.Errorf("ushorts %v", v)
	}
}

func TestStrings(t *testing.T) {
	for _, s := range []string{"", "MEG 0113", "Müller", "fusiform – é ☃"} {
		if got := Str(AppendStr(nil, s)); got != s {
			t.Errorf("%q round-trips to %q", s, got)
		}
	}
	if got := Str([]byte("abc\x00\x00")); got != "abc" {
		t.Errorf("trailing NULs kept: %q", got)
	}
}

func TestStructs(t *testing.T) {
	id := ID{Version: 65539, MachID: [2]int32{1, -2}, Secs: 1e9, Usecs: 5}
	if got, err := DecodeID(AppendID(nil, id)); err != nil || got != id {
		t.Errorf("id %+v %v", got, err)
	}
	ch := ChInfoRec{ScanNo: 1, LogNo: 113, Kind: 1, Range: 1, Cal: 3.1e-13, CoilType: 3012,
		Unit: 201, UnitMul: 0, Name: "MEG0113"}
	for i := range ch.Loc {
		ch.Loc[i] = float32(i) * 0.25
	}
	b := AppendChInfo(nil, ch)
	if len(b) != ChInfoSize {
		t.Fatalf("channel info of %d bytes", len(b))
	}
	if got, err := DecodeChInfo(b); err != nil || got != ch {
		t.Errorf("channel info %+v %v", got, err)
	}
	long := ch
	long.Name = "A_VERY_LONG_CHANNEL_NAME"
	if got, _ := DecodeChInfo(AppendChInfo(nil, long)); got.Name != long.Name[:15] {
		t.Errorf("long name stored as %q", got.Name)
	}
	tr := CoordTransRec{From: 1, To: 4, Rot: [9]float32{1, 0, 0, 0, 1, 0, 0, 0, 1}, Move: [3]float32{0.1, 0.2, 0.3}}
	tr.InvRot = tr.Rot
	tr.InvMove = [3]float32{-0.1, -0.2, -0.3}
	b = AppendCoordTrans(nil, tr)
	if len(b) != CoordTransSize {
		t.Fatalf("transform of %d bytes", len(b))
	}
	if got, err := DecodeCoordTrans(b); err != nil || got != tr {
		t.Errorf("transform %+v %v", got, err)
	}
	d := DigPointRec{Kind: 1, Ident: 2, R: [3]float32{0, 0.1, 0}}
	if got, err := DecodeDigPoint(AppendDigPoint(nil, d)); err != nil || got != d {
		t.Errorf("dig point %+v %v", got, err)
	}
	ds := AppendInt32s(nil, 3, 7, 2)
	ds = AppendFloat32s(ds, 1, 2, 3, 4, 5, 6)
	pts, err := DecodeDigString(ds)
	if err != nil || len(pts) != 2 || pts[1].R[2] != 6 || pts[0].Ident != 7 {
		t.Errorf("dig string %+v %v", pts, err)
	}
	if _, err := DecodeDigString(AppendInt32s(nil, 3, 7, 1e6)); err == nil {
		t.Error("dig string with a lying count decoded")
	}
	dir := []DirEntry{{Kind: 100, Type: IDStruct, Size: 20, Pos: 0}, {Kind: 101, Type: Int, Size: 4, Pos: 36}}
	if got, err := DecodeDir(AppendDir(nil, dir)); err != nil || !reflect.DeepEqual(got, dir) {
		t.Errorf("dir %+v %v", got, err)
	}
	op := AppendFloat32s(nil, 1, 0.5)
	op = append(op, 0xff, 0xfe, 0, 4)
	if v, err := DecodeOldPack(op); err != nil || v[0] != 0 || v[1] != 3 {
		t.Errorf("old pack %v %v", v, err)
	}
}

func TestMatrix(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6}
	for _, elem := range []Type{Float, Double, Int} {
		b := AppendMatrix(nil, elem, []int{2, 3}, data)
		m, err := DecodeMatrix(MatrixDense|elem, b)
		if err != nil || !reflect.DeepEqual(m.Dims, []int{2, 3}) || !reflect.DeepEqual(m.Data, data) {
			t.Errorf("%s matrix %+v %v", elem, m, err)
		}
		if m.Rows() != 2 || m.Cols() != 3 {
			t.Errorf("rows %d cols %d", m.Rows(), m.Cols())
		}
	}
	b := AppendMatrix(nil, Float, []int{2, 3}, data)
	lying := append([]byte(nil), b...)
	be.PutUint32(lying[len(lying)-8:], 1<<30) // rows
	if _, err := DecodeMatrix(MatrixDense|Float, lying); err == nil || !strings.Contains(err.Error(), "need") {
		t.Errorf("matrix with lying dims: %v", err)
	}
	be.PutUint32(lying[len(lying)-4:], 99)
	if _, err := DecodeMatrix(MatrixDense|Float, lying); err == nil {
		t.Error("matrix with 99 dimensions decoded")
	}
	if _, err := DecodeMatrix(MatrixDense|Float, nil); err == nil {
		t.Error("empty matrix payload decoded")
	}

	// [[1 0 2], [0 0 3]] as CCS and RCS.
	ccs := Sparse{Coding: MatrixCCS, NRow: 2, NCol: 3, Data: []float64{1, 2, 3}, Indices: []int32{0, 0, 1}, Ptr: []int32{0, 1, 1, 3}}
	rcs := Sparse{Coding: MatrixRCS, NRow: 2, NCol: 3, Data: []float64{1, 2, 3}, Indices: []int32{0, 2, 2}, Ptr: []int32{0, 2, 3}}
	want := []float64{1, 0, 2, 0, 0, 3}
	for _, s := range []Sparse{ccs, rcs} {
		got, err := DecodeSparse(s.Coding|Float, AppendSparse(nil, Float, s))
		if err != nil || !reflect.DeepEqual(got.Dense(), want) {
			t.Errorf("sparse %v: %v %v", s.Coding, got.Dense(), err)
		}
	}
	bad := ccs
	bad.Indices = []int32{0, 5, 1}
	if _, err := DecodeSparse(MatrixCCS|Float, AppendSparse(nil, Float, bad)); err == nil {
		t.Error("sparse matrix with an index out of range decoded")
	}
	if _, err := DecodeSparse(MatrixCCS|Float, []byte{0, 0, 0, 2}); err == nil {
		t.Error("truncated sparse matrix decoded")
	}
}

func TestTypeNames(t *testing.T) {
	for ty, want := range map[Type]string{Float: "float", MatrixDense | Double: "matrix double",
		MatrixCCS | Float: "sparse ccs matrix float", Type(999): "type 999"} {
		if got := ty.String(); got != want {
			t.Errorf("%d: %q, want %q", uint32(ty), got, want)
		}
	}
	if !strings.Contains(KindName(DataBuffer), "data_buffer") || KindName(424242) != "424242" {
		t.Error("kind names")
	}
}
