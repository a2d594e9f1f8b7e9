#!/usr/bin/python3
"""Compare megflow's event detection with mne.find_events (run with Debian's
/usr/bin/python3, which has MNE-Python).

  mne_events_compare.py mne FILE.fif < PARAMS.json
      Oracle mode (used by the Go tests): reads a JSON list of find_events
      argument dicts (stim_channel, output, consecutive, min_duration,
      shortest_event, mask, mask_type, uint_cast, initial_event; missing keys
      take MNE's defaults), calls mne.find_events on FILE for each, and
      prints a JSON list with, per call, {"events": [[sample, prev, id],
      ...]} or {"error": "ExceptionType: message"}.

  mne_events_compare.py compare [--megflow BIN] FILE.fif [FILE.fif ...]
      Runs a grid of argument combinations (consecutive x mask/mask_type x
      min_duration x output x shortest_event x uint_cast x initial_event)
      through both `megflow events --json` and mne.find_events, and reports
      every difference (an error in one but not the other counts). Exit
      status 1 when anything differs. BIN defaults to bin/megflow.
"""
import itertools
import json
import subprocess
import sys

import numpy as np
import mne


def find(raw, p):
    kw = dict(p)
    try:
        ev = mne.find_events(raw, verbose="error", **kw)
        return {"events": np.asarray(ev).astype(np.int64).tolist()}
    except Exception as e:  # the error itself is part of MNE's behaviour
        return {"error": f"{type(e).__name__}: {e}"}


def read(path):
    return mne.io.read_raw_fif(path, preload=True, allow_maxshield=True, verbose="error")


def grid(stim=None, mask=4096 + 256):
    out = []
    for cons, (m, mt), mind, output, short, uc, ie in itertools.product(
            ["increasing", True, False],
            [(None, "and"), (mask, "and"), (mask, "not_and")],
            [0, 0.002, 0.0045],
            ["onset", "offset", "step"],
            [1, 2],
            [False, True],
            [False, True]):
        p = dict(consecutive=cons, mask=m, mask_type=mt, min_duration=mind,
                 output=output, shortest_event=short, uint_cast=uc, initial_event=ie)
        if stim is not None:
            p["stim_channel"] = stim
        out.append(p)
    return out


def megflow_args(p):
    args = ["events", "--json", "-q"]
    if p.get("stim_channel") is not None:
        s = p["stim_channel"]
        args += ["--stim", ",".join(s) if isinstance(s, list) else s]
    c = p.get("consecutive", "increasing")
    args += ["--consecutive", c if isinstance(c, str) else str(c).lower()]
    args += ["--output", p.get("output", "onset")]
    args += ["--min-duration", repr(float(p.get("min_duration", 0)))]
    args += ["--shortest-event", str(p.get("shortest_event", 2))]
    if p.get("mask") is not None:
        args += ["--mask", str(p["mask"])]
    args += ["--mask-type", p.get("mask_type", "and")]
    if p.get("uint_cast"):
        args.append("--uint-cast")
    if p.get("initial_event"):
        args.append("--initial-event")
    return args


def compare(binary, files):
    bad = 0
    total = 0
    for path in files:
        raw = read(path)
        for p in grid():
            total += 1
            want = find(raw, p)
            r = subprocess.run([binary] + megflow_args(p) + ["--allow-maxshield", path],
                               capture_output=True, text=True)
            if r.returncode == 0:
                got = {"events": [[e["sample"], e["previous"], e["id"]] for e in json.loads(r.stdout)]}
            else:
                got = {"error": r.stderr.strip()}
            same = ("error" in got and "error" in want) or got == want
            if not same:
                bad += 1
                print(f"DIFF {path} {p}\n  mne:     {str(want)[:300]}\n  megflow: {str(got)[:300]}")
    print(f"{total - bad}/{total} parameter combinations identical")
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "mne":
        params = json.load(sys.stdin)
        raw = read(argv[1])
        json.dump([find(raw, p) for p in params], sys.stdout)
        return 0
    if len(argv) >= 2 and argv[0] == "compare":
        binary = "bin/megflow"
        rest = argv[1:]
        if rest[0] == "--megflow":
            binary, rest = rest[1], rest[2:]
        return compare(binary, rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
