package h5

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// h5pyPython returns the interpreter with h5py, skipping the test without.
func h5pyPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import h5py").Run(); err != nil {
		t.Skipf("h5py verification skipped: %s -c 'import h5py' failed: %v", py, err)
	}
	return py
}

// TestH5pyReadsOurFiles checks what h5py sees in a file written here.
func TestH5pyReadsOurFiles(t *testing.T) {
	py := h5pyPython(t)
	path := writeSample(t, t.TempDir())
	const script = `
import sys, json, h5py
f = h5py.File(sys.argv[1], 'r')
x = f['a/b/c/f32']
pl = x.id.get_create_plist()
vl = f['names/vlen']
out = {
  'title_type': type(f.attrs['title']).__name__,
  'title': f.attrs['title'],
  'note_type': type(f['new/group'].attrs['note']).__name__,
  'sfreq': [type(f.attrs['sfreq']).__name__, float(f.attrs['sfreq'])],
  'first_samp': [type(f['a/b'].attrs['first_samp']).__name__, int(f['a/b'].attrs['first_samp'])],
  'scale': [str(x.attrs['scale'].dtype), x.attrs['scale'].tolist()],
  'vlen': [str(s) for s in vl.asstr()[()]],
  'vlen_encoding': h5py.check_string_dtype(vl.dtype).encoding,
  'vlen_len': h5py.check_string_dtype(vl.dtype).length,
  'fixed': [str(f['names/fixed'].dtype), [b.decode() for b in f['names/fixed'][()]]],
  'f32': [str(x.dtype), list(x.shape), list(x.chunks), float(x[39, 299])],
  'filters': [pl.get_filter(i)[3].decode().split()[0] for i in range(pl.get_nfilters())],
  'compression': [x.compression, x.compression_opts, x.shuffle],
  'i64': [str(f['ints/i64'].dtype), f['ints/i64'][()].tolist()],
  'i32': str(f['ints/i32'].dtype),
  'u8': str(f['ints/u8'].dtype),
  'empty': [str(f['empty/f64'].dtype), list(f['empty/f64'].shape), list(f['empty/i64_2d'].shape)],
  'scalar': [list(f['scalar'].shape), float(f['scalar'][()])],
  'f64': f['f64'][()].tolist()[0][:2],
}
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script, path)
	raw, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("h5py script failed: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	must(t, json.Unmarshal(raw, &got))
	j := func(s string) any {
		var v any
		must(t, json.Unmarshal([]byte(s), &v))
		return v
	}
	eq(t, "title type", got["title_type"], any("str"))
	eq(t, "title", got["title"], any(unicodeName+" (replaced)"))
	eq(t, "note type", got["note_type"], any("str"))
	eq(t, "sfreq", got["sfreq"], j(`["float64", 90]`))
	eq(t, "first_samp", got["first_samp"], j(`["int64", 2250]`))
	eq(t, "scale", got["scale"], j(`["float64", [1e-13, 2.5]]`))
	eq(t, "vlen", got["vlen"], j(`["MEG0113", "`+unicodeName+`", "", "日本"]`))
	eq(t, "vlen encoding", got["vlen_encoding"], any("utf-8"))
	eq(t, "vlen length", got["vlen_len"], nil)
	eq(t, "fixed", got["fixed"], j(`["|S7", ["MEG0113", "MEG12", ""]]`))
	eq(t, "f32", got["f32"], j(`["float32", [40, 300], [10, 300], 34]`))
	eq(t, "filters in pipeline order", got["filters"], j(`["shuffle", "deflate"]`))
	eq(t, "compression", got["compression"], j(`["gzip", 4, true]`))
	eq(t, "i64", got["i64"], j(`["int64", [-9223372036854775808, -1, 0, 9223372036854775807]]`))
	eq(t, "i32", got["i32"], any("int32"))
	eq(t, "u8", got["u8"], any("uint8"))
	eq(t, "empty", got["empty"], j(`["float64", [0], [3, 0]]`))
	eq(t, "scalar", got["scalar"], j(`[[], 2.75]`))
	eq(t, "f64", got["f64"], j(`[1.5, -2]`))
}

// TestReadH5pyFiles reads types written by h5py/numpy: other byte orders
// and widths, both string kinds, and edge cases.
func TestReadH5pyFiles(t *testing.T) {
	py := h5pyPython(t)
	path := filepath.Join(t.TempDir(), "py.h5")
	const script = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['be_f64'] = np.array([[1.5, -2.0], [3.0, 4.25]], dtype='>f8')
    f['be_f32'] = np.array([0.5, -0.25], dtype='>f4')
    f['le_f16'] = np.array([1.5, 2.0], dtype='<f2')
    f['be_i16'] = np.array([-3, 7], dtype='>i2')
    f['be_u32'] = np.array([4000000000], dtype='>u4')
    f['u64_big'] = np.array([1, 2**63 + 5], dtype='<u8')
    f['u64_ok'] = np.array([1, 2**40], dtype='<u8')
    f['i8'] = np.array([-128, 127], dtype='i1')
    f['bool'] = np.array([True, False])
    f['fixed'] = np.array([b'ab', b'c', b''], dtype='S3')
    f['fixed_2d'] = np.array([[b'a', b'bb'], [b'ccc', b'd']], dtype='S3')
    f.create_dataset('vlen', data=['x', 'é', ''], dtype=h5py.string_dtype())
    f.create_dataset('vlen_ascii', data=[b'p', b'q'], dtype=h5py.string_dtype('ascii'))
    f['scalar_str'] = 'one'
    f['deep/er/chunked'] = np.arange(1000, dtype='>i4')
    f['deep/er'].attrs['i32'] = np.int32(-7)
    f.create_dataset('gz', data=np.arange(100.0), compression='gzip', shuffle=True, chunks=(7,))
    f.attrs['bytes'] = np.bytes_(b'hello')
    f.attrs['str'] = 'w\u00f6rld'
    f.attrs['arr'] = np.array([1.0, 2.0, 3.0], dtype='>f4')
    f.attrs['be_i64'] = np.array(5, dtype='>i8')
    f.attrs['empty'] = h5py.Empty('f8')
    f.attrs['list_str'] = ['a', 'b']
`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("h5py script failed: %v\n%s", err, out)
	}
	f, err := Open(path)
	must(t, err)
	defer f.Close()

	fl := func(name string, want []float64, wantDims []int) {
		t.Helper()
		d, dims, err := f.ReadFloat64(name)
		must(t, err)
		eq(t, name, d, want)
		eq(t, name+" dims", dims, wantDims)
	}
	fl("be_f64", []float64{1.5, -2, 3, 4.25}, []int{2, 2})
	fl("be_f32", []float64{0.5, -0.25}, []int{2})
	fl("le_f16", []float64{1.5, 2}, []int{2})
	fl("be_i16", []float64{-3, 7}, []int{2})
	fl("be_u32", []float64{4000000000}, []int{1})
	fl("u64_big", []float64{1, 1 << 63}, []int{2})
	gz, _, err := f.ReadFloat64("gz")
	must(t, err)
	for i, v := range gz {
		if v != float64(i) {
			t.Fatalf("gz[%d] = %v", i, v)
		}
	}

	in := func(name string, want []int64) {
		t.Helper()
		d, _, err := f.ReadInt64(name)
		must(t, err)
		eq(t, name, d, want)
	}
	in("be_i16", []int64{-3, 7})
	in("be_u32", []int64{4000000000})
	in("u64_ok", []int64{1, 1 << 40})
	in("i8", []int64{-128, 127})
	ch, _, err := f.ReadInt64("deep/er/chunked")
	must(t, err)
	eq(t, "chunked len", len(ch), 1000)
	eq(t, "chunked last", ch[999], int64(999))
	if _, _, err := f.ReadInt64("u64_big"); err == nil || !strings.Contains(err.Error(), "does not fit int64") {
		t.Errorf("u64_big: err = %v, want an overflow error", err)
	}
	if _, _, err := f.ReadFloat64("bool"); err == nil || !strings.Contains(err.Error(), "enum") {
		t.Errorf("bool (enum): err = %v, want a type error", err)
	}

	st := func(name string, want []string) {
		t.Helper()
		s, err := f.ReadStrings(name)
		must(t, err)
		eq(t, name, s, want)
	}
	st("fixed", []string{"ab", "c", ""})
	st("fixed_2d", []string{"a", "bb", "ccc", "d"})
	st("vlen", []string{"x", "é", ""})
	st("vlen_ascii", []string{"p", "q"})
	st("scalar_str", []string{"one"})

	as := func(attr, want string) {
		t.Helper()
		s, err := f.AttrString("/", attr)
		must(t, err)
		eq(t, attr, s, want)
	}
	as("bytes", "hello")
	as("str", "wörld")
	fa, err := f.AttrFloat64s("", "arr")
	must(t, err)
	eq(t, "arr", fa, []float64{1, 2, 3})
	iv, err := f.AttrInt64("/", "be_i64")
	must(t, err)
	eq(t, "be_i64", iv, int64(5))
	iv, err = f.AttrInt64("deep/er", "i32")
	must(t, err)
	eq(t, "i32 attr", iv, int64(-7))
	fa, err = f.AttrFloat64s("/", "empty")
	must(t, err)
	eq(t, "empty attr", fa, []float64{})
	if _, err := f.AttrString("/", "list_str"); err == nil || !strings.Contains(err.Error(), "want a single string") {
		t.Errorf("list_str: err = %v, want a shape error", err)
	}
	an, err := f.AttrNames("")
	must(t, err)
	eq(t, "attr names", an, []string{"arr", "be_i64", "bytes", "empty", "list_str", "str"})
}
