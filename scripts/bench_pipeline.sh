#!/usr/bin/env bash
# Benchmarks the whole per-subject pipeline, `megflow run` with
# configs/wakeman_henson.yaml, against scripts/mne_pipeline.py (the same
# steps with MNE-Python 1.3) on the same inputs and machine, and prints per
# step and in total the wall time and peak RSS of both and the ratios
# (MNE / megflow).
#
#   scripts/bench_pipeline.sh [a|b|all]
#
# Cases:
#   a  the shared simulated run (../shared/data/sim/facerec_sim_raw.fif,
#      47 s) as run-01 and run-02 of sub-01, fsaverage5, the Wakeman &
#      Henson fine-calibration and cross-talk files, bads MEG1512 and MEG0731,
#      events.trigger_delay=0 (the simulation has no projector delay)
#   b  a 6-run x 9-minute synthetic subject: the simulated run repeated to 9
#      minutes by cmd/fifrepeat (events included), linked as run-01 ... run-06
#
# Everything goes to $MEGFLOW_BENCH_DIR/pipeline (default
# /tmp/megflow-bench/pipeline): the binaries, BIDS folders, the 9-minute
# file (reused), and per case a fresh megflow derivatives folder and MNE
# output folder, megflow.json and mne.json (the raw measurements). MEGFLOW_SHARED
# (default ../shared) locates the shared data. MNE_JOBS (default 2) is MNE's
# n_jobs for filter and forward (maxwell_filter has none); megflow decides its
# own parallelism (GOMAXPROCS = all cores). MNE_COV_RANK (default none, MNE's
# default as in Jas et al.; "info" as covariance.rank in the config) is the
# rank of MNE's compute_covariance. SKIP_MNE=1 runs megflow only.
#
# megflow's per-step peak is the RSS peak during that step (sampled every
# 20 ms); MNE's is VmHWM, reset before each step. Totals: megflow's is the
# whole `megflow run` process; MNE's excludes `import mne` (shown apart).
# The 1-minute load average before and after each measurement is printed:
# the machine may be shared, and other jobs skew the times.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${MEGFLOW_SHARED:-../shared}
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}/pipeline
which=${1:-all}
py=/usr/bin/python3
case $which in a | b | all) ;; *) echo "usage: $0 [a|b|all]" >&2; exit 2 ;; esac

if [ ! -f "$shared/data/sim/facerec_sim_raw.fif" ] || [ ! -d "$shared/data/subjects/fsaverage5" ]; then
  echo "shared data not found under $shared (set MEGFLOW_SHARED): nothing to benchmark"
  exit 0
fi
shared=$(cd "$shared" && pwd)
sim=$shared/data/sim/facerec_sim_raw.fif
wh=$shared/data/maxfilter/wakeman_henson
have_mne=1
if [ "${SKIP_MNE:-0}" = 1 ]; then
  have_mne=0
elif ! [ -x $py ] || ! $py -c 'import mne, h5py, scipy, sklearn' 2>/dev/null; then
  echo "MNE-Python (with h5py, scipy, scikit-learn) not importable by $py: megflow only (apt-get install python3-mne python3-h5py python3-sklearn)"
  have_mne=0
fi
mkdir -p "$dir"

# Build megflow (make build: the OpenBLAS backend when installed) and copy
# it, so that another build of bin/megflow during the run changes nothing.
# When the checkout does not build (a package mid-edit), retry.
build() {
  local try
  for try in 1 2 3 4 5; do
    if make -s build >"$dir/build.log" 2>&1 && cp bin/megflow "$dir/megflow"; then
      return 0
    fi
    if go build -tags "$(ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' && echo openblas)" \
      -o "$dir/megflow" ./cmd/megflow >>"$dir/build.log" 2>&1; then
      return 0
    fi
    echo "build failed (attempt $try, see $dir/build.log); retrying in 60 s" >&2
    sleep 60
  done
  return 1
}
build
go build -o "$dir/fifrepeat" ./cmd/fifrepeat
mf=$dir/megflow
echo "megflow: $("$mf" --version)"
[ $have_mne = 1 ] && echo "MNE-Python: $($py -c 'import mne; print(mne.__version__)') ($py), n_jobs=${MNE_JOBS:-2}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"

load() { cut -d' ' -f1 /proc/loadavg; }

# bids ROOT FILE RUN...: a BIDS folder whose sub-01 has FILE as every RUN.
bids() {
  local r=$1 f=$2
  shift 2
  rm -rf "$r"
  mkdir -p "$r/sub-01/ses-meg/meg"
  for run in "$@"; do
    ln -s "$f" "$r/sub-01/ses-meg/meg/sub-01_ses-meg_task-facerecognition_run-${run}_meg.fif"
  done
}

# bench NAME FILE RUN...: megflow then MNE on one subject, and the table.
bench() {
  local name=$1 file=$2
  shift 2
  local c=$dir/$name runs
  runs=$(
    IFS=,
    echo "$*"
  )
  mkdir -p "$c"
  bids "$c/bids" "$file" "$@"
  rm -rf "$c/deriv" "$c/mne"
  local sets=(--set "bids_root=$c/bids" --set "deriv_root=$c/deriv" --set "subjects_dir=$shared/data/subjects"
    --set subject_map.01=fsaverage5 --set "runs=[$runs]"
    --set "maxwell.calibration=$wh/sss_cal.dat" --set "maxwell.cross_talk=$wh/ct_sparse.fif"
    --set events.trigger_delay=0)
  for run in "$@"; do sets+=(--set "bads.$run=[MEG1512,MEG0731]"); done
  echo
  echo "== case $name: $# run(s) of $(basename "$file") =="
  local l0 l1 l2
  l0=$(load)
  /usr/bin/time -o "$c/megflow.time" -f "%e %M %U %S" "$mf" -q run --config configs/wakeman_henson.yaml --json "${sets[@]}" \
    >"$c/megflow.json" 2>"$c/megflow.err" || { echo "megflow failed:"; tail -20 "$c/megflow.err"; return 1; }
  l1=$(load)
  echo "megflow done: load average $l0 -> $l1"
  echo "$l0 $l1" >"$c/megflow.load"
  if [ $have_mne = 1 ]; then
    # MNE-Python cannot build aparc_sub: it reads the annotation megflow built.
    /usr/bin/time -o "$c/mne.time" -f "%e %M %U %S" $py scripts/mne_pipeline.py --bids-root "$c/bids" \
      --subjects-dir "$shared/data/subjects" --fs-subject fsaverage5 --runs "$@" \
      --calibration "$wh/sss_cal.dat" --cross-talk "$wh/ct_sparse.fif" --bads MEG1512 MEG0731 \
      --trigger-delay 0 --annot-dir "$c/deriv/sub-01/label" --out "$c/mne" --n-jobs "${MNE_JOBS:-2}" --cov-rank "${MNE_COV_RANK:-none}" \
      >"$c/mne.json" 2>"$c/mne.err" || { echo "MNE script failed:"; tail -20 "$c/mne.err"; return 1; }
    l2=$(load)
    echo "MNE done: load average $l1 -> $l2"
    echo "$l1 $l2" >"$c/mne.load"
  fi
  table "$c"
}

# table DIR: the per-stage table from DIR/megflow.json and DIR/mne.json.
table() {
  $py - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(name):
    p = os.path.join(d, name)
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    with open(p) as f:
        return json.load(f)
def ptime(name):
    # "wall maxRSS_kB user sys" from /usr/bin/time (last line).
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None, None, None
    f = open(p).read().strip().splitlines()[-1].split()
    cpu = float(f[2]) + float(f[3]) if len(f) >= 4 else None
    return float(f[0]), float(f[1]) / 1024, cpu
mf, mn = load("megflow.json"), load("mne.json")
stages = ["maxwell", "filter", "events", "epochs", "covariance", "source_space", "bem",
          "parcellation", "forward", "inverse", "rsa", "report"]
def per_stage(s):
    out = {}
    for r in (s or {}).get("steps", []):
        t, m = out.get(r["stage"], (0.0, 0.0))
        out[r["stage"]] = (t + r["seconds"], max(m, r["peak_rss_mb"]))
    return out
a, b = per_stage(mf), per_stage(mn)
def fmt_t(x):
    return "%9.2f" % x[0] if x else "%9s" % "-"
def fmt_m(x):
    return "%8.0f" % x[1] if x else "%8s" % "-"
def ratio(x, y):
    return "%7.1fx" % (y[0] / x[0]) if x and y and x[0] > 0 else "%8s" % "-"
print("%-13s | %9s %9s %8s | %8s %8s" % ("step", "megflow s", "MNE s", "MNE/mf", "mf MB", "MNE MB"))
print("-" * 64)
for st in stages:
    if st in a or st in b:
        x, y = a.get(st), b.get(st)
        print("%-13s | %s %s %s | %s %s" % (st, fmt_t(x), fmt_t(y), ratio(x, y), fmt_m(x), fmt_m(y)))
print("-" * 64)
mw, mm, mc = ptime("megflow.time")
nw, nm, nc = ptime("mne.time")
if mf:
    tot_a = (mf["seconds"], mf["peak_rss_mb"])
    tot_b = (mn["seconds"], mn["peak_rss_mb"]) if mn else None
    print("%-13s | %s %s %s | %s %s" % ("total", fmt_t(tot_a), fmt_t(tot_b), ratio(tot_a, tot_b), fmt_m(tot_a), fmt_m(tot_b)))
    # megflow runs independent steps side by side (the anatomy beside the
    # recordings), so its step times overlap and include the contention:
    # the total is the wall time of the run, not the sum of the steps.
    if mw is not None:
        pa = (mw, mm)
        pb = (nw, nm) if nw is not None else None
        # MNE's process max RSS is not shown: the per-step reset of VmHWM
        # also resets what wait4 reports.
        print("%-13s | %s %s %s | %s" % ("process", fmt_t(pa), fmt_t(pb), ratio(pa, pb), fmt_m(pa)))
        if mc is not None:
            ca = (mc, 0)
            cb = (nc, 0) if nc is not None else None
            print("%-13s | %s %s %s |" % ("process CPU", fmt_t(ca), fmt_t(cb), ratio(ca, cb)))
extra = []
if mn:
    extra.append("MNE: %d epochs, %d parcels, import mne %.1f s, n_jobs=%d" % (
        mn["n_epochs"], mn["n_labels"], mn["import_seconds"], mn["n_jobs"]))
for who in ("megflow", "mne"):
    p = os.path.join(d, who + ".load")
    if os.path.exists(p):
        l0, l1 = open(p).read().split()
        extra.append("load average (1 min) %s: %s before, %s after" % (who, l0, l1))
print("\n".join(extra))
print("megflow's steps overlap (anatomy beside recordings): per-step times include contention, the total is the wall time;")
print("megflow also builds the parcellation (MNE reads megflow's aparc_sub) and the report (not made by the MNE script);")
print("process: /usr/bin/time wall of the whole process (MNE's includes import mne) and megflow's max RSS;")
print("process CPU: user + system seconds of the whole process (less sensitive to other jobs than wall time)")
PY
}

if [ "$which" = a ] || [ "$which" = all ]; then
  bench a "$sim" 01 02
fi
if [ "$which" = b ] || [ "$which" = all ]; then
  long=$dir/sim9min_raw.fif
  if [ ! -f "$long" ]; then
    "$dir/fifrepeat" -minutes 9 -fmt short "$sim" "$long.tmp.fif" >/dev/null
    mv "$long.tmp.fif" "$long"
  fi
  bench b "$long" 01 02 03 04 05 06
fi
