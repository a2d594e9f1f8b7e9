#!/usr/bin/python3
"""Compare megflow's MEG forward solution with MNE-Python's on the same inputs.

MNE reads megflow's -src.fif, -bem-sol.fif and -fwd.fif; it recomputes the
forward solution from the same info, trans, source spaces and BEM with
mne.make_forward_solution and compares, per source column, the correlation
and the relative error ||dg||/||g|| of the free-orientation gain and of the
fixed (surface-normal) gain, plus the source positions and normals.

Usage:
  /usr/bin/python3 scripts/mne_forward_compare.py --info RAW.fif --trans TRANS.fif \
      --src SRC.fif --bem BEM-sol.fif --fwd megflow-fwd.fif [--mindist 5] [--json]

Exit status 0 when every tolerance holds (corr > 0.999, rel. error < 1e-3,
positions/normals < 1e-6), 1 otherwise.
"""
import argparse
import json
import sys

import numpy as np
import mne


def col_stats(a, b):
    a = a - a.mean(0)
    b = b - b.mean(0)
    corr = (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))
    return corr


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--info", required=True)
    p.add_argument("--trans", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--bem", required=True)
    p.add_argument("--fwd", required=True)
    p.add_argument("--mindist", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    mne.set_log_level("ERROR")
    info = mne.io.read_info(a.info)
    src = mne.read_source_spaces(a.src)
    bem = mne.read_bem_solution(a.bem)
    ref = mne.make_forward_solution(info, a.trans, src, bem, meg=True, eeg=False, mindist=a.mindist)
    got = mne.read_forward_solution(a.fwd)
    out = dict(n_sources=[int(ref["nsource"]), int(got["nsource"])],
               n_channels=[int(ref["nchan"]), int(got["nchan"])])
    ok = ref["nsource"] == got["nsource"] and ref["sol"]["row_names"] == got["sol"]["row_names"]
    ok &= all(np.array_equal(s1["vertno"], s2["vertno"]) for s1, s2 in zip(ref["src"], got["src"]))
    out["same_sources"] = bool(ok)
    if ok:
        out["max_abs_source_rr"] = float(np.abs(ref["source_rr"] - got["source_rr"]).max())
        out["max_abs_source_nn"] = float(np.abs(ref["source_nn"] - got["source_nn"]).max())
        for name, conv in (("free", dict(surf_ori=False)),
                           ("fixed", dict(surf_ori=True, force_fixed=True, use_cps=True))):
            r = mne.convert_forward_solution(ref, copy=True, **conv)["sol"]["data"]
            g = mne.convert_forward_solution(got, copy=True, **conv)["sol"]["data"]
            corr = col_stats(g, r)
            rel = np.linalg.norm(g - r, axis=0) / np.linalg.norm(r, axis=0)
            out[name] = dict(min_corr=float(corr.min()), max_rel=float(rel.max()),
                             median_rel=float(np.median(rel)))
            ok &= corr.min() > 0.999 and rel.max() < 1e-3
        ok &= out["max_abs_source_rr"] < 1e-6 and out["max_abs_source_nn"] < 1e-6
    out["ok"] = bool(ok)
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
