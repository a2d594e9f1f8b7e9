#!/bin/sh
# Benchmark of time-resolved RDMs (issue "Parcellation and RSA"):
# 450 parcels x 220 samples x 450 stimuli, correlation distance, on the
# cores given by CORES (default 2), against
#   - the machine's GEMM peak: preprocess/maxwell's AVX2 6x8 kernel
#     (BenchmarkMulRows, 80x304 times 304x11000) and gonum's Dgemm (1024^3),
#   - a numpy implementation (batched matmul of the normalized patterns,
#     OpenBLAS on the same number of threads).
# PARCELS (default 450) limits the parcels (the data shrink with it; the
# full set is 3.2 GB of float32 for Go and as much again for numpy).
# Flops: n^2 k per RDM (upper triangle of the Gram matrix), for both.
# Usage: scripts/bench_rsa.sh            (from the repository root)
set -eu
CORES=${CORES:-2}
PARCELS=${PARCELS:-450}
NUMPY_PARCELS=${NUMPY_PARCELS:-$PARCELS}
PY=${PY:-/usr/bin/python3}
export GOMAXPROCS=$CORES OPENBLAS_NUM_THREADS=$CORES OMP_NUM_THREADS=$CORES MKL_NUM_THREADS=$CORES
cd "$(dirname "$0")/.."

echo "== GEMM peak (AVX2 6x8 kernel of preprocess/maxwell; MB/s = Mflop/s)"
go test -run XXX -bench 'BenchmarkMulRows$' -benchtime 20x ./preprocess/maxwell | grep Benchmark
echo "== gonum Dgemm 1024^3"
go test -run XXX -bench 'BenchmarkGonumDgemm$' -benchtime 3x ./rsa | grep Benchmark
echo "== megflow rsa.TimeRDMs: $PARCELS parcels x 220 samples x 450 stimuli"
RSA_BENCH_PARCELS=$PARCELS go test -run XXX -bench 'BenchmarkTimeRDMsFull$' -benchtime 1x -timeout 60m ./rsa | grep Benchmark
echo "== numpy: $NUMPY_PARCELS parcels x 220 samples x 450 stimuli"
"$PY" - "$NUMPY_PARCELS" <<'PYEOF'
import sys, time
import numpy as np
n_par, n_t, n_stim, k = int(sys.argv[1]), 220, 450, 18
rng = np.random.default_rng(0)
n_src = n_par * k
data = rng.standard_normal((n_stim, n_src, n_t), dtype=np.float32)
iu = np.triu_indices(n_stim, 1)
sink = 0.0
t0 = time.perf_counter()
for p in range(n_par):
    x = data[:, p::n_par, :].astype(np.float64)          # stim x k x t
    x = np.ascontiguousarray(x.transpose(2, 0, 1))        # t x stim x k
    x -= x.mean(axis=2, keepdims=True)
    x /= np.linalg.norm(x, axis=2, keepdims=True)
    g = np.matmul(x, x.transpose(0, 2, 1))                # t x stim x stim
    rdm = 1.0 - g[:, iu[0], iu[1]]                        # t x n_pairs, scipy order
    sink += rdm[0, 0]
dt = time.perf_counter() - t0
flops = n_par * n_t * n_stim * n_stim * k
print(f"numpy: {dt:.2f} s, {flops / dt / 1e9:.2f} GFLOP/s (numpy {np.__version__})")
PYEOF
