package rsa

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

func naiveRDM(x []float64, n, p int, m Metric) []float64 {
	var out []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a, b := x[i*p:(i+1)*p], x[j*p:(j+1)*p]
			switch m {
			case Euclidean:
				var s float64
				for k := range a {
					s += (a[k] - b[k]) * (a[k] - b[k])
				}
				out = append(out, math.Sqrt(s))
			case Correlation:
				var ma, mb float64
				for k := range a {
					ma += a[k]
					mb += b[k]
				}
				ma /= float64(p)
				mb /= float64(p)
				var sab, saa, sbb float64
				for k := range a {
					sab += (a[k] - ma) * (b[k] - mb)
					saa += (a[k] - ma) * (a[k] - ma)
					sbb += (b[k] - mb) * (b[k] - mb)
				}
				out = append(out, 1-sab/math.Sqrt(saa*sbb))
			}
		}
	}
	return out
}

func randX(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() + 0.3
	}
	return x
}

func TestRDMAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 3, 4, 5, 7, 8, 13, 30, 33} {
		for _, p := range []int{2, 3, 5, 18, 67} {
			x := randX(r, n*p)
			for _, m := range []Metric{Correlation, Euclidean} {
				got, want := RDM(x, n, p, m), naiveRDM(x, n, p, m)
				if len(got) != NPairs(n) {
					t.Fatalf("len %d want %d", len(got), NPairs(n))
				}
				for k := range want {
					if math.Abs(got[k]-want[k]) > 1e-12*max(1, math.Abs(want[k])) {
						t.Fatalf("n=%d p=%d %v pair %d: %g want %g", n, p, m, k, got[k], want[k])
					}
				}
			}
		}
	}
}

func TestPairIndexScipyOrder(t *testing.T) {
	n, k := 9, 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if PairIndex(i, j, n) != k || PairIndex(j, i, n) != k {
				t.Fatalf("PairIndex(%d,%d)=%d want %d", i, j, PairIndex(i, j, n), k)
			}
			k++
		}
	}
	sq := Square([]float64{1, 2, 3}, 3)
	if sq[1] != 1 || sq[2] != 2 || sq[5] != 3 || sq[7] != 3 || sq[4] != 0 {
		t.Fatalf("Square: %v", sq)
	}
}

func TestTimeRDMs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	nStim, nSrc, nT := 11, 20, 9
	data := make([]float32, nStim*nSrc*nT)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	labelOf := make([]int, nSrc)
	for s := range labelOf {
		labelOf[s] = s % 4
	}
	labelOf[3] = -1
	parcels, err := Parcels(labelOf, 4)
	if err != nil {
		t.Fatal(err)
	}
	times := []int{0, 4, 8}
	for _, width := range []int{1, 3} {
		got := map[[2]int][]float64{}
		err = TimeRDMs(data, nStim, nSrc, nT, parcels, Correlation, TimeOptions{Times: times, Width: width, Workers: 2},
			func(p, ti int, rdm []float64) { got[[2]int{p, ti}] = append([]float64(nil), rdm...) })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4*len(times) {
			t.Fatalf("got %d RDMs", len(got))
		}
		for p, idx := range parcels {
			for ti, c := range times {
				t0, t1 := max(0, c-width/2), min(nT, c+(width-1)/2+1)
				x := make([]float64, nStim*len(idx))
				for i := 0; i < nStim; i++ {
					for j, s := range idx {
						var sum float64
						for tt := t0; tt < t1; tt++ {
							sum += float64(data[(i*nSrc+s)*nT+tt])
						}
						x[i*len(idx)+j] = sum / float64(t1-t0)
					}
				}
				want := naiveRDM(x, nStim, len(idx), Correlation)
				for k := range want {
					if math.Abs(got[[2]int{p, ti}][k]-want[k]) > 1e-12 {
						t.Fatalf("width %d parcel %d t %d pair %d: %g want %g", width, p, c, k, got[[2]int{p, ti}][k], want[k])
					}
				}
			}
		}
	}
	// window RDMs agree with TimeRDMs on one sample
	pat, err := WindowMean(data, nStim, nSrc, nT, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	w := WindowRDMs(pat, nStim, nSrc, parcels, Correlation, 0)
	_ = TimeRDMs(data, nStim, nSrc, nT, parcels, Correlation, TimeOptions{Times: []int{4}}, func(p, _ int, rdm []float64) {
		for k, v := range rdm {
			if math.Abs(w[p*NPairs(nStim)+k]-v) > 1e-12 {
				t.Fatalf("window vs time parcel %d pair %d", p, k)
			}
		}
	})
}

func TestGroupsAverage(t *testing.T) {
	names, mem := Groups([]string{"b", "a", "b", "c"})
	if len(names) != 3 || names[0] != "b" || len(mem[0]) != 2 || mem[0][1] != 2 {
		t.Fatalf("%v %v", names, mem)
	}
	sn, sm := SortedGroups([]string{"b", "a", "b", "c"})
	if sn[0] != "a" || sm[1][0] != 0 {
		t.Fatalf("%v %v", sn, sm)
	}
	avg := Average([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, [][]int{{0, 2}, {3}})
	if avg[0] != 3 || avg[1] != 4 || avg[2] != 7 || avg[3] != 8 {
		t.Fatalf("%v", avg)
	}
}

func BenchmarkTimeRDMs(b *testing.B) {
	// 450 stimuli, one parcel of 18 sources, 16 samples
	r := rand.New(rand.NewPCG(5, 6))
	nStim, nSrc, nT := 450, 18, 16
	data := make([]float32, nStim*nSrc*nT)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	parcels := [][]int{make([]int, nSrc)}
	for i := range parcels[0] {
		parcels[0][i] = i
	}
	b.ResetTimer()
	for range b.N {
		_ = TimeRDMs(data, nStim, nSrc, nT, parcels, Correlation, TimeOptions{}, func(int, int, []float64) {})
	}
	b.ReportMetric(float64(b.N)*float64(nT)*2*float64(nStim*nStim)*float64(nSrc)/2/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGonumDgemm measures gonum's Dgemm on 1024² × 1024 (a reference
// for the machine's GEMM throughput).
func BenchmarkGonumDgemm(b *testing.B) {
	n := 1024
	r := rand.New(rand.NewPCG(7, 8))
	a, c := randX(r, n*n), make([]float64, n*n)
	A := blas64.General{Rows: n, Cols: n, Stride: n, Data: a}
	C := blas64.General{Rows: n, Cols: n, Stride: n, Data: c}
	b.ResetTimer()
	for range b.N {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, A, A, 0, C)
	}
	b.ReportMetric(float64(b.N)*2*float64(n*n*n)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestPortableKernel checks the pure-Go kernel against the AVX2 path (or
// itself against the naive sums where AVX2 is absent).
func TestPortableKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{5, 8, 9, 17, 40} {
		for _, k := range []int{1, 3, 18} {
			z := randX(r, n*k)
			a, b := make([]float64, NPairs(n)), make([]float64, NPairs(n))
			gramCondensedGo(a, z, n, k, -1, 1)
			gramCondensedScratch(b, z, n, k, -1, 1, nil)
			for p := range a {
				i, j := pairOf(p, n)
				want := 1 - dot(z[i*k:(i+1)*k], z[j*k:(j+1)*k])
				if math.Abs(a[p]-want) > 1e-12 || math.Abs(b[p]-want) > 1e-12 {
					t.Fatalf("n=%d k=%d pair %d (%d,%d): go %g dispatch %g want %g", n, k, p, i, j, a[p], b[p], want)
				}
			}
		}
	}
}

func pairOf(p, n int) (int, int) {
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if PairIndex(i, j, n) == p {
				return i, j
			}
		}
	}
	return -1, -1
}

func TestCrossnobisRDM(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	n, p, R := 7, 11, 4
	runs := make([][]float64, R)
	for i := range runs {
		runs[i] = randX(r, n*p)
	}
	got, err := CrossnobisRDM(runs, n, p)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var s float64
			for a := 0; a < R; a++ {
				for b := 0; b < R; b++ {
					if a == b {
						continue
					}
					for l := 0; l < p; l++ {
						s += (runs[a][i*p+l] - runs[a][j*p+l]) * (runs[b][i*p+l] - runs[b][j*p+l])
					}
				}
			}
			want := s / float64(R*(R-1)*p)
			if math.Abs(got[k]-want) > 1e-10 {
				t.Fatalf("pair (%d,%d): %g want %g", i, j, got[k], want)
			}
			k++
		}
	}
	if _, err := CrossnobisRDM(runs[:1], n, p); err == nil {
		t.Fatal("one run accepted")
	}
}
