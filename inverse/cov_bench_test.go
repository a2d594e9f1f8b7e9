package inverse_test

import (
	"os"
	"testing"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/inverse"
)

// Benchmarks of ComputeCovariance on the golden v1 epochs (28 epochs, 1260
// baseline samples) and, when MEGFLOW_BENCH_EPO names an -epo.fif file
// (e.g. the 6 x 9 min epochs of scripts/bench_epochs.sh), on those.

func benchCov(b *testing.B, ep *epochs.Epochs, method string) {
	zero := 0.0
	in := epochsData(ep)
	b.ResetTimer()
	for range b.N {
		if _, err := inverse.ComputeCovariance(in, inverse.CovOptions{Method: method, Tmax: &zero}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCovarianceEmpiricalSim(b *testing.B) { benchCov(b, goldenV1(b), inverse.MethodEmpirical) }
func BenchmarkCovarianceShrunkSim(b *testing.B)    { benchCov(b, goldenV1(b), inverse.MethodShrunk) }

func BenchmarkCovarianceShrunkFile(b *testing.B) {
	p := os.Getenv("MEGFLOW_BENCH_EPO")
	if p == "" {
		b.Skip("set MEGFLOW_BENCH_EPO to an -epo.fif file")
	}
	ep, err := epochs.Read(p)
	if err != nil {
		b.Fatal(err)
	}
	benchCov(b, ep, inverse.MethodShrunk)
}
