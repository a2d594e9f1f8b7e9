package rsa

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// BenchmarkTimeRDMsFull is the benchmark: time-resolved
// correlation RDMs for 450 parcels (18 sources each) × 220 samples × 450
// stimuli (3.2 GB of float32 source data). RSA_BENCH_PARCELS limits the
// number of parcels (the data shrink with it). Flops are counted as n²k
// per RDM (the upper triangle of the n×n Gram matrix of n patterns of
// length k, 2 flops per multiply-add).
func BenchmarkTimeRDMsFull(b *testing.B) {
	nPar, nT, nStim, k := 450, 220, 450, 18
	if s := os.Getenv("RSA_BENCH_PARCELS"); s != "" {
		nPar, _ = strconv.Atoi(s)
	}
	nSrc := nPar * k
	data := make([]float32, nStim*nSrc*nT)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	parcels := make([][]int, nPar)
	for s := 0; s < nSrc; s++ {
		parcels[s%nPar] = append(parcels[s%nPar], s)
	}
	var sink float64
	b.ResetTimer()
	for range b.N {
		_ = TimeRDMs(data, nStim, nSrc, nT, parcels, Correlation, TimeOptions{}, func(_, _ int, d []float64) { sink += d[0] })
	}
	flops := float64(nPar) * float64(nT) * float64(nStim*nStim) * float64(k)
	b.ReportMetric(float64(b.N)*flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	_ = sink
}
