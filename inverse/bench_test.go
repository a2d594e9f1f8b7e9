package inverse_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/inverse"
)

// benchOut is where the benchmarks write their HDF5 estimates
// ($MEGFLOW_BENCH_DIR, else a temporary directory).
func benchOut(b *testing.B, name string) string {
	if d := os.Getenv("MEGFLOW_BENCH_DIR"); d != "" {
		return filepath.Join(d, name)
	}
	return filepath.Join(b.TempDir(), name)
}

// discard drops the estimates, as the MNE-Python side of
// scripts/bench_inverse.sh does (apply_inverse_epochs as a generator).
type discard struct{ n int }

func (d *discard) Put(i int, data []float32) error { d.n++; return nil }

// sink is where the benchmarks put the estimates: an HDF5 file, or
// nowhere with MEGFLOW_BENCH_SINK=discard (to time the computation
// alone: the 900-epoch case writes 6.5 GB). MEGFLOW_BENCH_FLOAT64=1 makes
// the benchmarks apply the kernel in double precision (the arithmetic
// before single precision became the default).
func sink(b *testing.B, path string, k *inverse.Kernel, n int, times []float64, eventID []int64) (inverse.Estimates, func() error) {
	if os.Getenv("MEGFLOW_BENCH_SINK") == "discard" {
		return &discard{}, func() error { return nil }
	}
	w, err := inverse.CreateH5Estimates(path, k, n, times, eventID, nil)
	if err != nil {
		b.Fatal(err)
	}
	return w, w.Close
}

// BenchmarkInverseSim makes the golden operator (loose 0.2, depth 0.8)
// and applies dSPM (λ² = 1/9, pick_ori none) to every epoch of the
// simulated run, streaming the estimates to HDF5. Loading the forward,
// epochs and covariance is not timed.
func BenchmarkInverseSim(b *testing.B) {
	fwd := mneForward(b)
	ep := goldenV2(b)
	cov := goldenShrunk(b)
	out := benchOut(b, "bench-sim-stc.h5")
	for b.Loop() {
		t0, c0 := time.Now(), cpuSeconds()
		op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
		if err != nil {
			b.Fatal(err)
		}
		k.Float64 = os.Getenv("MEGFLOW_BENCH_FLOAT64") != ""
		in := epochInput(ep, ep.Len())
		in.Overlap = true
		w, closeW := sink(b, out, k, in.N, ep.Times, in.EventID)
		if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
			b.Fatal(err)
		}
		if err := closeW(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t1.Sub(t0).Seconds(), "make-s")
		b.ReportMetric(time.Since(t1).Seconds(), "apply-s")
		b.ReportMetric(cpuSeconds()-c0, "cpu-s")
		b.ReportMetric(float64(ep.Len()), "epochs")
	}
}

// BenchmarkInverse900x220 applies the golden dSPM operator to 900 epochs
// of 220 samples (random data, 30 epochs cycled), streaming
// the estimates to HDF5; making the operator is timed as well.
func BenchmarkInverse900x220(b *testing.B) {
	fwd := mneForward(b)
	ep := goldenV2(b)
	cov := goldenShrunk(b)
	out := benchOut(b, "bench-900-stc.h5")
	const ne, nt = 900, 220
	nc := len(ep.Info.Chs)
	times := make([]float64, nt)
	for i := range times {
		times[i] = -0.2 + float64(i)/220
	}
	// 30 random epochs, made before the timer (as MNE's side makes its
	// array first) and cycled: full rank, like 900 distinct ones.
	pool := make([][]float64, 30)
	for i := range pool {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		pool[i] = make([]float64, nc*nt)
		for j := range pool[i] {
			pool[i][j] = r.NormFloat64() * 1e-12
		}
	}
	in := inverse.EpochInput{Info: ep.Info, Times: times, N: ne, Epoch: func(i int) ([]float64, error) {
		return pool[i%len(pool)], nil
	}, Overlap: true}
	for b.Loop() {
		t0, c0 := time.Now(), cpuSeconds()
		op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
		if err != nil {
			b.Fatal(err)
		}
		k.Float64 = os.Getenv("MEGFLOW_BENCH_FLOAT64") != ""
		w, closeW := sink(b, out, k, ne, times, nil)
		if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
			b.Fatal(err)
		}
		if err := closeW(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t1.Sub(t0).Seconds(), "make-s")
		b.ReportMetric(time.Since(t1).Seconds(), "apply-s")
		b.ReportMetric(cpuSeconds()-c0, "cpu-s")
	}
}

// BenchmarkInverseWH900 is the Wakeman & Henson case: the files the
// pipeline writes for a subject (MEGFLOW_BENCH_WH=<deriv>/sub-01/
// sub-01_task-facerecognition_ as prefix of fwd.fif, cov.fif, epo.fif:
// Maxwell-filtered, 40 Hz, decimated to 220 Hz), the operator made with
// rank 'info' (the data's SSS rank, ~70) and dSPM applied to 900 epochs
// cycled from the real ones. Skipped without MEGFLOW_BENCH_WH.
func BenchmarkInverseWH900(b *testing.B) {
	prefix := os.Getenv("MEGFLOW_BENCH_WH")
	if prefix == "" {
		b.Skip("MEGFLOW_BENCH_WH not set (prefix of the pipeline's fwd.fif, cov.fif and epo.fif)")
	}
	ff, err := fif.ReadForward(prefix + "fwd.fif")
	if err != nil {
		b.Fatal(err)
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		b.Fatal(err)
	}
	cov, err := fif.ReadCov(prefix + "cov.fif")
	if err != nil {
		b.Fatal(err)
	}
	ep, err := epochs.Read(prefix + "epo.fif")
	if err != nil {
		b.Fatal(err)
	}
	const ne = 900
	in := inverse.EpochInput{Info: ep.Info, Times: ep.Times, N: ne, Epoch: func(i int) ([]float64, error) {
		return ep.Data[i%ep.Len()], nil
	}, Overlap: true}
	out := benchOut(b, "bench-wh900-stc.h5")
	loose, depth := 0.2, 0.8
	for b.Loop() {
		t0, c0 := time.Now(), cpuSeconds()
		op, err := inverse.MakeOperator(ep.Info, fwd, cov, inverse.Options{Loose: &loose, Depth: &depth, Rank: inverse.Rank{Mode: inverse.RankInfo}})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
		if err != nil {
			b.Fatal(err)
		}
		w, closeW := sink(b, out, k, ne, ep.Times, nil)
		if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
			b.Fatal(err)
		}
		if err := closeW(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t1.Sub(t0).Seconds(), "make-s")
		b.ReportMetric(time.Since(t1).Seconds(), "apply-s")
		b.ReportMetric(cpuSeconds()-c0, "cpu-s")
		b.ReportMetric(float64(op.Noise.Rank), "rank")
	}
}

// cpuSeconds is the user + system CPU time of the process so far: on a
// loaded machine it shows the work done better than the wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// syntheticKernel is a dSPM-like kernel of the golden size (8195 sources
// x 3 orientations, 304 channels) with random entries.
func syntheticKernel() *inverse.Kernel {
	const nsrc, n = 8195, 304
	r := rand.New(rand.NewPCG(1, 2))
	k := &inverse.Kernel{Method: inverse.DSPM, Rows: 3 * nsrc, NOut: nsrc, Combine: true,
		Names: make([]string, n), K: make([]float64, 3*nsrc*n), Scale: make([]float64, nsrc)}
	for i := range k.K {
		k.K[i] = r.NormFloat64() * 1e9
	}
	for i := range k.Scale {
		k.Scale[i] = 1e-3 * (1 + r.Float64())
	}
	return k
}

// BenchmarkApply times Kernel.Apply alone on a synthetic kernel of the
// golden size, for one epoch of the simulated run (1101 samples) and of
// the 900-epoch case (220 samples), in single and double precision.
func BenchmarkApply(b *testing.B) {
	k := syntheticKernel()
	n := len(k.Names)
	for _, nt := range []int{1101, 220} {
		for _, f64 := range []bool{false, true} {
			name := "nt" + strconv.Itoa(nt) + "/f32"
			if f64 {
				name = "nt" + strconv.Itoa(nt) + "/f64"
			}
			b.Run(name, func(b *testing.B) {
				k.Float64 = f64
				r := rand.New(rand.NewPCG(3, 4))
				x := make([]float64, n*nt)
				for i := range x {
					x[i] = r.NormFloat64() * 1e-12
				}
				out := make([]float32, k.NOut*nt)
				var ws inverse.Workspace
				k.Apply(x, nt, out, &ws)
				c0 := cpuSeconds()
				for b.Loop() {
					k.Apply(x, nt, out, &ws)
				}
				flop := 2 * float64(k.Rows) * float64(n) * float64(nt)
				b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
			})
		}
	}
}
