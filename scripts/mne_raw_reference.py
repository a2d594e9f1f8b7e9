#!/usr/bin/python3
"""MNE-Python oracle for megflow's FIF tests (run with Debian's /usr/bin/python3).

  mne_raw_reference.py dump OUT.h5 FILE.fif [FILE.fif ...]
      Reads each raw file with mne.io.read_raw_fif(preload=True) and stores
      what MNE reads in OUT.h5, one group raw/<stem> per file, in the layout
      of shared/golden/fif_read.h5 (plus comps and a processing-history
      summary), so the Go tests compare megflow with MNE on any file.

  mne_raw_reference.py systems OUTDIR
      Writes small recordings of the other systems MNE reads from FIF into
      OUTDIR with MNE itself: a Neuromag-122 recording, a TRIUX recording
      with an SSS processing history, a CTF recording saved as FIF with
      reference channels and compensation matrices, an EEG-only recording
      with long channel names, digitization and an average-reference
      projector, a gzip-compressed file, a file split in three parts, and
      a MaxShield (IAS) file.
"""
import json
import os
import sys

import h5py
import numpy as np
import mne
from mne.io.constants import FIFF

mne.set_log_level("ERROR")


def _s(lst):
    lst = list(lst)
    if not lst:
        return np.zeros(0, "S1")
    return np.array([x.encode("utf-8") for x in lst])


def dump(out, files):
    with h5py.File(out, "w") as h:
        for fname in files:
            raw = mne.io.read_raw_fif(fname, allow_maxshield="yes", preload=True)
            stem = os.path.basename(fname)
            for ext in (".fif.gz", ".fif"):
                if stem.endswith(ext):
                    stem = stem[: -len(ext)]
            g = h.create_group("raw/" + stem)
            info = raw.info
            chs = info["chs"]
            g.attrs["file"] = fname
            g.attrs["sfreq"] = info["sfreq"]
            g.attrs["first_samp"] = raw.first_samp
            g.attrs["last_samp"] = raw.last_samp
            g.attrs["n_times"] = raw.n_times
            g.attrs["highpass"] = info["highpass"]
            g.attrs["lowpass"] = info["lowpass"]
            g.attrs["orig_format"] = raw.orig_format
            g.attrs["n_files"] = len(raw.filenames)
            md = info["meas_date"]
            if md is not None:
                g.attrs["meas_date_secs_usecs"] = np.array(
                    [int(md.timestamp() // 1), md.microsecond], np.int64)
            g["ch_names"] = _s(info["ch_names"])
            g["ch_type"] = _s(raw.get_channel_types())
            for key in ("kind", "coil_type", "unit", "unit_mul", "coord_frame", "logno", "scanno"):
                g[key] = np.array([int(c[key]) for c in chs], np.int32)
            g["cal"] = np.array([c["cal"] for c in chs], float)
            g["range"] = np.array([c["range"] for c in chs], float)
            g["loc"] = np.array([c["loc"] for c in chs], float)
            g["data"] = raw.get_data()
            g["bads"] = _s(info["bads"])
            if info["dev_head_t"] is not None:
                g["dev_head_t"] = info["dev_head_t"]["trans"]
            p = g.create_group("projs")
            p["desc"] = _s([x["desc"] for x in info["projs"]])
            p["active"] = np.array([bool(x["active"]) for x in info["projs"]], np.uint8)
            p["kind"] = np.array([int(x["kind"]) for x in info["projs"]], np.int32)
            for i, x in enumerate(info["projs"]):
                p[f"{i:03d}/col_names"] = _s(x["data"]["col_names"])
                p[f"{i:03d}/data"] = np.atleast_2d(x["data"]["data"])
            d = g.create_group("dig")
            dig = info["dig"] or []
            d["kind"] = np.array([int(x["kind"]) for x in dig], np.int32)
            d["ident"] = np.array([int(x["ident"]) for x in dig], np.int32)
            d["coord_frame"] = np.array([int(x["coord_frame"]) for x in dig], np.int32)
            d["r"] = np.array([x["r"] for x in dig], float).reshape(-1, 3)
            c = g.create_group("comps")
            c["kind"] = np.array([int(x["ctfkind"]) for x in info["comps"]], np.int32)
            c["save_calibrated"] = np.array([bool(x["save_calibrated"]) for x in info["comps"]], np.uint8)
            for i, x in enumerate(info["comps"]):
                c[f"{i:03d}/row_names"] = _s(x["data"]["row_names"])
                c[f"{i:03d}/col_names"] = _s(x["data"]["col_names"])
                c[f"{i:03d}/data"] = np.atleast_2d(x["data"]["data"])
            g.attrs["compensation_grade"] = raw.compensation_grade or 0
            hist = []
            for rec in info["proc_history"]:
                mi = rec.get("max_info", {})
                sss = mi.get("sss_info", {})
                st = mi.get("max_st", {})
                hist.append(dict(
                    creator=rec.get("creator", ""),
                    sss_nfree=int(sss["nfree"]) if "nfree" in sss else None,
                    sss_in_order=int(sss["in_order"]) if "in_order" in sss else None,
                    sss_origin=[float(v) for v in sss["origin"]] if "origin" in sss else None,
                    sss_components=int(np.sum(sss["components"])) if "components" in sss else None,
                    st_buflen=float(st["buflen"]) if "buflen" in st else None,
                    has_ctc="sss_ctc" in mi and len(mi["sss_ctc"]) > 0,
                    has_cal="sss_cal" in mi and len(mi["sss_cal"]) > 0,
                ))
            g.attrs["proc_history"] = json.dumps(hist)


def _meg_info(kind_names, coil, unit, sfreq, n):
    info = mne.create_info([f"{kind_names}{i + 1:03d}" for i in range(n)], sfreq, "grad")
    rng = np.random.default_rng(0)
    with info._unlock():
        for i, ch in enumerate(info["chs"]):
            ch["coil_type"] = coil[i % len(coil)]
            ch["unit"] = unit[i % len(unit)]
            ch["logno"] = i + 1
            loc = np.zeros(12)
            theta, phi = rng.uniform(0, np.pi / 2), rng.uniform(0, 2 * np.pi)
            loc[:3] = 0.12 * np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
            loc[3:] = np.eye(3).ravel()
            ch["loc"] = loc
            ch["cal"] = 1e-13 if ch["unit"] == FIFF.FIFF_UNIT_T else 1e-11
            ch["range"] = 1.0
    return info


def systems(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(42)
    sfreq = 600.0
    n = 1500

    # Neuromag-122: 61 sites x 2 planar gradiometers, coil type 2.
    info = _meg_info("MEG ", [FIFF.FIFFV_COIL_NM_122], [FIFF.FIFF_UNIT_T_M], sfreq, 122)
    info["bads"] = ["MEG 007"]
    raw = mne.io.RawArray(rng.standard_normal((122, n)) * 1e-11, info)
    raw.save(os.path.join(outdir, "nm122_raw.fif"), fmt="short", overwrite=True)

    # TRIUX: 102 x (mag T4 + 2 planar T4), Maxwell filtered by MNE so the
    # file carries an SSS processing history.
    names = []
    for i in range(102):
        names += [f"MEG{i + 1:03d}2", f"MEG{i + 1:03d}3", f"MEG{i + 1:03d}1"]
    info = _meg_info("X", [FIFF.FIFFV_COIL_VV_PLANAR_T4, FIFF.FIFFV_COIL_VV_PLANAR_T4, FIFF.FIFFV_COIL_VV_MAG_T4],
                     [FIFF.FIFF_UNIT_T_M, FIFF.FIFF_UNIT_T_M, FIFF.FIFF_UNIT_T], sfreq, 306)
    mne.rename_channels(info, dict(zip(info["ch_names"], names)))
    rng2 = np.random.default_rng(1)
    for i, ch in enumerate(info["chs"]):
        site = i // 3
        theta = 0.3 + 1.1 * (site % 17) / 17
        phi = 2 * np.pi * (site // 17) / 6 + 0.2 * (site % 3)
        r = 0.11 * np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
        ez = r / np.linalg.norm(r)
        ex = np.cross([0, 0, 1.0], ez)
        ex /= np.linalg.norm(ex)
        ey = np.cross(ez, ex)
        if i % 3 == 1:
            ex, ey = ey, -ex
        ch["loc"] = np.concatenate([r, ex, ey, ez])
    with info._unlock():
        info["dev_head_t"] = mne.transforms.Transform("meg", "head", np.eye(4))
        info["dig"] = mne.channels.make_dig_montage(
            nasion=[0, 0.1, 0], lpa=[-0.08, 0, 0], rpa=[0.08, 0, 0],
            hsp=rng2.standard_normal((30, 3)) * 0.01 + [0, 0, 0.05], coord_frame="head").dig
    raw = mne.io.RawArray(rng.standard_normal((306, n)) * 1e-12, info)
    raw = mne.preprocessing.maxwell_filter(raw, origin=(0.0, 0.0, 0.04), coord_frame="head",
                                           int_order=6, ext_order=2, st_duration=1.0)
    raw.save(os.path.join(outdir, "triux_sss_raw.fif"), overwrite=True)

    # CTF saved as FIF: 20 axial gradiometers + 6 reference magnetometers,
    # a third-order gradient compensation matrix, data uncompensated.
    ch_names = [f"MLC{i + 11:02d}-2805" for i in range(20)] + [f"BR{i + 1}-2805" for i in range(3)] + [f"G1{i + 1}-2805" for i in range(3)]
    info = mne.create_info(ch_names, sfreq, ["mag"] * 26)
    with info._unlock():
        for i, ch in enumerate(info["chs"]):
            ref = i >= 20
            ch["kind"] = FIFF.FIFFV_REF_MEG_CH if ref else FIFF.FIFFV_MEG_CH
            ch["coil_type"] = FIFF.FIFFV_COIL_CTF_REF_MAG if ref else FIFF.FIFFV_COIL_CTF_GRAD
            ch["unit"] = FIFF.FIFF_UNIT_T
            ch["cal"] = 1.0
            ch["coord_frame"] = FIFF.FIFFV_COORD_DEVICE
            loc = np.zeros(12)
            loc[:3] = [0.01 * i, 0.02, 0.1 + (0.05 if ref else 0)]
            loc[3:] = np.eye(3).ravel()
            ch["loc"] = loc
        comp = dict(ctfkind=3, kind=3, save_calibrated=True, rowcals=np.ones(20), colcals=np.ones(6),
                    data=dict(nrow=20, ncol=6, row_names=ch_names[:20], col_names=ch_names[20:],
                              data=rng.standard_normal((20, 6)) * 0.01))
        info["comps"] = [comp]
    raw = mne.io.RawArray(rng.standard_normal((26, n)) * 1e-13, info)
    raw.save(os.path.join(outdir, "ctf_comp_raw.fif"), fmt="double", overwrite=True)

    # EEG only, long channel names, digitization, average-reference projector.
    montage = mne.channels.make_standard_montage("standard_1020")
    names = montage.ch_names[:32]
    info = mne.create_info(names, 500.0, "eeg")
    info.set_montage(montage)
    mne.rename_channels(info, {names[0]: "EEG-with-a-very-long-name-1", names[1]: "EEG-with-a-very-long-name-2"})
    raw = mne.io.RawArray(rng.standard_normal((32, 1000)) * 1e-5, info)
    raw.set_eeg_reference(projection=True)
    raw.info["bads"] = ["EEG-with-a-very-long-name-2"]
    raw.save(os.path.join(outdir, "eeg_only_raw.fif"), overwrite=True)
    raw.save(os.path.join(outdir, "eeg_only_gz_raw.fif.gz"), overwrite=True)

    # A recording split in three parts (Neuromag naming).
    info = _meg_info("MEG ", [FIFF.FIFFV_COIL_VV_MAG_T3], [FIFF.FIFF_UNIT_T], 1000.0, 40)
    raw = mne.io.RawArray(rng.standard_normal((40, 60000)) * 1e-12, info)
    raw.save(os.path.join(outdir, "split_raw.fif"), split_size="4MB", buffer_size_sec=1.0, overwrite=True)

    # MaxShield (IAS) raw data.
    raw = mne.io.RawArray(rng.standard_normal((40, 3000)) * 1e-12, info)
    with raw.info._unlock():
        raw.info["maxshield"] = True
    raw.save(os.path.join(outdir, "maxshield_raw.fif"), overwrite=True)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "systems":
        systems(sys.argv[2])
    else:
        sys.exit(__doc__)
