#!/usr/bin/env bash
# Times reading all data of a 9-minute, 306-channel recording with megflow
# and with MNE-Python (read_raw_fif(preload=True)) on the same file, in one
# run, and `megflow info` on a ~1 GB file. Prints the ratios.
#
#   scripts/bench_read.sh [SOURCE_RAW.fif]
#
# The long files are built from the simulated run (or the given file) by
# cmd/fifrepeat into $MEGFLOW_BENCH_DIR (default: /tmp/megflow-bench) and
# reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/sim/facerec_sim_raw.fif}
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}
py=/usr/bin/python3
mkdir -p "$dir" bin
[ -f "$src" ] || { echo "source recording $src not found (pass one as the first argument)"; exit 1; }

go build -o bin/fifrepeat ./cmd/fifrepeat
go build -o bin/megflow ./cmd/megflow
long="$dir/long9min_raw.fif"
big="$dir/big1gb_raw.fif"
[ -f "$long" ] || bin/fifrepeat -minutes 9 -fmt short "$src" "$long" >/dev/null
[ -f "$big" ] || bin/fifrepeat -minutes 13 -fmt single "$src" "$big" >/dev/null
ls -l "$long" "$big" | awk '{printf "%s %.0f MB\n", $NF, $5/1e6}'

# One read per process, best of 3, as a command-line user or a pipeline
# stage reads a recording (and as MNE's best of 3 below: Python returns
# freed arrays to the OS, so each of its reads starts on fresh memory too).
echo "== megflow: open + read all data into one float64 array (best of 3 processes)"
go test -c -o bin/fif.test ./fif
out=$(for i in 1 2 3; do MEGFLOW_BENCH_FILE="$long" bin/fif.test -test.run '^$' -test.bench 'BenchmarkRawReadFile$' -test.benchtime 1x; done)
echo "$out" | grep Benchmark
go_s=$(echo "$out" | awk '/BenchmarkRawReadFile/ {print $3/1e9}' | sort -g | head -1)
mbs=$(echo "$out" | awk '/BenchmarkRawReadFile/ {for (i=1;i<=NF;i++) if ($i=="MB/s") print $(i-1)}' | sort -g | tail -1)
echo "== megflow: the same, 3 reads in one process (reused heap memory must be zeroed by Go)"
MEGFLOW_BENCH_FILE="$long" bin/fif.test -test.run '^$' -test.bench 'BenchmarkRawReadFile$' -test.benchtime 3x | grep Benchmark

echo "== megflow info on $(du -h "$big" | cut -f1) file"
t0=$(date +%s.%N); bin/megflow info "$big" >/dev/null; t1=$(date +%s.%N)
info_ms=$(echo "($t1 - $t0) * 1000" | bc -l)
printf "megflow info: %.1f ms\n" "$info_ms"

if $py -c 'import mne' 2>/dev/null; then
  echo "== MNE-Python: read_raw_fif(preload=True), best of 3"
  mne_s=$($py - "$long" <<'PY'
import sys, time, mne
mne.set_log_level('ERROR')
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    raw = mne.io.read_raw_fif(sys.argv[1], preload=True)
    best = min(best, time.perf_counter() - t)
    del raw
print(best)
PY
)
  printf "megflow %.3f s (%s MB/s decoded float64), MNE %.3f s: megflow is %.1fx faster\n" \
    "$go_s" "$mbs" "$mne_s" "$(echo "$mne_s / $go_s" | bc -l)"
else
  echo "MNE-Python not installed (apt-get install -y python3-mne): no comparison"
  printf "megflow %.3f s (%s MB/s)\n" "$go_s" "$mbs"
fi
