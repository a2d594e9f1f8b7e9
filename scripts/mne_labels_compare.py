#!/usr/bin/env python3
"""Reference label time courses from MNE for megflow's atlas tests.

Usage: mne_labels_compare.py SUBJECTS_DIR SUBJECT PARC OUT.h5 [SPACING]

Builds a surface source space (mne.setup_source_space, default spacing
oct6, no distances), a synthetic source estimate (seeded Gaussian noise
plus a smooth common component, so flips and PCA matter), reads the labels
of PARC with mne.read_labels_from_annot, and stores for the Go test:
vertno_lh/rh, nn_lh/rh (the source space normals at vertno), data
(n_sources x n_times, float64), label names, and
mne.extract_label_time_course(stc, labels, src, mode=m) for m in mean,
mean_flip, pca_flip, max (datasets tc_<mode>, n_labels x n_times) plus the
label_sign_flip of every label (flip, concatenated, with flip_offsets).
"""
import sys

import h5py
import mne
import numpy as np


def main():
    subjects_dir, subject, parc, out = sys.argv[1:5]
    spacing = sys.argv[5] if len(sys.argv) > 5 else "oct6"
    mne.set_log_level("ERROR")
    src = mne.setup_source_space(subject, spacing=spacing, subjects_dir=subjects_dir, add_dist=False)
    labels = mne.read_labels_from_annot(subject, parc, subjects_dir=subjects_dir)
    vertices = [s["vertno"] for s in src]
    n = sum(len(v) for v in vertices)
    rng = np.random.default_rng(42)
    n_times = 40
    t = np.arange(n_times) / 100.0
    common = np.sin(2 * np.pi * 7 * t)
    nn = np.concatenate([s["nn"][s["vertno"]] for s in src])
    data = rng.standard_normal((n, n_times)) + 3 * nn[:, :1] * common[None, :]
    stc = mne.SourceEstimate(data, vertices, tmin=0.0, tstep=0.01, subject=subject)
    with h5py.File(out, "w") as f:
        for h, s in zip(("lh", "rh"), src):
            f[f"vertno_{h}"] = s["vertno"].astype(np.int64)
            f[f"nn_{h}"] = s["nn"][s["vertno"]]
        f["data"] = data
        f["names"] = np.array([lab.name for lab in labels], dtype="S")
        for mode in ("mean", "mean_flip", "pca_flip", "max"):
            f[f"tc_{mode}"] = mne.extract_label_time_course(stc, labels, src, mode=mode)
        flips = [mne.label_sign_flip(lab, src) for lab in labels]
        f["flip"] = np.concatenate(flips)
        f["flip_offsets"] = np.cumsum([0] + [len(x) for x in flips])


if __name__ == "__main__":
    main()
