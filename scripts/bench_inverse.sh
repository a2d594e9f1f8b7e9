#!/usr/bin/env bash
# Times making a minimum-norm inverse operator (loose 0.2, depth 0.8) and
# applying dSPM (lambda2 1/9, pick_ori None) with megflow and with
# MNE-Python, and reports wall time of the timed part and peak memory
# (max RSS of the whole process) of each:
#
#   A. every epoch of the simulated run (epochs_v2: 40 Hz low-pass,
#      -0.2..0.8 s, baseline, MEG without bads; 30 epochs x 1101 samples);
#   B. 900 epochs x 220 samples of random data on the same channels
#      (full rank: 304);
#   C. (wh900) the Wakeman & Henson case: the files megflow's pipeline
#      writes for the simulated run (configs/wakeman_henson.yaml:
#      Maxwell-filtered, 40 Hz, epochs decimated to 221 samples at 220 Hz),
#      the operator made with rank 'info' (the SSS rank in the processing
#      history, 70) in both, dSPM applied to 900 epochs cycled from the
#      54 real ones.
#
# MEGFLOW_BENCH_CASES (default "sim 900 wh900") picks the cases.
#
#   scripts/bench_inverse.sh
#
# megflow runs in both builds: with OpenBLAS (-tags openblas, what make
# build produces when the library is installed) and pure Go (the default
# build); MEGFLOW_BENCH_TAGS="openblas" or "purego" picks one.
# MEGFLOW_BENCH_REPEAT=n repeats every run n times (the machine has 2
# cores: take the best of several when it is shared). Each line is
# preceded by the load average; cpu-s is the CPU time (user + system) of
# the timed part, which a loaded machine inflates less than wall time.
#
# Inputs (not timed, the same for both): the forward solution computed by
# MNE-Python (make_forward_solution, oct6 fsaverage5, ico4 BEM; cached by
# the inverse package tests), the shrunk noise covariance of
# covariance.h5 (megflow recomputes it, identical to 1e-6), the epochs.
# megflow streams every estimate to an HDF5 file (float32; the product
# K·x runs in single precision, see inverse.Kernel.Float64), then runs
# again dropping the estimates (MEGFLOW_BENCH_SINK=discard; the 900-epoch
# case writes 6.5 GB, which the disk may not absorb at compute speed);
# MNE-Python runs apply_inverse_epochs(return_generator=True) and drops
# each estimate (holding the list of 900 estimates would need ~13 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
dir=${MEGFLOW_BENCH_DIR:-/tmp/megflow-bench}
mkdir -p "$dir"
shared=$(cd .. && pwd)/shared
repeat=${MEGFLOW_BENCH_REPEAT:-1}
tags=${MEGFLOW_BENCH_TAGS:-}
if [ -z "$tags" ]; then
  tags=purego
  if ldconfig -p | grep -q libopenblas; then tags="openblas purego"; fi
fi

cases=${MEGFLOW_BENCH_CASES:-sim 900 wh900}
# Case wh900 reads what the pipeline writes for the simulated run (as
# run-01 and run-02 of sub-01, configs/wakeman_henson.yaml).
whprefix=
if [[ " $cases " == *" wh900 "* ]]; then
  wh=$dir/wh
  mkdir -p "$wh/bids/sub-01/ses-meg/meg"
  for run in 01 02; do
    ln -sf "$shared/data/sim/facerec_sim_raw.fif" "$wh/bids/sub-01/ses-meg/meg/sub-01_ses-meg_task-facerecognition_run-${run}_meg.fif"
  done
  make build >/dev/null
  mwh=$shared/data/maxfilter/wakeman_henson
  bin/megflow -q run --config configs/wakeman_henson.yaml --set "bids_root=$wh/bids" --set "deriv_root=$wh/deriv" \
    --set "subjects_dir=$shared/data/subjects" --set subject_map.01=fsaverage5 --set "runs=[01,02]" \
    --set "maxwell.calibration=$mwh/sss_cal.dat" --set "maxwell.cross_talk=$mwh/ct_sparse.fif" --set events.trigger_delay=0 \
    --set "bads.01=[MEG1512,MEG0731]" --set "bads.02=[MEG1512,MEG0731]" --set report.enabled=false >/dev/null
  whprefix=$wh/deriv/sub-01/sub-01_task-facerecognition_
fi
bench_name() {
  case $1 in sim) echo BenchmarkInverseSim ;; 900) echo BenchmarkInverse900x220 ;; wh900) echo BenchmarkInverseWH900 ;; esac
}

for tag in $tags; do
  flag=()
  [ "$tag" = openblas ] && flag=(-tags openblas)
  echo "== megflow, $tag (go test -bench, inverse package) =="
  go test "${flag[@]}" -c -o "$dir/inverse-$tag.test" ./inverse/
  for c in $cases; do
    b=$(bench_name "$c")
    for snk in h5 discard; do
      for _ in $(seq "$repeat"); do
        echo "# $snk; $(uptime | sed 's/.*load/load/')"
        (cd inverse && MEGFLOW_BENCH_WH=$whprefix MEGFLOW_BENCH_SINK=$snk MEGFLOW_BENCH_DIR=$dir /usr/bin/time -f "peak %M kB" \
          "$dir/inverse-$tag.test" -test.run XXX -test.bench "^$b\$" -test.benchtime 1x -test.timeout 60m 2>&1 |
          grep -E "^Benchmark|peak")
        rm -f "$dir"/bench-*-stc.h5
      done
    done
  done
done

cat > "$dir/mne_inverse_bench.py" <<'PY'
import sys, time, resource
import numpy as np, h5py, mne
mne.set_log_level("error")
shared, case = sys.argv[1], sys.argv[2]
rank = None
if case == "wh900":
    # The pipeline's own files (Maxwell-filtered, SSS rank from the
    # processing history), 900 epochs cycled from the real ones.
    prefix = sys.argv[3]
    fwd = mne.read_forward_solution(prefix + "fwd.fif")
    cov = mne.read_cov(prefix + "cov.fif")
    ep = mne.read_epochs(prefix + "epo.fif")
    data = ep.get_data()
    epochs = mne.EpochsArray(data[np.arange(900) % len(ep)], ep.info, tmin=ep.tmin)
    del ep, data
    rank = "info"
else:
    raw = mne.io.read_raw_fif(shared + "/data/sim/facerec_sim_raw.fif", preload=True)
    src = mne.setup_source_space("fsaverage5", "oct6", subjects_dir=shared + "/data/subjects", add_dist=False)
    fwd = mne.make_forward_solution(raw.info, trans=shared + "/data/subjects/fsaverage5/bem/fsaverage5-trans.fif",
                                    src=src, bem=shared + "/golden/fsaverage5-ico4-bem-sol.fif", meg=True, eeg=False, mindist=5.)
    with h5py.File(shared + "/golden/covariance.h5") as f:
        names = [n.decode() for n in f["shrunk/names"][()]]
        cov = mne.Covariance(f["shrunk/data"][()], names, [], [], int(f["shrunk"].attrs["nfree"]))
    raw.filter(None, 40.)
    with h5py.File(shared + "/golden/events.h5") as f:
        events = f["sim/events"][()]
    ids = dict(zip(["famous/first", "famous/immediate", "famous/long", "unfamiliar/first", "unfamiliar/immediate",
                    "unfamiliar/long", "scrambled/first", "scrambled/immediate", "scrambled/long"], [5, 6, 7, 13, 14, 15, 17, 18, 19]))
    epochs = mne.Epochs(raw, events, ids, -0.2, 0.8, baseline=(None, 0), picks=mne.pick_types(raw.info, meg=True, exclude="bads"), preload=True)
    del raw
    if case == "900":
        rng = np.random.default_rng(7)
        info = epochs.info.copy()
        epochs = mne.EpochsArray(rng.standard_normal((900, len(info["ch_names"]), 220)) * 1e-12, info, tmin=-0.2)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
inv = mne.minimum_norm.make_inverse_operator(epochs.info, fwd, cov, loose=0.2, depth=0.8, rank=rank)
t1 = time.perf_counter()
n = 0
for stc in mne.minimum_norm.apply_inverse_epochs(epochs, inv, 1. / 9, "dSPM", pick_ori=None, return_generator=True):
    n += 1
t2 = time.perf_counter()
print(f"MNE case {case}: {n} epochs of {len(epochs.times)} samples, make {t1 - t0:.2f} s, apply {t2 - t1:.2f} s, total {t2 - t0:.2f} s, "
      f"cpu {cpu() - c0:.2f} s, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} kB")
PY
echo "== MNE-Python $($py -c 'import mne; print(mne.__version__)') =="
for c in $cases; do
  for _ in $(seq "$repeat"); do
    echo "# $(uptime | sed 's/.*load/load/')"
    $py "$dir/mne_inverse_bench.py" "$shared" "$c" "$whprefix"
  done
done
