#!/usr/bin/env bash
# Times Maxwell filtering with megflow and with MNE-Python on the same files:
# SSS and tSSS (10 s buffers) of the simulated run and of a 9-minute
# recording built from it, origin (0, 0, 0.04) m in the head frame,
# regularize='in', output written as float32 FIF by both. Prints wall times
# (best of RUNS), CPU time (user + system) of that run, peak memory (max
# RSS) and the ratios (MNE / megflow).
#
#   scripts/bench_maxwell.sh [SOURCE_RAW.fif]
#
# RUNS (default 3) sets the number of runs per tool and case (MNE's tSSS of
# the long file runs once unless MNE_RUNS is set). The long file is built by
# cmd/fifrepeat into $MEGFLOW_BENCH_DIR (default /tmp/megflow-bench) and reused.
# megflow's wall time is the whole "megflow maxwell" process; MNE's is
# read_raw_fif + maxwell_filter + save measured inside Python (without the
# ~1 s of "import mne"; its CPU time and memory include the import).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/sim/facerec_sim_raw.fif}
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}
runs=${RUNS:-3}
py=/usr/bin/python3
mkdir -p "$dir" bin
[ -f "$src" ] || { echo "source recording $src not found (pass one as the first argument)"; exit 1; }
go build -o bin/fifrepeat ./cmd/fifrepeat
go build -o bin/megflow ./cmd/megflow
long="$dir/long9min_raw.fif"
[ -f "$long" ] || bin/fifrepeat -minutes 9 -fmt short "$src" "$long" >/dev/null
out="$dir/maxwell_out_raw.fif"
have_mne=0
$py -c 'import mne' 2>/dev/null && have_mne=1

# best "wall_s maxRSS_kB cpu_s" of n runs of a command (from /usr/bin/time);
# when the command prints a number on stdout, that is its wall time.
best() {
  local n=$1; shift
  local b="" tf
  tf=$(mktemp)
  for _ in $(seq "$n"); do
    local r own
    own=$(/usr/bin/time -o "$tf" -f "%e %M %U %S" "$@" 2>/dev/null | tail -1)
    r=$(tail -1 "$tf" | awk -v own="$own" '{w = (own != "") ? own : $1; printf "%s %s %.2f", w, $2, $3 + $4}')
    if [ -z "$b" ] || awk -v a="$r" -v b="$b" 'BEGIN{split(a,x," ");split(b,y," ");exit !(x[1]<y[1])}'; then b=$r; fi
  done
  rm -f "$tf"
  echo "$b"
}

cat > "$dir/mne_maxwell_time.py" <<'PY'
import sys, time, mne
mne.set_log_level("ERROR")
src, out, st = sys.argv[1], sys.argv[2], float(sys.argv[3])
t = time.perf_counter()
raw = mne.io.read_raw_fif(src, allow_maxshield=True)
sss = mne.preprocessing.maxwell_filter(raw, origin=(0., 0., 0.04), coord_frame="head",
                                       st_duration=st if st > 0 else None)
sss.save(out, overwrite=True)
print(time.perf_counter() - t)
PY

printf "%-20s %-6s | %8s %7s %6s | %8s %7s %6s | %6s %6s\n" file mode megflow cpu MB mne cpu MB wall cpu
for f in "$src" "$long"; do
  for st in 0 10; do
    mode=SSS; [ "$st" = 0 ] || mode=tSSS10
    g=$(best "$runs" bin/megflow -q maxwell --overwrite --origin 0,0,0.04 --st-duration "$st" "$f" "$out")
    read -r gs gm gc <<<"$g"
    if [ $have_mne = 1 ]; then
      n=$runs
      [ "$f" = "$long" ] && [ "$st" != 0 ] && n=${MNE_RUNS:-1}
      m=$(best "$n" "$py" "$dir/mne_maxwell_time.py" "$f" "$out" "$st")
      read -r ms mm mc <<<"$m"
      printf "%-20s %-6s | %7.2fs %6.2fs %6d | %7.2fs %6.2fs %6d | %5.1fx %5.1fx\n" "$(basename "$f")" $mode "$gs" "$gc" "$((gm/1024))" \
        "$ms" "$mc" "$((mm/1024))" "$(echo "$ms / $gs" | bc -l)" "$(echo "$mc / $gc" | bc -l)"
    else
      printf "%-20s %-6s | %7.2fs %6.2fs %6d |\n" "$(basename "$f")" $mode "$gs" "$gc" "$((gm/1024))"
    fi
  done
done
rm -f "$out"
[ $have_mne = 1 ] || echo "MNE-Python not installed (apt-get install -y python3-mne): no comparison"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other jobs skew the times)"
