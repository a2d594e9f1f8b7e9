#!/usr/bin/env python3
"""Apply a megflow -inv.fif with MNE-Python (scripts/mne_inverse_compare.py).

    /usr/bin/python3 scripts/mne_inverse_compare.py INV.fif EPOCHS.h5 RAW.fif OUT.h5

INV.fif is read with mne.minimum_norm.read_inverse_operator; EPOCHS.h5
holds `data` (n_epochs x n_channels x n_times, float64), `ch_names`,
`tmin` and the attribute `lambda2`; the channel information comes from
RAW.fif (picked to ch_names). For every method (MNE, dSPM, sLORETA) and
pick_ori (none, normal, vector), apply_inverse_epochs is run and the
estimates are stored in OUT.h5 as `<method>/<pick_ori>` (n_epochs x
n_rows x n_times, vector: n_sources*3 rows, source-major), with the
inverse operator's `sing`, `source_cov`, `ch_names` and the
noise-normalization of prepare_inverse_operator (`<method>/noisenorm`).
"""
import sys

import h5py
import mne
import numpy as np
from mne.minimum_norm import apply_inverse_epochs, prepare_inverse_operator, read_inverse_operator


def main(inv_path, epochs_path, raw_path, out_path):
    mne.set_log_level("error")
    inv = read_inverse_operator(inv_path)
    with h5py.File(epochs_path, "r") as f:
        data = f["data"][()]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["ch_names"][()]]
        tmin = float(f["tmin"][()])
        lambda2 = float(f.attrs["lambda2"])
    info = mne.io.read_info(raw_path)
    info = mne.pick_info(info, [info["ch_names"].index(n) for n in names])
    epochs = mne.EpochsArray(data, info, tmin=tmin, baseline=None)
    with h5py.File(out_path, "w") as out:
        out["sing"] = inv["sing"]
        out["source_cov"] = inv["source_cov"]["data"]
        out["ch_names"] = np.array([n.encode() for n in inv["noise_cov"].ch_names])
        out["vertices_lh"] = inv["src"][0]["vertno"]
        out["vertices_rh"] = inv["src"][1]["vertno"]
        for method in ("MNE", "dSPM", "sLORETA"):
            if method != "MNE":
                prep = prepare_inverse_operator(inv, 1, lambda2, method)
                out[method + "/noisenorm"] = prep["noisenorm"]
            for pick in (None, "normal", "vector"):
                stcs = apply_inverse_epochs(epochs, inv, lambda2, method, pick_ori=pick)
                arr = np.array([s.data.reshape(-1, s.data.shape[-1]) for s in stcs])
                out[f"{method}/{pick or 'none'}"] = arr


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
