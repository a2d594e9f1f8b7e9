package h5

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// sharedDir returns the project's shared/ directory, which lies next to the
// repository checkout: ../../../shared seen from this package.
func sharedDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "..", "..", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// goldenFile returns the path of a golden file, skipping the test if it is
// absent.
func goldenFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), "golden", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("golden file %s not available: %v", p, err)
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// noLeftovers checks that dir holds nothing but the names in keep.
func noLeftovers(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if keep == nil {
		keep = []string{}
	}
	if names == nil {
		names = []string{}
	}
	eq(t, "files in "+dir, names, keep)
}

const unicodeName = "fusiform_1 – é"

// writeSample writes one of everything and returns the path.
func writeSample(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "sample.h5")
	w, err := Create(path)
	must(t, err)
	defer w.Abort()
	big := make([]float32, 40*300)
	for i := range big {
		big[i] = float32(i%97) * 0.5
	}
	must(t, w.WriteFloat64("f64", []float64{1.5, -2, math.Inf(1), math.SmallestNonzeroFloat64, 4, 5}, []int{2, 3}))
	must(t, w.WriteFloat32("a/b/c/f32", big, []int{40, 300}, Chunks(10, 1000), Shuffle(), Gzip(4)))
	must(t, w.WriteFloat64("a/b/auto", []float64{1, 2, 3}, nil, Gzip(9)))
	must(t, w.WriteInt64("ints/i64", []int64{math.MinInt64, -1, 0, math.MaxInt64}, nil))
	must(t, w.WriteInt32("ints/i32", []int32{math.MinInt32, 7, math.MaxInt32}, nil, Shuffle()))
	must(t, w.WriteUint8("ints/u8", []uint8{0, 1, 255}, nil))
	must(t, w.WriteFloat64("empty/f64", []float64{}, []int{0}, Gzip(6)))
	must(t, w.WriteInt64("empty/i64_2d", nil, []int{3, 0}, Chunks(1, 1), Shuffle()))
	must(t, w.WriteFloat64("scalar", []float64{2.75}, []int{}))
	must(t, w.WriteStrings("names/vlen", []string{"MEG0113", unicodeName, "", "日本"}, Gzip(1)))
	must(t, w.WriteStrings("names/vlen_empty", nil))
	must(t, w.WriteFixedStrings("names/fixed", []string{"MEG0113", "MEG12", ""}))
	must(t, w.WriteFixedStrings("names/fixed_empty", []string{}))
	must(t, w.CreateGroup("lonely/group"))
	must(t, w.SetAttrString("", "title", unicodeName))
	must(t, w.SetAttrString("/", "produced_by", "h5 test"))
	must(t, w.SetAttrFloat64("/", "sfreq", 90))
	must(t, w.SetAttrInt64("a/b", "first_samp", 2250))
	must(t, w.SetAttrFloat64s("a/b/c/f32", "scale", []float64{1e-13, 2.5}))
	must(t, w.SetAttrInt64s("a/b/c/f32", "secs_usecs", []int64{1414419178, 25607}))
	must(t, w.SetAttrInt64s("a/b/c/f32", "none", []int64{}))
	must(t, w.SetAttrString("new/group", "note", "created by SetAttr"))
	must(t, w.SetAttrString("/", "title", unicodeName+" (replaced)"))
	must(t, w.Close())
	return path
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir)
	noLeftovers(t, dir, "sample.h5")

	f, err := Open(path)
	must(t, err)
	defer f.Close()

	d, dims, err := f.ReadFloat64("f64")
	must(t, err)
	eq(t, "f64", d, []float64{1.5, -2, math.Inf(1), math.SmallestNonzeroFloat64, 4, 5})
	eq(t, "f64 dims", dims, []int{2, 3})

	d, dims, err = f.ReadFloat64("/a//b/c/f32/")
	must(t, err)
	eq(t, "f32 dims", dims, []int{40, 300})
	for i, v := range d {
		if v != float64(i%97)*0.5 {
			t.Fatalf("f32[%d] = %v, want %v", i, v, float64(i%97)*0.5)
		}
	}
	d, _, err = f.ReadFloat64("a/b/auto")
	must(t, err)
	eq(t, "auto", d, []float64{1, 2, 3})

	i64, dims, err := f.ReadInt64("ints/i64")
	must(t, err)
	eq(t, "i64", i64, []int64{math.MinInt64, -1, 0, math.MaxInt64})
	eq(t, "i64 dims", dims, []int{4})
	i64, _, err = f.ReadInt64("ints/i32")
	must(t, err)
	eq(t, "i32", i64, []int64{math.MinInt32, 7, math.MaxInt32})
	i64, _, err = f.ReadInt64("ints/u8")
	must(t, err)
	eq(t, "u8", i64, []int64{0, 1, 255})
	d, _, err = f.ReadFloat64("ints/u8")
	must(t, err)
	eq(t, "u8 as float", d, []float64{0, 1, 255})

	d, dims, err = f.ReadFloat64("empty/f64")
	must(t, err)
	eq(t, "empty", d, []float64{})
	eq(t, "empty dims", dims, []int{0})
	i64, dims, err = f.ReadInt64("empty/i64_2d")
	must(t, err)
	eq(t, "empty 2d", i64, []int64{})
	eq(t, "empty 2d dims", dims, []int{3, 0})

	d, dims, err = f.ReadFloat64("scalar")
	must(t, err)
	eq(t, "scalar", d, []float64{2.75})
	eq(t, "scalar dims", dims, []int{})

	s, err := f.ReadStrings("names/vlen")
	must(t, err)
	eq(t, "vlen", s, []string{"MEG0113", unicodeName, "", "日本"})
	s, err = f.ReadStrings("names/vlen_empty")
	must(t, err)
	eq(t, "vlen empty", s, []string{})
	s, err = f.ReadStrings("names/fixed")
	must(t, err)
	eq(t, "fixed", s, []string{"MEG0113", "MEG12", ""})
	s, err = f.ReadStrings("names/fixed_empty")
	must(t, err)
	eq(t, "fixed empty", s, []string{})

	names, err := f.ListGroup("")
	must(t, err)
	eq(t, "root members", names, []string{"a", "empty", "f64", "ints", "lonely", "names", "new", "scalar"})
	names, err = f.ListGroup("a/b")
	must(t, err)
	eq(t, "a/b members", names, []string{"auto", "c"})
	names, err = f.ListGroup("lonely/group")
	must(t, err)
	eq(t, "empty group", names, []string{})

	for _, p := range []string{"", "/", "a", "a/b/c/f32", "/names/vlen", "lonely/group", "new/group"} {
		if !f.Exists(p) {
			t.Errorf("Exists(%q) = false", p)
		}
	}
	for _, p := range []string{"nope", "a/nope", "f64/x", "a/b/c/f32/deeper", "nope/deeper"} {
		if f.Exists(p) {
			t.Errorf("Exists(%q) = true", p)
		}
	}

	an, err := f.AttrNames("/")
	must(t, err)
	eq(t, "root attrs", an, []string{"produced_by", "sfreq", "title"})
	an, err = f.AttrNames("f64")
	must(t, err)
	eq(t, "no attrs", an, []string{})
	str, err := f.AttrString("", "title")
	must(t, err)
	eq(t, "title", str, unicodeName+" (replaced)")
	str, err = f.AttrString("new/group", "note")
	must(t, err)
	eq(t, "note", str, "created by SetAttr")
	fv, err := f.AttrFloat64("/", "sfreq")
	must(t, err)
	eq(t, "sfreq", fv, 90.0)
	iv, err := f.AttrInt64("a/b", "first_samp")
	must(t, err)
	eq(t, "first_samp", iv, int64(2250))
	fv, err = f.AttrFloat64("a/b", "first_samp")
	must(t, err)
	eq(t, "first_samp as float", fv, 2250.0)
	fa, err := f.AttrFloat64s("a/b/c/f32", "scale")
	must(t, err)
	eq(t, "scale", fa, []float64{1e-13, 2.5})
	is, err := f.AttrInt64s("a/b/c/f32", "secs_usecs")
	must(t, err)
	eq(t, "secs_usecs", is, []int64{1414419178, 25607})
	is, err = f.AttrInt64s("a/b/c/f32", "none")
	must(t, err)
	eq(t, "empty attr", is, []int64{})
	fa, err = f.AttrFloat64s("/", "sfreq")
	must(t, err)
	eq(t, "scalar as array", fa, []float64{90})
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir)
	f, err := Open(path)
	must(t, err)

	check := func(what string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", what, err, w)
			}
		}
	}
	_, _, err = f.ReadFloat64("raw/x/data")
	check("missing", err, "h5: "+path+": raw/x/data: not found")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v is not ErrNotFound", err)
	}
	_, err = f.AttrFloat64("a/b", "nope")
	check("missing attr", err, path+`: a/b: attribute "nope": not found`)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing attr: %v is not ErrNotFound", err)
	}
	_, err = f.AttrString("nope", "x")
	check("attr of missing object", err, ": nope: ", "not found")
	_, _, err = f.ReadInt64("f64")
	check("int of float", err, "f64: has float type, not an integer type")
	_, _, err = f.ReadFloat64("names/vlen")
	check("float of string", err, "not a number type")
	_, err = f.ReadStrings("ints/i64")
	check("strings of int", err, "not a string type")
	_, _, err = f.ReadFloat64("a/b")
	check("group as dataset", err, "a/b: is a group, not a dataset")
	_, err = f.ListGroup("f64")
	check("dataset as group", err, "is a dataset, not a group")
	_, err = f.AttrString("a/b", "first_samp")
	check("string of int attr", err, "not a string type")
	_, err = f.AttrFloat64("a/b/c/f32", "scale")
	check("scalar of array attr", err, "want a single value")
	_, err = f.AttrFloat64("", "title")
	check("float of string attr", err, `attribute "title"`, "not a number type")

	must(t, f.Close())
	must(t, f.Close())
	_, _, err = f.ReadFloat64("f64")
	check("closed", err, "file is closed")
	if f.Exists("f64") {
		t.Error("Exists on a closed file")
	}

	_, err = Open(filepath.Join(dir, "missing.h5"))
	check("open missing", err, "h5: "+filepath.Join(dir, "missing.h5")+": no such file")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open missing: %v is not fs.ErrNotExist", err)
	}
	junk := filepath.Join(dir, "junk.h5")
	must(t, os.WriteFile(junk, []byte("not hdf5 at all"), 0o644))
	_, err = Open(junk)
	check("open junk", err, junk+": not an HDF5 file")
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.h5")
	w, err := Create(path)
	must(t, err)
	must(t, w.WriteFloat64("x", []float64{1, 2}, nil))
	w.Abort()
	w.Abort()
	noLeftovers(t, dir)
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	if err := w.WriteFloat64("y", []float64{1}, nil); err == nil {
		t.Error("write after Abort succeeded")
	}
	noLeftovers(t, dir)
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	bad := map[string]func(w *Writer) error{
		"dims mismatch": func(w *Writer) error { return w.WriteFloat64("x", []float64{1, 2, 3}, []int{2, 2}) },
		"negative dim":  func(w *Writer) error { return w.WriteInt64("x", nil, []int{-1}) },
		"bad gzip":      func(w *Writer) error { return w.WriteFloat64("x", []float64{1}, nil, Gzip(12)) },
		"bad chunks":    func(w *Writer) error { return w.WriteFloat64("x", []float64{1, 2}, nil, Chunks(1, 1)) },
		"duplicate":     func(w *Writer) error { return w.WriteUint8("ok", []uint8{1}, nil) },
		"under dataset": func(w *Writer) error { return w.WriteUint8("ok/x", []uint8{1}, nil) },
		"root dataset":  func(w *Writer) error { return w.WriteUint8("/", []uint8{1}, nil) },
		"nul string":    func(w *Writer) error { return w.WriteStrings("s", []string{"a\x00b"}) },
		"bad utf8":      func(w *Writer) error { return w.SetAttrString("/", "s", "\xff") },
		"non-ascii":     func(w *Writer) error { return w.WriteFixedStrings("s", []string{"é"}) },
		"empty attr":    func(w *Writer) error { return w.SetAttrInt64("/", "", 1) },
	}
	for name, fn := range bad {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.h5")
			// An existing target stays untouched by a failed write.
			must(t, os.WriteFile(path, []byte("previous"), 0o644))
			w, err := Create(path)
			must(t, err)
			defer w.Abort()
			must(t, w.WriteUint8("ok", []uint8{1}, nil))
			err = fn(w)
			if err == nil {
				t.Fatal("bad write succeeded")
			}
			if !strings.HasPrefix(err.Error(), "h5: "+path+": ") {
				t.Errorf("error %q does not name the target file", err)
			}
			if err2 := w.WriteUint8("later", []uint8{1}, nil); err2 == nil {
				t.Error("write after a failed write succeeded")
			}
			cerr := w.Close()
			if cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("Close = %v, want the first error %v", cerr, err)
			}
			noLeftovers(t, dir, "out.h5")
			b, _ := os.ReadFile(path)
			eq(t, "target content", string(b), "previous")
		})
	}
}

func TestCloseReplacesTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.h5")
	must(t, os.WriteFile(path, []byte("previous"), 0o644))
	w, err := Create(path)
	must(t, err)
	must(t, w.WriteInt64("n", []int64{42}, nil))
	must(t, w.Close())
	w.Abort() // no-op after Close: must not remove the result
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	noLeftovers(t, dir, "out.h5")
	f, err := Open(path)
	must(t, err)
	defer f.Close()
	n, _, err := f.ReadInt64("n")
	must(t, err)
	eq(t, "n", n, []int64{42})
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir)
	b, err := os.ReadFile(path)
	must(t, err)
	short := filepath.Join(dir, "short.h5")
	must(t, os.WriteFile(short, b[:len(b)/2], 0o644))
	_, err = Open(short)
	if err == nil || !strings.Contains(err.Error(), "h5: "+short+": cannot open file (libhdf5: ") ||
		!strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated file: err = %v", err)
	}
}

func TestCreateInMissingDir(t *testing.T) {
	dir := t.TempDir()
	_, err := Create(filepath.Join(dir, "no", "such", "out.h5"))
	if err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
	noLeftovers(t, dir)
}

func TestConcurrentReads(t *testing.T) {
	path := writeSample(t, t.TempDir())
	f, err := Open(path)
	must(t, err)
	defer f.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, _, err := f.ReadFloat64("a/b/c/f32"); err != nil {
					t.Error(err)
					return
				}
				if _, _, err := f.ReadFloat64("missing"); !errors.Is(err, ErrNotFound) {
					t.Errorf("missing: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestNoStderrNoise runs failing calls from many goroutines (so on many OS
// threads) in a child process and checks that libhdf5 printed nothing.
func TestNoStderrNoise(t *testing.T) {
	if os.Getenv("H5_TEST_NOISE_CHILD") == "1" {
		noiseChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoStderrNoise$")
	cmd.Env = append(os.Environ(), "H5_TEST_NOISE_CHILD="+"1", "H5_TEST_NOISE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "HDF5") || strings.Contains(string(out), "#000") {
		t.Errorf("libhdf5 wrote to stderr:\n%s", out)
	}
}

func noiseChild() {
	dir := os.Getenv("H5_TEST_NOISE_DIR")
	path := filepath.Join(dir, "n.h5")
	w, _ := Create(path)
	_ = w.WriteFloat64("x", []float64{1}, nil)
	_ = w.Close()
	junk := filepath.Join(dir, "junk.h5")
	_ = os.WriteFile(junk, []byte("junk"), 0o644)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, _ = Open(junk)
				f, err := Open(path)
				if err != nil {
					continue
				}
				_, _, _ = f.ReadFloat64("x/y/z")
				_, _ = f.AttrString("x", "nope")
				_, _ = f.ReadStrings("x")
				_ = f.Close()
				w, err := Create(filepath.Join(dir, "w.h5"))
				if err == nil {
					_ = w.WriteFloat64("x", []float64{1}, []int{5})
					w.Abort()
				}
			}
		}()
	}
	wg.Wait()
}

func TestGuessChunks(t *testing.T) {
	eq(t, "small", guessChunks([]int{3, 4}, 8), []int{3, 4})
	c := guessChunks([]int{306, 51905}, 8)
	n := 8
	for i, d := range c {
		n *= d
		if d < 1 || d > []int{306, 51905}[i] {
			t.Fatalf("bad chunk %v", c)
		}
	}
	if n > 1<<20 || n < 1<<18 {
		t.Errorf("chunk %v has %d bytes", c, n)
	}
}

func TestGoldenFifRead(t *testing.T) {
	path := goldenFile(t, "fif_read.h5")
	f, err := Open(path)
	must(t, err)
	defer f.Close()
	const raw = "raw/141027_cropped_90Hz_raw"

	names, err := f.ListGroup("raw")
	must(t, err)
	eq(t, "raw members", names, []string{"141027_cropped_90Hz_raw", "facerec_sim_raw",
		"sample_audvis_trunc_raw_sss", "test_elekta_3ch_raw", "test_move_anon_erm_raw"})

	ch, err := f.ReadStrings(raw + "/ch_names")
	must(t, err)
	eq(t, "len(ch_names)", len(ch), 306)
	eq(t, "ch_names[0,2,305]", []string{ch[0], ch[2], ch[305]}, []string{"MEG0113", "MEG0111", "MEG2641"})
	bads, err := f.ReadStrings(raw + "/bads")
	must(t, err)
	eq(t, "bads", bads, []string{})

	data, dims, err := f.ReadFloat64(raw + "/data")
	must(t, err)
	eq(t, "data dims", dims, []int{306, 900})
	eq(t, "data[0,0]", data[0], 5.294233031539762e-11)
	eq(t, "data[0,1]", data[1], 7.630178174592743e-12)
	eq(t, "data[305,899]", data[305*900+899], -3.099871569121617e-12)

	sfreq, err := f.AttrFloat64(raw, "sfreq")
	must(t, err)
	eq(t, "sfreq", sfreq, 90.0)
	first, err := f.AttrInt64(raw, "first_samp")
	must(t, err)
	eq(t, "first_samp", first, int64(2250))
	date, err := f.AttrString(raw, "meas_date")
	must(t, err)
	eq(t, "meas_date", date, "2014-10-27T14:12:58.025607+00:00")
	su, err := f.AttrInt64s(raw, "meas_date_secs_usecs")
	must(t, err)
	eq(t, "meas_date_secs_usecs", su, []int64{1414419178, 25607})
	v, err := f.AttrString("/", "mne_version")
	must(t, err)
	eq(t, "mne_version", v, "1.3.0")
	an, err := f.AttrNames(raw)
	must(t, err)
	eq(t, "raw attrs", an, []string{"file", "first_samp", "highpass", "last_samp", "lowpass",
		"meas_date", "meas_date_secs_usecs", "n_times", "orig_format", "sfreq"})

	coil, dims, err := f.ReadInt64(raw + "/coil_type")
	must(t, err)
	eq(t, "coil_type dims", dims, []int{306})
	eq(t, "coil_type[:3]", coil[:3], []int64{3012, 3012, 3022})
	var sum int64
	for _, c := range coil {
		sum += c
	}
	eq(t, "sum(coil_type)", sum, int64(922692))

	ev, dims, err := f.ReadInt64("events/sample_audvis_trunc_raw-eve/events")
	must(t, err)
	eq(t, "events dims", dims, []int{50, 3})
	eq(t, "events[0]", ev[:3], []int64{13988, 0, 2})
	eq(t, "events[49]", ev[147:], []int64{18734, 4, 0})

	if _, _, err := f.ReadInt64(raw + "/data"); err == nil {
		t.Error("ReadInt64 of float data succeeded")
	}
	if _, _, err := f.ReadFloat64(raw + "/nope"); !errors.Is(err, ErrNotFound) ||
		err.Error() != "h5: "+path+": "+raw+"/nope: not found" {
		t.Errorf("missing dataset error = %v", err)
	}
}

// TestNoHandleLeaks checks that reads, failed reads and writes close every
// HDF5 identifier they open.
func TestNoHandleLeaks(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir)
	f, err := Open(path)
	must(t, err)
	defer f.Close()
	_, _, _ = f.ReadFloat64("a/b/c/f32")
	_, _, _ = f.ReadInt64("ints/u8")
	_, _ = f.ReadStrings("names/vlen")
	_, _ = f.ReadStrings("names/fixed")
	_, _ = f.ListGroup("/")
	_, _ = f.AttrNames("/")
	_, _ = f.AttrString("/", "title")
	_, _ = f.AttrInt64s("a/b/c/f32", "secs_usecs")
	_, _, _ = f.ReadFloat64("names/vlen") // type error
	_, _ = f.AttrFloat64("a/b", "nope")   // missing attribute
	_, _ = f.ListGroup("f64")             // not a group
	if n := openObjects(f.id); n != 1 {
		t.Errorf("reader: %d identifiers open, want 1 (the file)", n)
	}

	w, err := Create(filepath.Join(dir, "w.h5"))
	must(t, err)
	defer w.Abort()
	must(t, w.WriteFloat32("g/x", []float32{1, 2, 3, 4}, []int{2, 2}, Shuffle(), Gzip(1)))
	must(t, w.WriteStrings("g/s", []string{"a", "é"}))
	must(t, w.WriteFixedStrings("g/f", []string{"a", "bc"}))
	must(t, w.SetAttrString("g", "a", "v"))
	must(t, w.SetAttrString("g", "a", "replaced"))
	must(t, w.SetAttrFloat64s("g/x", "b", []float64{1}))
	must(t, w.CreateGroup("h/i"))
	if n := openObjects(w.id); n != 1 {
		t.Errorf("writer: %d identifiers open, want 1 (the file)", n)
	}
	must(t, w.Close())
}

func TestSlabWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slab.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.CreateFloat64("g/data", []int{3, 10}, Gzip(4), Shuffle())
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 10; c += 4 { // column blocks of 4, 4, 2
		n := min(4, 10-c)
		block := make([]float64, 3*n)
		for r := range 3 {
			for k := range n {
				block[r*n+k] = float64(10*r + c + k)
			}
		}
		if err := d.WriteFloat64Slab([]int{0, c}, []int{3, n}, block); err != nil {
			t.Fatal(err)
		}
	}
	f32, err := w.CreateFloat32("f", []int{4})
	if err != nil {
		t.Fatal(err)
	}
	if err := f32.WriteFloat32Slab([]int{1}, []int{2}, []float32{1.5, 2.5}); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFloat64Slab([]int{0, 8}, []int{3, 4}, make([]float64, 12)); err == nil {
		t.Error("a slab past the end was written")
	}
	// The failed slab above made the writer fail: Close reports it and
	// leaves nothing behind.
	if err := w.Close(); err == nil {
		t.Fatal("Close succeeded after a failed slab write")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("file written despite the failure")
	}

	w, _ = Create(path)
	d, _ = w.CreateFloat64("data", []int{2, 3})
	d.WriteFloat64Slab([]int{1, 0}, []int{1, 3}, []float64{4, 5, 6})
	if err := w.Close(); err != nil { // closes the open dataset
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, dims, err := f.ReadFloat64("data")
	if err != nil || len(dims) != 2 || dims[0] != 2 || dims[1] != 3 {
		t.Fatalf("%v %v %v", got, dims, err)
	}
	for i, want := range []float64{0, 0, 0, 4, 5, 6} {
		if got[i] != want {
			t.Fatalf("data %v", got)
		}
	}
}

func TestReadSlab(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slab.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 4*5*3)
	for i := range data {
		data[i] = float32(i)
	}
	if err := w.WriteFloat32("x", data, []int{4, 5, 3}, Chunks(1, 5, 3), Shuffle(), Gzip(4)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dims, err := f.Shape("x")
	if err != nil || len(dims) != 3 || dims[0] != 4 || dims[1] != 5 || dims[2] != 3 {
		t.Fatalf("shape %v, %v", dims, err)
	}
	got, err := f.ReadFloat64Slab("x", []int{1, 2, 0}, []int{2, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for a := 1; a < 3; a++ {
		for b := 2; b < 4; b++ {
			for c := range 3 {
				if want := float64((a*5+b)*3 + c); got[k] != want {
					t.Fatalf("element %d: %g, want %g", k, got[k], want)
				}
				k++
			}
		}
	}
	if _, err := f.ReadFloat64Slab("x", []int{3, 0, 0}, []int{2, 5, 3}); err == nil || !strings.Contains(err.Error(), "slab.h5") {
		t.Errorf("out-of-range slab: %v", err)
	}
}
