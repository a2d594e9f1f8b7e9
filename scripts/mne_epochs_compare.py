#!/usr/bin/env python3
"""Check megflow's -epo.fif / -ave.fif / -cov.fif files against MNE-Python.

MNE-Python must read the files megflow wrote, and they must match what
mne.Epochs / epochs.average / mne.compute_covariance (or
compute_raw_covariance) compute from the same input with the same
parameters.

    /usr/bin/python3 scripts/mne_epochs_compare.py CONFIG.json

CONFIG is a JSON object (keys not given take the defaults below):

    raws          list of raw FIF paths (epoched one by one, then
                  mne.concatenate_epochs when there are several)
    events        list of event files, one per raw; or null to find events
    stim          find_events arguments: {"stim_channel": "STI101",
                  "mask": 4352, "mask_type": "not_and", "min_duration": 0.003,
                  "consecutive": "increasing"}
    shift         seconds added to every event (rounded to samples)
    event_id      {"name": code, ...} (order kept)
    tmin, tmax, baseline ([start, end] with null for None, or null),
    decim, reject, flat, reject_tmin, reject_tmax, picks (type words such as
                  "meg,eog" -> their good channels; or a list of names),
                  proj (bool),
    equalize      bool: epochs.equalize_event_counts() after concatenation
    epo           megflow's -epo.fif (required unless only raw_cov is checked)
    ave           megflow's -ave.fif or null; conditions: list or null
                  (null: one average per condition, by_event_type)
    covs          list of {"file": megflow -cov.fif, "method": ..., "tmin":
                  ..., "tmax": ..., "rank": null | "info" | "full"}
    raw_covs      list of {"file": ..., "raw": ..., "method": ..., "tstep":
                  0.2, "reject": {...} or null, "tmin": 0, "tmax": null}
    fmt           "single" (default) or "double": the sample format of epo
    save_mne_epo  path: also save MNE's epochs there (for megflow to read)
    tol           data tolerance relative to each channel's std (1e-6)
    cov_tol       covariance tolerance, ||dC||_F/||C||_F (1e-6)

It prints one JSON object with the measured differences and exits with
status 1 when a check fails.
"""
import json
import sys

import numpy as np
import mne

mne.set_log_level("error")


def load_events(cfg, i, raw):
    if cfg.get("events"):
        ev = mne.read_events(cfg["events"][i])
    else:
        kw = dict(cfg.get("stim") or {})
        ev = mne.find_events(raw, **kw)
    shift = cfg.get("shift") or 0.0
    if shift:
        ev = ev.copy()
        ev[:, 0] += int(round(shift * raw.info["sfreq"]))
    return ev


def picks_for(raw, spec):
    """megflow's --picks: type words select good channels of the type."""
    if spec is None:
        spec = "meg"
    if isinstance(spec, str):
        kw = {w.strip(): True for w in spec.split(",") if w.strip()}
        return mne.pick_types(raw.info, exclude="bads", **kw)
    return mne.pick_channels(raw.ch_names, spec, ordered=False)


def mne_epochs(cfg):
    out = []
    for i, path in enumerate(cfg["raws"]):
        raw = mne.io.read_raw_fif(path, preload=False)
        ev = load_events(cfg, i, raw)
        bl = cfg.get("baseline", [None, 0])
        ep = mne.Epochs(
            raw, ev, cfg.get("event_id"), tmin=cfg.get("tmin", -0.2),
            tmax=cfg.get("tmax", 0.5),
            baseline=tuple(bl) if bl is not None else None,
            picks=picks_for(raw, cfg.get("picks")), preload=True,
            reject=cfg.get("reject"), flat=cfg.get("flat"),
            proj=cfg.get("proj", True), decim=cfg.get("decim", 1),
            reject_tmin=cfg.get("reject_tmin"),
            reject_tmax=cfg.get("reject_tmax"))
        out.append(ep)
    ep = out[0] if len(out) == 1 else mne.concatenate_epochs(out)
    if cfg.get("equalize"):
        ep.equalize_event_counts()
    return ep


def rel_err(a, b, ref):
    """max |a - b| per channel relative to the channel std of ref."""
    std = ref.std(axis=tuple(i for i in range(ref.ndim) if i != ref.ndim - 2))
    std[std == 0] = 1
    d = np.abs(a - b).max(axis=tuple(i for i in range(a.ndim) if i != a.ndim - 2))
    return float((d / std).max())


def main():
    cfg = json.load(open(sys.argv[1]))
    tol = cfg.get("tol", 1e-6)
    cov_tol = cfg.get("cov_tol", 1e-6)
    report, failures = {}, []

    def check(name, ok, value=None):
        report[name] = value if value is not None else bool(ok)
        if not ok:
            failures.append(name)

    ref = None
    if cfg.get("epo"):
        ref = mne_epochs(cfg)
        if cfg.get("save_mne_epo"):
            ref.save(cfg["save_mne_epo"], overwrite=True)
        got = mne.read_epochs(cfg["epo"], preload=True)
        check("ch_names", got.ch_names == ref.ch_names)
        check("sfreq", got.info["sfreq"] == ref.info["sfreq"])
        check("times", np.allclose(got.times, ref.times, atol=1e-12))
        check("events", np.array_equal(got.events, ref.events))
        check("selection", np.array_equal(got.selection, ref.selection))
        check("drop_log", got.drop_log == ref.drop_log)
        check("event_id", list(got.event_id.items()) == list(ref.event_id.items()))
        check("baseline", got.baseline is None and ref.baseline is None or
              np.allclose(got.baseline, ref.baseline, atol=1e-6))
        check("bads", got.info["bads"] == ref.info["bads"])
        check("projs", [(p["desc"], p["active"]) for p in got.info["projs"]] ==
              [(p["desc"], p["active"]) for p in ref.info["projs"]])
        check("lowpass", got.info["lowpass"] == ref.info["lowpass"])
        check("reject", got.reject == ref.reject)
        report["n_epochs"] = len(got)
        if len(got) == len(ref):
            want = ref.get_data()
            if cfg.get("fmt", "single") == "single":
                # What saving MNE's epochs as float32 stores (data / cal).
                cal = np.array([ch["cal"] for ch in ref.info["chs"]])[:, None]
                want = (want * (1.0 / cal)).astype(np.float32).astype(np.float64) * cal
            e = rel_err(got.get_data(), want, ref.get_data())
            check("data", e < tol, e)
        else:
            check("data", False, "different epoch counts %d vs %d" % (len(got), len(ref)))

    if cfg.get("ave"):
        conds = cfg.get("conditions")
        if conds:
            want = [ref[c].average() for c in conds]
        else:
            want = ref.average(by_event_type=True)
        got = mne.read_evokeds(cfg["ave"], baseline=None, proj=False)
        check("ave_count", len(got) == len(want))
        worst = 0.0
        for g, w in zip(got, want):
            check("ave_comment:" + w.comment, g.comment == w.comment)
            check("ave_nave:" + w.comment, g.nave == w.nave)
            check("ave_ch_names", g.ch_names == w.ch_names)
            check("ave_times", np.allclose(g.times, w.times, atol=1e-6))
            # -ave.fif files store float32 (data / cal), as MNE writes them:
            # allow one float32 rounding step on top of the tolerance.
            excess = np.maximum(np.abs(g.data - w.data) - 2.0 ** -23 * np.abs(w.data), 0)
            worst = max(worst, rel_err(excess, 0 * excess, w.data))
        check("ave_data", worst < tol, worst)

    for c in cfg.get("covs") or []:
        want = mne.compute_covariance(ref, tmin=c.get("tmin"), tmax=c.get("tmax"),
                                      method=c.get("method", "empirical"),
                                      rank=c.get("rank"))
        got = mne.read_cov(c["file"])
        key = "cov_%s" % c.get("method", "empirical")
        check(key + "_names", got.ch_names == want.ch_names)
        check(key + "_nfree", got["nfree"] == want["nfree"], int(got["nfree"]))
        e = float(np.linalg.norm(got.data - want.data) / np.linalg.norm(want.data))
        check(key + "_rel", e < cov_tol, e)

    for c in cfg.get("raw_covs") or []:
        raw = mne.io.read_raw_fif(c["raw"], preload=False)
        want = mne.compute_raw_covariance(
            raw, tmin=c.get("tmin", 0), tmax=c.get("tmax"), tstep=c.get("tstep", 0.2),
            reject=c.get("reject"), flat=c.get("flat"),
            method=c.get("method", "empirical"), rank=c.get("rank"))
        got = mne.read_cov(c["file"])
        key = "raw_cov_%s" % c.get("method", "empirical")
        check(key + "_names", got.ch_names == want.ch_names)
        check(key + "_nfree", got["nfree"] == want["nfree"], int(got["nfree"]))
        e = float(np.linalg.norm(got.data - want.data) / np.linalg.norm(want.data))
        check(key + "_rel", e < cov_tol, e)

    report["failures"] = failures
    print(json.dumps(report, indent=1, default=str))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
