#!/usr/bin/env python3
"""Compare `megflow maxwell` with MNE-Python's maxwell_filter on any recording.

    /usr/bin/python3 scripts/mne_maxwell_compare.py RAW.fif [options] [--megflow BIN]

The options are those of `megflow maxwell` (--origin X,Y,Z|auto, --frame,
--int-order, --ext-order, --regularize in|none, --calibration, --cross-talk,
--st-duration, --st-correlation, --bads, --destination FILE|X,Y,Z,
--bad-condition); the same values are handed to
mne.preprocessing.maxwell_filter. Both outputs are read back with MNE and
compared channel by channel: SNR = ||mne|| / ||megflow - mne|| over the MEG
channels (bad channels, reconstructed, included). The script also checks that
both keep the same moments (sss_info components, nfree), that the tSSS
projection counts per buffer agree, and that MNE reads megflow's file as
Maxwell filtered (its SSS rank equals nfree).

Prints one JSON object; exits 1 when a check fails: SNR min >= 1000 without
tSSS, min >= 100 and median >= 1000 with tSSS (the golden README's bars).
"""
import argparse
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import mne


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("raw")
    p.add_argument("--megflow", default=None, help="megflow binary (default: go run ./cmd/megflow)")
    p.add_argument("--origin", default="auto")
    p.add_argument("--frame", default="head")
    p.add_argument("--int-order", type=int, default=8)
    p.add_argument("--ext-order", type=int, default=3)
    p.add_argument("--regularize", default="in")
    p.add_argument("--calibration", default=None)
    p.add_argument("--cross-talk", default=None)
    p.add_argument("--st-duration", type=float, default=0.0)
    p.add_argument("--st-correlation", type=float, default=0.98)
    p.add_argument("--bads", default="")
    p.add_argument("--destination", default=None)
    p.add_argument("--bad-condition", default="error")
    return p.parse_args(argv)


def vec_or_str(s):
    parts = s.split(",")
    if len(parts) == 3:
        try:
            return np.array([float(x) for x in parts])
        except ValueError:
            pass
    return s


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def run_mne(a, out):
    raw = mne.io.read_raw_fif(a.raw, allow_maxshield=True, preload=True, verbose="error")
    extra = [b for b in a.bads.split(",") if b]
    raw.info["bads"] = list(raw.info["bads"]) + [b for b in extra if b not in raw.info["bads"]]
    kwargs = dict(
        origin="auto" if a.origin == "auto" else vec_or_str(a.origin),
        int_order=a.int_order, ext_order=a.ext_order,
        calibration=a.calibration, cross_talk=a.cross_talk,
        st_duration=a.st_duration if a.st_duration > 0 else None,
        st_correlation=a.st_correlation, coord_frame=a.frame,
        destination=vec_or_str(a.destination) if a.destination else None,
        regularize=None if a.regularize == "none" else a.regularize,
        bad_condition=a.bad_condition)
    cap = Capture()
    mne.utils.logger.addHandler(cap)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # MNE's log, off the JSON
            sss = mne.preprocessing.maxwell_filter(raw, verbose="info", **kwargs)
    finally:
        mne.utils.logger.removeHandler(cap)
    sss.save(out, overwrite=True, verbose="error")
    proj = [int(m.group(1)) for line in cap.lines
            for m in [re.search(r"Projecting\s+(\d+) intersecting tSSS", line)] if m]
    return proj, kwargs


def run_megflow(a, out):
    cmd = [a.megflow] if a.megflow else ["go", "run", "./cmd/megflow"]
    cmd += ["-q", "maxwell", "--json", "--overwrite", "--origin", a.origin, "--frame", a.frame,
            "--int-order", str(a.int_order), "--ext-order", str(a.ext_order),
            "--regularize", a.regularize, "--st-duration", repr(a.st_duration),
            "--st-correlation", repr(a.st_correlation), "--bad-condition", a.bad_condition]
    for flag, val in (("--calibration", a.calibration), ("--cross-talk", a.cross_talk),
                      ("--destination", a.destination), ("--bads", a.bads)):
        if val:
            cmd += [flag, val]
    cmd += [a.raw, out]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    res = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("megflow failed (%d): %s\n%s" % (res.returncode, " ".join(cmd), res.stderr))
    return json.loads(res.stdout)


def main(argv):
    a = parse_args(argv)
    for attr in ("raw", "calibration", "cross_talk"):
        v = getattr(a, attr)
        if v:
            setattr(a, attr, os.path.abspath(v))
    if a.destination and os.path.exists(a.destination):
        a.destination = os.path.abspath(a.destination)
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "mne_sss_raw.fif")
        got_path = os.path.join(tmp, "megflow_sss_raw.fif")
        mne_proj, kwargs = run_mne(a, ref_path)
        rep = run_megflow(a, got_path)
        ref = mne.io.read_raw_fif(ref_path, preload=True, verbose="error")
        got = mne.io.read_raw_fif(got_path, preload=True, verbose="error")
        picks = mne.pick_types(ref.info, meg=True, exclude=[])
        names = [ref.ch_names[p] for p in picks]
        r = ref.get_data(picks)
        g = got.get_data([got.ch_names.index(n) for n in names])
        snr = np.linalg.norm(r, axis=1) / np.linalg.norm(g - r, axis=1)
        others = [n for n in ref.ch_names if n not in names]
        other_ok = bool(np.array_equal(ref.get_data(others), got.get_data(others))) if others else True
        ref_sss = ref.info["proc_history"][0]["max_info"]["sss_info"]
        got_sss = got.info["proc_history"][0]["max_info"]["sss_info"]
        rank = mne.rank._get_rank_sss(got)
        tsss = a.st_duration > 0
        fin = lambda x: float(x) if np.isfinite(x) else 1e300
        out = dict(
            raw=a.raw, args={k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()},
            snr_min=fin(snr.min()), snr_median=fin(np.median(snr)),
            worst_channel=names[int(np.argmin(snr))],
            nfree_mne=int(ref_sss["nfree"]), nfree_megflow=int(got_sss["nfree"]), rank_megflow=int(rank),
            components_equal=bool(np.array_equal(ref_sss["components"], got_sss["components"])),
            tsss_mne=mne_proj, tsss_megflow=rep.get("tsss_n_projected") or [],
            bads_mne=ref.info["bads"], bads_megflow=got.info["bads"],
            other_channels_equal=other_ok)
        fails = []
        if tsss:
            if out["snr_min"] < 100 or out["snr_median"] < 1000:
                fails.append("SNR below 100 (min) / 1000 (median)")
        elif out["snr_min"] < 1000:
            fails.append("SNR min below 1000")
        if out["nfree_mne"] != out["nfree_megflow"] or not out["components_equal"]:
            fails.append("kept components differ")
        if out["rank_megflow"] != out["nfree_megflow"]:
            fails.append("MNE's SSS rank of megflow's output differs from nfree")
        if tsss and out["tsss_mne"] != out["tsss_megflow"]:
            fails.append("tSSS projection counts differ")
        if out["bads_mne"] != out["bads_megflow"]:
            fails.append("bads differ")
        if not other_ok:
            fails.append("non-MEG channels differ")
        out["ok"] = not fails
        out["failures"] = fails
        return out


if __name__ == "__main__":
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # MNE logs to stdout
        result = main(sys.argv[1:])
    print(json.dumps(result, indent=2), file=real_stdout)
    sys.exit(0 if result["ok"] else 1)
