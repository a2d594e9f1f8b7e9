#!/usr/bin/env bash
# Times epoching + noise covariance with megflow and with MNE-Python on the
# same input, and reports wall time and peak memory (max RSS) of each:
#
#   A. the simulated run (47 s): events on STI101 (mask 4352, not_and,
#      min_duration 3 ms), Epochs(tmin -0.2, tmax 0.8, baseline (None, 0),
#      decim 5, reject grad 4000e-13 / mag 4e-12, MEG picks), -epo.fif saved,
#      then compute_covariance(tmax=0, method='shrunk'), -cov.fif saved;
#   B. the same for 6 runs of 9 minutes (one 9-minute recording built from
#      the simulated run by cmd/fifrepeat, used 6 times), concatenated;
#   C. as A with the 40 Hz low-pass (raw.filter(None, 40.)) before epoching.
#
#   scripts/bench_epochs.sh [REPEATS]     (default 3; the best run is kept)
#
# Files go to $MEGFLOW_BENCH_DIR (default /tmp/megflow-bench); the 9-minute
# recording is made once and reused. megflow runs `megflow epochs` then
# `megflow cov` (two processes: the time is their sum, the memory the larger
# peak); MNE-Python runs one script (read_raw_fif(preload=False), or
# preload=True for the filter, find_events, Epochs(preload=True),
# concatenate_epochs, save, compute_covariance, save).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
src=${MEGFLOW_SIM:-../shared/data/sim/facerec_sim_raw.fif}
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}
py=/usr/bin/python3
mkdir -p "$dir" bin
[ -f "$src" ] || { echo "simulated recording $src not found"; exit 1; }
go build -o bin/megflow ./cmd/megflow
go build -o bin/fifrepeat ./cmd/fifrepeat
long="$dir/long9min_raw.fif"
[ -f "$long" ] || go run ./cmd/fifrepeat -minutes 9 -fmt short "$src" "$long" >/dev/null
six="$long,$long,$long,$long,$long,$long"

ids="famous/first=5,famous/immediate=6,famous/long=7,unfamiliar/first=13,unfamiliar/immediate=14,unfamiliar/long=15,scrambled/first=17,scrambled/immediate=18,scrambled/long=19"
stim=(--stim STI101 --mask 4352 --mask-type not_and --min-duration 0.003)
par=(--tmin -0.2 --tmax 0.8 --decim 5 --reject grad=4000e-13,mag=4e-12)

# measure CMD...: prints "seconds peak_kB" of one run.
measure() {
  local f
  f=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$f" "$@" >/dev/null 2>&1 || { cat "$f"; rm -f "$f"; return 1; }
  tail -1 "$f"
  rm -f "$f"
}

# megflow_case RAWS [EXTRA...]: best of $reps, "seconds peak_MB".
megflow_case() {
  local raws=$1; shift
  local best=999999 mem=0
  for _ in $(seq "$reps"); do
    read -r t1 m1 < <(measure bin/megflow -q epochs "$raws" "$dir/mf-epo.fif" --overwrite "${stim[@]}" --event-id "$ids" "${par[@]}" "$@")
    read -r t2 m2 < <(measure bin/megflow -q cov "$dir/mf-epo.fif" "$dir/mf-cov.fif" --overwrite --method shrunk --tmax 0)
    t=$(echo "$t1 + $t2" | bc -l)
    m=$(( m1 > m2 ? m1 : m2 ))
    if (( $(echo "$t < $best" | bc -l) )); then best=$t; mem=$m; fi
  done
  printf "%.2f %.0f\n" "$best" "$(echo "$mem / 1024" | bc -l)"
}

cat > "$dir/mne_epochs_bench.py" <<'PY'
import sys, time
t0 = time.perf_counter()
import mne
mne.set_log_level("error")
t1 = time.perf_counter()
raws, out_epo, out_cov, lowpass = sys.argv[1].split(","), sys.argv[2], sys.argv[3], float(sys.argv[4])
names = ["famous/first", "famous/immediate", "famous/long", "unfamiliar/first",
         "unfamiliar/immediate", "unfamiliar/long", "scrambled/first",
         "scrambled/immediate", "scrambled/long"]
event_id = dict(zip(names, [5, 6, 7, 13, 14, 15, 17, 18, 19]))
eps = []
for p in raws:
    raw = mne.io.read_raw_fif(p, preload=lowpass > 0)
    if lowpass > 0:
        raw.filter(None, lowpass)
    ev = mne.find_events(raw, stim_channel="STI101", mask=4352, mask_type="not_and", min_duration=0.003)
    eps.append(mne.Epochs(raw, ev, event_id, -0.2, 0.8, baseline=(None, 0),
                          picks=mne.pick_types(raw.info, meg=True, exclude="bads"),
                          preload=True, decim=5, reject=dict(grad=4000e-13, mag=4e-12)))
    del raw
ep = eps[0] if len(eps) == 1 else mne.concatenate_epochs(eps)
del eps
ep.save(out_epo, overwrite=True)
cov = mne.compute_covariance(ep, tmax=0.0, method="shrunk")
cov.save(out_cov, overwrite=True)
with open(sys.argv[5], "w") as f:
    f.write("%.3f\n" % (time.perf_counter() - t1))  # without Python/MNE start-up
PY

# mne_case RAWS LOWPASS: best of $reps, "seconds peak_MB in-process_seconds".
mne_case() {
  local raws=$1 lp=$2 best=999999 mem=0 inproc=0
  for _ in $(seq "$reps"); do
    read -r t m < <(measure $py "$dir/mne_epochs_bench.py" "$raws" "$dir/mne-epo.fif" "$dir/mne-cov.fif" "$lp" "$dir/mne-elapsed.txt")
    if (( $(echo "$t < $best" | bc -l) )); then best=$t; mem=$m; inproc=$(cat "$dir/mne-elapsed.txt"); fi
  done
  printf "%.2f %.0f %.2f\n" "$best" "$(echo "$mem / 1024" | bc -l)" "$inproc"
}

have_mne=0
$py -c 'import mne, sklearn' 2>/dev/null && have_mne=1
# Speedups: MNE's whole process over megflow's two processes, and MNE's
# work after its imports (the script's own clock) over megflow's processes.
printf "%-32s %9s %8s %8s %9s %8s %8s %8s\n" case "megflow s" "peak MB" "MNE s" "MNE work" "peak MB" speedup "(work)"
row() {
  local name=$1 raws=$2 lp=$3; shift 3
  read -r gt gm < <(megflow_case "$raws" "$@")
  if [ $have_mne = 1 ]; then
    read -r mt mm mw < <(mne_case "$raws" "$lp")
    printf "%-32s %9s %8s %8s %9s %8s %7.1fx %7.1fx\n" "$name" "$gt" "$gm" "$mt" "$mw" "$mm" \
      "$(echo "$mt / $gt" | bc -l)" "$(echo "$mw / $gt" | bc -l)"
  else
    printf "%-32s %9s %8s %8s %9s %8s %8s %8s\n" "$name" "$gt" "$gm" - - - - -
  fi
}
row "A sim run (47 s)" "$src" 0
row "B 6 x 9 min runs, concatenated" "$six" 0
row "C sim run + 40 Hz low-pass" "$src" 40 --h-freq 40
[ $have_mne = 1 ] || echo "(MNE-Python with scikit-learn not found: no comparison)"
