#!/usr/bin/python3
"""Compare megflow's filter and notch commands with MNE-Python (run with
Debian's /usr/bin/python3, which has MNE 1.3 and scipy).

  mne_filter_compare.py [--megflow BIN] [--cases N] [--seed S] [--tmp DIR]
                        [--json] RAW.fif [RAW.fif ...]

For each case, parameters are drawn at random within MNE's valid range
(FIR or IIR; high-, low-, band-pass, band-stop, notch; automatic or
explicit transition bands and lengths; hamming/hann/blackman; Butterworth
orders 1-6; default or explicit channel picks). MNE filters the recording
in memory (raw.filter / raw.notch_filter); megflow writes a float64 FIF
that MNE reads back. The filtered channels must agree to 1e-6 of each
channel's std (edges included), the others exactly, and info['highpass']
/ info['lowpass'] must match. Prints one line per case (or JSON) and
exits 1 if any case fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import mne

mne.set_log_level("ERROR")

WINDOWS = ("hamming", "hann", "blackman")
FACTORS = dict(hamming=3.3, hann=3.1, blackman=5.0)


def draw_case(rng, raw):
    """Random raw.filter/notch_filter arguments valid for this recording."""
    sf = raw.info["sfreq"]
    nyq = sf / 2.0
    n = raw.n_times
    case = dict(kind=None, args={}, flags=[])
    r = rng.random()
    if r < 0.15:
        # notch at line frequencies (and maybe a harmonic)
        base = float(rng.choice([50.0, 60.0]))
        freqs = [base] + ([2 * base] if rng.random() < 0.5 and 2 * base + 2 < nyq else [])
        case["kind"] = "notch"
        case["args"] = dict(freqs=freqs)
        case["flags"] = ["notch", "--freqs", ",".join(f"{f:g}" for f in freqs)]
        if rng.random() < 0.3:
            w = float(np.round(rng.uniform(0.5, 3.0), 2))
            case["args"]["notch_widths"] = w
            case["flags"] += ["--notch-widths", f"{w:g}"]
        return case
    method = "iir" if rng.random() < 0.3 else "fir"
    shape = rng.choice(["low", "high", "band", "stop"] if method == "fir" else ["low", "high", "band"])
    l_freq = h_freq = None
    lo_max = min(nyq * 0.3, 20.0)
    if shape in ("high", "band", "stop"):
        l_freq = float(np.round(rng.uniform(0.3, lo_max), 2))
    if shape in ("low", "band"):
        lo = (l_freq or 1.0) + 5.0
        h_freq = float(np.round(rng.uniform(lo, nyq * 0.8), 2))
    if shape == "stop":
        # far enough apart for the automatic transition bands
        h_freq = float(np.round(rng.uniform(2 * l_freq + 5.0, nyq * 0.8), 2))
    if shape == "stop":
        l_freq, h_freq = h_freq, l_freq  # MNE: l_freq > h_freq is a band-stop
    args = dict(l_freq=l_freq, h_freq=h_freq, method=method)
    flags = ["filter", "--method", method]
    if l_freq is not None:
        flags += ["--l-freq", f"{l_freq:g}"]
    if h_freq is not None:
        flags += ["--h-freq", f"{h_freq:g}"]
    if shape == "stop":
        flags.append("--bandstop")
    if method == "fir":
        win = str(rng.choice(WINDOWS))
        args["fir_window"] = win
        flags += ["--fir-window", win]
        tbs = []
        for side, f in (("l", l_freq), ("h", h_freq)):
            if f is None:
                continue
            if rng.random() < 0.5:
                if side == "l":
                    hi = f if shape != "stop" else (l_freq - h_freq) / 2.5
                else:
                    hi = nyq - f if shape != "stop" else (l_freq - h_freq) / 2.5
                if shape == "band" and side == "h":
                    hi = min(hi, nyq - f)
                tb = float(np.round(rng.uniform(0.2, 1.0) * hi, 2))
                if tb <= 0:
                    continue
                args[side + "_trans_bandwidth"] = tb
                flags += [f"--{side}-trans-bandwidth", f"{tb:g}"]
                tbs.append(tb)
        if rng.random() < 0.3:
            # an explicit length long enough for the narrowest band (MNE's
            # automatic bands; a band-stop's lower edge is h_freq)
            edges = [f for f in (l_freq, h_freq) if f is not None]
            lower, upper = min(edges), max(edges)
            auto = []
            if l_freq is not None:
                auto.append(min(max(0.25 * lower, 2.0), lower))
            if h_freq is not None:
                auto.append(min(max(0.25 * upper, 2.0), nyq - upper))
            narrow = min(tbs + auto)
            secs = float(np.round(FACTORS[win] / narrow * rng.uniform(1.05, 1.6), 2))
            if secs * sf < n:
                args["filter_length"] = f"{secs:g}s"
                flags += ["--filter-length", f"{secs:g}s"]
    else:
        order = int(rng.integers(1, 7))
        args["iir_params"] = dict(order=order, ftype="butter", output="sos")
        flags += ["--iir-order", str(order)]
    case["kind"] = "filter"
    case["args"] = args
    case["flags"] = flags
    return case


def pick_arg(rng, raw):
    """Default picks, or a channel type, or a few names."""
    r = rng.random()
    types = set(raw.get_channel_types())
    if r < 0.6:
        return None, []
    if r < 0.8 and "mag" in types:
        return "mag", ["--picks", "mag"]
    names = list(rng.choice(raw.ch_names, size=min(4, len(raw.ch_names)), replace=False))
    names = [nm for nm in names if raw.get_channel_types([nm])[0] not in ("stim",)] or [raw.ch_names[0]]
    return names, ["--picks", ",".join(names)]


def run_case(megflow, path, case, picks, pflags, tmp, idx):
    raw = mne.io.read_raw_fif(path, preload=True)
    ref = raw.copy()
    kw = dict(case["args"])
    if picks is not None:
        kw["picks"] = picks
    if case["kind"] == "notch":
        ref.notch_filter(**kw)
    else:
        if kw.get("method") == "iir":
            kw.pop("fir_window", None)
        ref.filter(**kw)
    out = os.path.join(tmp, f"case{idx}_raw.fif")
    cmd = [megflow, "-q"] + case["flags"] + pflags + ["--fmt", "double", "--overwrite", path, out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    res = dict(case=idx, file=os.path.basename(path), call=case["kind"], args=case["args"],
               picks=picks, command=" ".join(cmd[1:]))
    if p.returncode != 0:
        res.update(ok=False, error=p.stderr.strip())
        return res
    got = mne.io.read_raw_fif(out, preload=True)
    a, b = ref.get_data(), got.get_data()
    std = a.std(axis=1)
    std[std == 0] = 1.0
    err = np.abs(a - b).max(axis=1) / std
    res["max_err_over_std"] = float(err.max())
    res["highpass"] = [ref.info["highpass"], got.info["highpass"]]
    res["lowpass"] = [ref.info["lowpass"], got.info["lowpass"]]
    ok = err.max() < 1e-6
    # FIF stores highpass/lowpass as float32
    ok = ok and np.isclose(ref.info["highpass"], got.info["highpass"], rtol=1e-7, atol=0)
    ok = ok and np.isclose(ref.info["lowpass"], got.info["lowpass"], rtol=1e-7, atol=0)
    res["ok"] = bool(ok)
    os.remove(out)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raws", nargs="+")
    ap.add_argument("--megflow", default=os.path.join(os.path.dirname(__file__), "..", "bin", "megflow"))
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--json", action="store_true")
    o = ap.parse_args()
    rng = np.random.default_rng(o.seed)
    tmp = o.tmp or tempfile.mkdtemp(prefix="megflow-filter-compare-")
    results = []
    for i in range(o.cases):
        path = o.raws[i % len(o.raws)]
        raw = mne.io.read_raw_fif(path, preload=False)
        case = draw_case(rng, raw)
        picks, pflags = pick_arg(rng, raw)
        try:
            res = run_case(o.megflow, path, case, picks, pflags, tmp, i)
        except Exception as e:  # an MNE error: the draw was invalid
            res = dict(case=i, file=os.path.basename(path), args=case["args"], ok=False,
                       error=f"{type(e).__name__}: {e}")
        results.append(res)
        if not o.json:
            status = "ok  " if res.get("ok") else "FAIL"
            print(f"{status} case {i} {res['file']}: megflow {res.get('command', '')}: "
                  f"max err {res.get('max_err_over_std', float('nan')):.2e} x std, "
                  f"highpass {res.get('highpass')}, lowpass {res.get('lowpass')}"
                  + (f"  ERROR {res['error']}" if "error" in res else ""))
    if o.json:
        json.dump(results, sys.stdout, indent=1, default=str)
        print()
    sys.exit(0 if all(r.get("ok") for r in results) else 1)


if __name__ == "__main__":
    main()
