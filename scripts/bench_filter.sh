#!/usr/bin/env bash
# Times a 1-40 Hz band-pass (MNE's defaults: FIR, firwin, hamming, zero
# phase) of a 9-minute, 306-channel, 1100 Hz recording with megflow and
# with MNE-Python, on the same file, and prints the ratios and peak memory.
#
#   scripts/bench_filter.sh [SOURCE_RAW.fif]
#
#   megflow:  megflow filter --l-freq 1 --h-freq 40 IN OUT
#             (the whole command: reading, filtering and writing OUT as
#             float32 FIF)
#   MNE:      read_raw_fif(IN, preload=True) + raw.filter(1, 40, n_jobs=N)
#             for N = 1 and 2 (reading included, saving not: timed inside
#             Python, so interpreter start-up and "import mne" are not
#             counted); also with raw.save(OUT) for reference.
#
# Reading is included on both sides. Each tool runs REPEAT times (default
# 3), interleaved so that all see the same machine load; the best time of
# each is compared. The load average is printed before each round: other
# processes on the machine slow both tools, so rerun when it is high.
# Peak memory is /usr/bin/time -v's maximum resident set size.
#
# The long file is built once from the simulated run (or the given file)
# by cmd/fifrepeat into $MEGFLOW_BENCH_DIR (default: /tmp/megflow-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/sim/facerec_sim_raw.fif}
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}
repeat=${REPEAT:-3}
py=/usr/bin/python3
mkdir -p "$dir" bin
[ -f "$src" ] || { echo "source recording $src not found (pass one as the first argument)"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time not found (apt-get install time)"; exit 1; }

go build -o bin/megflow ./cmd/megflow
long="$dir/long9min_raw.fif"
if [ ! -f "$long" ]; then
  go run ./cmd/fifrepeat -minutes 9 -fmt short "$src" "$long" >/dev/null
fi
ls -l "$long" | awk '{printf "input: %s, %.0f MB\n", $NF, $5/1e6}'
out_mf="$dir/bench_megflow_filt_raw.fif"
out_mne="$dir/bench_mne_filt_raw.fif"

# peak RSS (MB) and wall seconds from a /usr/bin/time -v log
rss() { awk '/Maximum resident set size/ {printf "%.0f", $NF/1024}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }

mne_script='
import sys, time, mne
mne.set_log_level("ERROR")
path, n_jobs, save = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
raw = mne.io.read_raw_fif(path, preload=True)
t1 = time.perf_counter()
raw.filter(1., 40., n_jobs=n_jobs)
t2 = time.perf_counter()
if save != "-":
    raw.save(save, overwrite=True)
t3 = time.perf_counter()
print(f"{t1-t0:.3f} {t2-t1:.3f} {t3-t2:.3f}")
'
have_mne=1
$py -c 'import mne' 2>/dev/null || have_mne=0
[ $have_mne = 1 ] || echo "MNE-Python not installed (apt-get install -y python3-mne): megflow only"

best() { sort -g | head -1; }
declare -a mf_t mf_m m1_t m1_m m2_t m2_m ms_t
for r in $(seq 1 "$repeat"); do
  echo "== round $r: load average $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
  /usr/bin/time -v -o "$dir/time_mf.log" bin/megflow filter -q --overwrite --l-freq 1 --h-freq 40 "$long" "$out_mf"
  mf_t+=("$(wall "$dir/time_mf.log")"); mf_m+=("$(rss "$dir/time_mf.log")")
  printf "megflow filter:           %6.2f s  peak %5s MB\n" "${mf_t[-1]}" "${mf_m[-1]}"
  if [ $have_mne = 1 ]; then
    for nj in 1 2; do
      res=$(/usr/bin/time -v -o "$dir/time_mne.log" $py -c "$mne_script" "$long" $nj -)
      read -r tl tf _ <<<"$res"
      t=$(echo "$tl + $tf" | bc -l)
      if [ $nj = 1 ]; then m1_t+=("$t"); m1_m+=("$(rss "$dir/time_mne.log")"); else m2_t+=("$t"); m2_m+=("$(rss "$dir/time_mne.log")"); fi
      printf "MNE read+filter n_jobs=%s: %6.2f s  (read %.2f, filter %.2f)  peak %5s MB\n" $nj "$t" "$tl" "$tf" "$(rss "$dir/time_mne.log")"
    done
    if [ "$r" = 1 ]; then
      res=$($py -c "$mne_script" "$long" 1 "$out_mne")
      read -r tl tf ts <<<"$res"
      ms_t+=("$(echo "$tl + $tf + $ts" | bc -l)")
      printf "MNE read+filter+save n_jobs=1: %6.2f s (save %.2f)\n" "${ms_t[-1]}" "$ts"
    fi
  fi
done
echo "== best of $repeat"
bmf=$(printf "%s\n" "${mf_t[@]}" | best)
printf "megflow filter (read+filter+write float32): %.2f s, peak RSS %s MB (data as float64: %.0f MB)\n" \
  "$bmf" "$(printf "%s\n" "${mf_m[@]}" | sort -n | tail -1)" "$(echo "310 * 594000 * 8 / 1048576" | bc -l)"
if [ $have_mne = 1 ]; then
  b1=$(printf "%s\n" "${m1_t[@]}" | best); b2=$(printf "%s\n" "${m2_t[@]}" | best)
  printf "MNE read+filter n_jobs=1: %.2f s, peak RSS %s MB -> megflow is %.1fx faster (goal 3x)\n" \
    "$b1" "$(printf "%s\n" "${m1_m[@]}" | sort -n | tail -1)" "$(echo "$b1 / $bmf" | bc -l)"
  printf "MNE read+filter n_jobs=2: %.2f s, peak RSS %s MB -> megflow is %.1fx faster (goal 1.5x)\n" \
    "$b2" "$(printf "%s\n" "${m2_m[@]}" | sort -n | tail -1)" "$(echo "$b2 / $bmf" | bc -l)"
  printf "MNE read+filter+save n_jobs=1 (one run): %.2f s\n" "${ms_t[0]}"
fi
rm -f "$out_mf" "$out_mne"
