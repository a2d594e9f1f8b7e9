#!/usr/bin/env python3
"""Apply an -inv.fif to raw data with MNE-Python (scripts/mne_inverse_raw_compare.py).

    /usr/bin/python3 scripts/mne_inverse_raw_compare.py --inv INV.fif --raw RAW.fif \
        --start S --stop T --out OUT.h5 [--lambda2 L] [--methods dSPM,sLORETA] \
        [--picks none,normal] [--free FWD.fif COV.fif FREE-inv.fif] [--stc STEM ...]

The inverse operator INV.fif (megflow's or MNE's) is read with
read_inverse_operator and applied with apply_inverse_raw(raw, inv,
lambda2, method, start=S, stop=T, pick_ori=...) (nave 1) for every method
and pick_ori; the estimates are stored in OUT.h5 as `<method>/<pick_ori>`
(n_rows x n_times; vector: n_sources*3 rows, source-major), with `tmin`,
`tstep` and the vertices of the first estimate.

--free makes MNE's free-orientation operator (loose=1, depth 0.8) from
FWD.fif, COV.fif and the raw info, writes it to FREE-inv.fif (for megflow to
read) and stores its estimates as `free/<method>/<pick_ori>`.

--stc reads megflow's .stc pairs with mne.read_source_estimate and stores
them as `stc/<i>/data`, `stc/<i>/tmin`, `stc/<i>/tstep`, `stc/<i>/vertices_lh`
and `stc/<i>/vertices_rh`.
"""
import argparse

import h5py
import mne
import numpy as np
from mne.minimum_norm import (apply_inverse_raw, make_inverse_operator,
                              read_inverse_operator, write_inverse_operator)


def apply_all(out, prefix, raw, inv, args):
    for method in args.methods.split(","):
        for pick in args.picks.split(","):
            stc = apply_inverse_raw(raw, inv, args.lambda2, method, start=args.start,
                                    stop=args.stop, pick_ori=None if pick == "none" else pick)
            out[f"{prefix}{method}/{pick}"] = stc.data.reshape(-1, stc.data.shape[-1])
            if "tmin" not in out:
                out["tmin"] = stc.tmin
                out["tstep"] = stc.tstep
                out["vertices_lh"] = stc.vertices[0].astype(np.int64)
                out["vertices_rh"] = stc.vertices[1].astype(np.int64)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inv", required=True)
    p.add_argument("--raw", required=True)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--stop", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--lambda2", type=float, default=1.0 / 9)
    p.add_argument("--methods", default="dSPM,sLORETA")
    p.add_argument("--picks", default="none,normal")
    p.add_argument("--free", nargs=3, metavar=("FWD", "COV", "FREE_INV"))
    p.add_argument("--stc", nargs="*", default=[])
    args = p.parse_args()
    mne.set_log_level("error")
    raw = mne.io.read_raw_fif(args.raw, preload=False)
    with h5py.File(args.out, "w") as out:
        apply_all(out, "", raw, read_inverse_operator(args.inv), args)
        if args.free:
            fwd_path, cov_path, free_path = args.free
            fwd = mne.read_forward_solution(fwd_path)
            cov = mne.read_cov(cov_path)
            free = make_inverse_operator(raw.info, fwd, cov, loose=1.0, depth=0.8)
            write_inverse_operator(free_path, free, overwrite=True)
            apply_all(out, "free/", raw, free, args)
        for i, stem in enumerate(args.stc):
            stc = mne.read_source_estimate(stem)
            out[f"stc/{i}/data"] = stc.data
            out[f"stc/{i}/tmin"] = stc.tmin
            out[f"stc/{i}/tstep"] = stc.tstep
            out[f"stc/{i}/vertices_lh"] = stc.vertices[0].astype(np.int64)
            out[f"stc/{i}/vertices_rh"] = stc.vertices[1].astype(np.int64)


if __name__ == "__main__":
    main()
