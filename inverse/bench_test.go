package inverse_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

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
		t0 := time.Now()
		op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
		if err != nil {
			b.Fatal(err)
		}
		in := epochInput(ep, ep.Len())
		w, err := inverse.CreateH5Estimates(out, k, in.N, ep.Times, in.EventID, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t1.Sub(t0).Seconds(), "make-s")
		b.ReportMetric(time.Since(t1).Seconds(), "apply-s")
		b.ReportMetric(float64(ep.Len()), "epochs")
	}
}

// BenchmarkInverse900x220 applies the golden dSPM operator to 900 epochs
// of 220 samples (random data generated one epoch at a time), streaming
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
	buf := make([]float64, nc*nt)
	in := inverse.EpochInput{Info: ep.Info, Times: times, N: ne, Epoch: func(i int) ([]float64, error) {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		for j := range buf {
			buf[j] = r.NormFloat64() * 1e-12
		}
		return buf, nil
	}}
	for b.Loop() {
		t0 := time.Now()
		op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
		if err != nil {
			b.Fatal(err)
		}
		w, err := inverse.CreateH5Estimates(out, k, ne, times, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t1.Sub(t0).Seconds(), "make-s")
		b.ReportMetric(time.Since(t1).Seconds(), "apply-s")
	}
}
