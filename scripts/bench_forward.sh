#!/bin/sh
# Benchmark megflow's BEM solution and MEG forward solution against
# MNE-Python on the same inputs (one run each), and print the ratios.
#
#   scripts/bench_forward.sh [SHARED_DIR]   (default ../shared)
#
# Uses the fsaverage5 subject, its -trans.fif and the simulated recording's
# info from SHARED_DIR/data; MNE-Python runs at /usr/bin/python3. Builds
# megflow into a temporary directory. Both tools use every core.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${1:-$here/../shared}
D=$shared/data
SD=$D/subjects
RAW=$D/sim/facerec_sim_raw.fif
TRANS=$SD/fsaverage5/bem/fsaverage5-trans.fif
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The build's BLAS backend, as make build chooses it (TAGS= for pure Go).
if [ -z "${TAGS+x}" ]; then
	TAGS=
	if ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' && ldconfig -p 2>/dev/null | grep -q 'liblapacke\.so '; then
		TAGS=openblas
	fi
fi
(cd "$here" && go build -tags "$TAGS" -o "$tmp/megflow" ./cmd/megflow)
echo "megflow $("$tmp/megflow" --version); load:$(uptime | sed 's/.*average://')"

now() { date +%s.%N; }
t0=$(now)
"$tmp/megflow" -q source-space --subject fsaverage5 --subjects-dir "$SD" --spacing oct6 "$tmp/src.fif"
t1=$(now)
"$tmp/megflow" -q bem --subject fsaverage5 --subjects-dir "$SD" --ico 4 --conductivity 0.3 "$tmp/bem-sol.fif"
t2=$(now)
"$tmp/megflow" -q forward --info "$RAW" --trans "$TRANS" --src "$tmp/src.fif" --bem "$tmp/bem-sol.fif" --mindist 5 "$tmp/fwd.fif"
t3=$(now)

/usr/bin/python3 - "$SD" "$RAW" "$TRANS" "$tmp" > "$tmp/mne.txt" <<'PY'
import sys, time, mne
mne.set_log_level("ERROR")
sd, raw, trans, tmp = sys.argv[1:5]
t0 = time.time()
src = mne.setup_source_space("fsaverage5", spacing="oct6", add_dist=False, subjects_dir=sd)
t1 = time.time()
model = mne.make_bem_model("fsaverage5", ico=4, conductivity=(0.3,), subjects_dir=sd)
bem = mne.make_bem_solution(model)
t2 = time.time()
info = mne.io.read_info(raw)
fwd = mne.make_forward_solution(info, trans, src, bem, meg=True, eeg=False, mindist=5.0)
t3 = time.time()
print(t1 - t0, t2 - t1, t3 - t2)
PY
read ms mb mf < "$tmp/mne.txt"
awk -v gs="$(echo "$t1 - $t0" | bc)" -v gb="$(echo "$t2 - $t1" | bc)" -v gf="$(echo "$t3 - $t2" | bc)" \
	-v ms="$ms" -v mb="$mb" -v mf="$mf" 'BEGIN {
	printf "%-14s %10s %10s %8s\n", "step", "megflow s", "MNE s", "ratio"
	printf "%-14s %10.2f %10.2f %7.1fx\n", "source space", gs, ms, ms / gs
	printf "%-14s %10.2f %10.2f %7.1fx\n", "BEM solution", gb, mb, mb / gb
	printf "%-14s %10.2f %10.2f %7.1fx\n", "forward", gf, mf, mf / gf
}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
