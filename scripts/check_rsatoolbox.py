#!/usr/bin/env python3
"""Check that rsatoolbox's own loader opens RDM files written by megflow.

Usage: RSATOOLBOX_PATH=/tmp/rsatoolbox-src/src check_rsatoolbox.py FILE.h5 [...]

RSATOOLBOX_PATH is a directory holding the rsatoolbox package source (a
checkout's src/ or its root). The package's __init__ (which needs installed
metadata and compiled/plotting extras) is bypassed: only rsatoolbox.io.hdf5
and rsatoolbox.rdm.rdms are imported, which need numpy, scipy and h5py.

For each file it loads the RDMs with read_dict_hdf5 + rdms_from_dict and
with load_rdm, and checks that the measure and every string descriptor are
Python str (not bytes, not split into characters), that the descriptor
lengths match, and that the dissimilarities equal what h5py reads. It prints
one JSON line per file and exits 1 on any failure.
"""
import json
import os
import sys
import types

import h5py
import numpy as np


def import_rsatoolbox():
    root = os.environ.get("RSATOOLBOX_PATH")
    if not root:
        sys.exit("RSATOOLBOX_PATH is not set")
    for cand in (root, os.path.join(root, "src")):
        if os.path.isdir(os.path.join(cand, "rsatoolbox")):
            root = cand
            break
    else:
        sys.exit(f"no rsatoolbox package under {root}")
    # Stub the package and the subpackages whose __init__ pulls in optional
    # dependencies (pandas, matplotlib, compiled engines); the modules
    # themselves load from the source tree.
    for sub in ("", ".io", ".rdm", ".util", ".data", ".model", ".inference", ".cengine", ".vis"):
        pkg = types.ModuleType("rsatoolbox" + sub)
        pkg.__path__ = [os.path.join(root, "rsatoolbox", *sub.split(".")[1:])]
        pkg.__version__ = "source"
        sys.modules["rsatoolbox" + sub] = pkg
    try:
        import pandas  # noqa: F401  (rsatoolbox.io.pandas needs it)
    except ImportError:
        # only RDMs.to_df uses it; keep the loader importable without pandas
        stub = types.ModuleType("rsatoolbox.io.pandas")

        def rdms_to_df(*a, **k):
            raise ImportError("pandas is not installed")
        stub.rdms_to_df = rdms_to_df
        sys.modules["rsatoolbox.io.pandas"] = stub
    from rsatoolbox.io.hdf5 import read_dict_hdf5
    from rsatoolbox.rdm.rdms import rdms_from_dict, load_rdm
    return read_dict_hdf5, rdms_from_dict, load_rdm


def check(path, read_dict_hdf5, rdms_from_dict, load_rdm):
    errs = []
    rdms = rdms_from_dict(read_dict_hdf5(path))
    rdms2 = load_rdm(path)
    with h5py.File(path, "r") as f:
        d = f["dissimilarities"][()]
    if not isinstance(rdms.dissimilarity_measure, str):
        errs.append(f"dissimilarity_measure is {type(rdms.dissimilarity_measure).__name__}")
    if rdms.n_rdm != d.shape[0]:
        errs.append(f"n_rdm {rdms.n_rdm} != {d.shape[0]}")
    if not np.array_equal(rdms.dissimilarities, d) or not np.array_equal(rdms2.dissimilarities, d):
        errs.append("dissimilarities differ from h5py")
    for kind, desc, n in (("rdm", rdms.rdm_descriptors, rdms.n_rdm),
                          ("pattern", rdms.pattern_descriptors, rdms.n_cond)):
        for k, v in desc.items():
            if len(v) != n:
                errs.append(f"{kind}_descriptors[{k}] has {len(v)} entries, want {n}")
            for x in v[:3]:
                if isinstance(x, (bytes, np.bytes_)):
                    errs.append(f"{kind}_descriptors[{k}] holds bytes")
                    break
    for k, v in rdms.descriptors.items():
        if isinstance(v, (bytes, np.bytes_)):
            errs.append(f"descriptors[{k}] is bytes")
    res = {
        "file": path, "ok": not errs, "errors": errs,
        "measure": rdms.dissimilarity_measure, "n_rdm": int(rdms.n_rdm), "n_cond": int(rdms.n_cond),
        "rdm_descriptors": sorted(rdms.rdm_descriptors), "pattern_descriptors": sorted(rdms.pattern_descriptors),
        "first_roi": str(rdms.rdm_descriptors.get("roi", [""])[0]),
        "first_condition": str(rdms.pattern_descriptors.get("condition", [""])[0]),
    }
    print(json.dumps(res))
    return not errs


def main():
    fns = import_rsatoolbox()
    ok = all([check(p, *fns) for p in sys.argv[1:]])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
