#!/usr/bin/env python3
"""MNE-Python counterpart of `megflow run` for one subject, for benchmarks.

Runs, with MNE-Python 1.3 on the same BIDS inputs and parameters as
configs/wakeman_henson.yaml, the steps of megflow's per-subject pipeline and
writes the corresponding outputs to OUT_DIR:

  maxwell       maxwell_filter(calibration, cross_talk, st_duration=10,
                origin=(0, 0, 0.04) head, destination=run-01), saved (float32)
  filter        raw.filter(None, 40) on data channels, raw.filter(1, None) on
                EOG (FIR, MNE defaults, n_jobs=N_JOBS), saved (float32)
  events        find_events(STI101, mask=4352 not_and, min_duration=0.003,
                consecutive='increasing') + trigger delay, saved
  epochs        Epochs(-0.2, 0.8, baseline=(None, 0), decim=5,
                reject=grad 4000e-13, mag 4e-12) per run, concatenate_epochs,
                saved
  covariance    compute_covariance(method='shrunk', tmax=0, rank=None; --cov-rank
                info for the config's covariance.rank), saved
  source_space  setup_source_space('oct6', add_dist=False), saved
  bem           make_bem_model(ico=4, conductivity=[0.3]) +
                make_bem_solution, saved
  forward       make_forward_solution(mindist=5, n_jobs=N_JOBS), saved
  inverse       make_inverse_operator(loose=0.2, depth=0.8), saved
  rsa           apply_inverse_epochs(dSPM, lambda2=1/9, pick_ori=None,
                return_generator=True) streamed into
                extract_label_time_course(mode='mean_flip',
                return_generator=True) (written epoch by epoch to HDF5, as
                megflow does), per-trial window means (100-600 ms) and
                per-condition means; window RDMs per parcel (one pattern per
                trial, scipy pdist 'correlation') and time-resolved RDMs per
                parcel and sample (one pattern per condition, 1 - Pearson,
                vectorised with numpy), written to HDF5 (float32, gzip 4)

MNE-Python cannot build aparc_sub itself: the parcels are read from the
annotation megflow built (--annot-dir, <deriv>/sub-XX/label), so the
parcellation step is not timed here. No HTML report is made.

Prints one JSON object on stdout (stderr gets one line per step): per step
the wall seconds and the step's own peak RSS in MB (VmHWM, reset before each
step through /proc/self/clear_refs; without it, the peak so far), the
overall peak RSS, the total seconds (without `import mne`, reported apart),
n_jobs (default 2: filter and forward; maxwell_filter has no n_jobs in MNE
1.3) and the versions.

  /usr/bin/python3 scripts/mne_pipeline.py --bids-root B --subjects-dir S \
      --fs-subject fsaverage5 --runs 01 02 --calibration sss_cal.dat \
      --cross-talk ct_sparse.fif --bads MEG1512 MEG0731 --trigger-delay 0 \
      --annot-dir DERIV/sub-01/label --out OUT_DIR
"""
import argparse
import json
import os
import resource
import sys
import time

T_IMPORT = time.perf_counter()
import numpy as np  # noqa: E402
import mne  # noqa: E402
import h5py  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402

IMPORT_S = time.perf_counter() - T_IMPORT

EVENT_ID = {
    "face/famous/first": 5, "face/famous/immediate": 6, "face/famous/long": 7,
    "face/unfamiliar/first": 13, "face/unfamiliar/immediate": 14, "face/unfamiliar/long": 15,
    "scrambled/first": 17, "scrambled/immediate": 18, "scrambled/long": 19,
}


def peak_mb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak():
    # Linux >= 4.0: writing 5 to clear_refs resets the peak RSS (VmHWM), so
    # that each step reports its own peak, as megflow's summary does.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def hwm_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return peak_mb()


class Timer:
    def __init__(self):
        self.steps = []
        self.peak = peak_mb()

    def run(self, stage, label, fn, *args, **kw):
        reset_peak()
        t = time.perf_counter()
        out = fn(*args, **kw)
        dt = time.perf_counter() - t
        pk = hwm_mb()
        self.peak = max(self.peak, pk, peak_mb())
        self.steps.append({"stage": stage, "step": label, "status": "ran", "seconds": dt, "peak_rss_mb": pk})
        print("%-14s %-28s %8.2f s  %7.0f MB" % (stage, label, dt, pk), file=sys.stderr, flush=True)
        return out


def gzip_opts(shape_rows, row_len):
    rows = max(1, min(shape_rows, (1 << 20) // max(1, 4 * row_len)))
    return dict(chunks=(rows, max(1, row_len)), shuffle=True, compression="gzip", compression_opts=4)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bids-root", required=True)
    ap.add_argument("--subject", default="01")
    ap.add_argument("--session", default="meg")
    ap.add_argument("--task", default="facerecognition")
    ap.add_argument("--runs", nargs="+", default=["01", "02"])
    ap.add_argument("--subjects-dir", required=True)
    ap.add_argument("--fs-subject", default="fsaverage5")
    ap.add_argument("--trans", default=None, help="default <subjects_dir>/<fs>/bem/<fs>-trans.fif")
    ap.add_argument("--calibration", required=True)
    ap.add_argument("--cross-talk", required=True)
    ap.add_argument("--bads", nargs="*", default=[])
    ap.add_argument("--trigger-delay", type=float, default=0.0345)
    ap.add_argument("--annot-dir", required=True, help="folder with lh/rh.<parc>.annot (megflow's <deriv>/sub-XX/label)")
    ap.add_argument("--parc", default="aparc_sub")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--cov-rank", default="none",
                    help="compute_covariance rank: none (MNE's default, as Jas et al.) or info "
                         "(configs/wakeman_henson.yaml's covariance.rank)")
    a = ap.parse_args()

    mne.set_log_level("ERROR")
    os.makedirs(a.out, exist_ok=True)
    T = Timer()
    t_all = time.perf_counter()
    sub = "sub-" + a.subject
    meg_dir = os.path.join(a.bids_root, sub, "ses-" + a.session, "meg")
    raw_path = {r: os.path.join(meg_dir, "%s_ses-%s_task-%s_run-%s_meg.fif" % (sub, a.session, a.task, r)) for r in a.runs}
    base = os.path.join(a.out, "%s_task-%s" % (sub, a.task))
    sss_path = {r: "%s_run-%s_proc-sss_meg.fif" % (base, r) for r in a.runs}
    filt_path = {r: "%s_run-%s_proc-filt_meg.fif" % (base, r) for r in a.runs}
    eve_path = {r: "%s_run-%s_eve.fif" % (base, r) for r in a.runs}
    dest = raw_path[a.runs[0]]

    # Maxwell filtering (maxwell_filter has no n_jobs in MNE 1.3).
    def maxwell(r):
        raw = mne.io.read_raw_fif(raw_path[r], allow_maxshield=True)
        raw.info["bads"] = list(a.bads)
        sss = mne.preprocessing.maxwell_filter(
            raw, origin=(0.0, 0.0, 0.04), coord_frame="head", int_order=8, ext_order=3,
            calibration=a.calibration, cross_talk=a.cross_talk, st_duration=10, st_correlation=0.98,
            destination=dest, regularize="in")
        sss.save(sss_path[r], overwrite=True)

    for r in a.runs:
        T.run("maxwell", "maxwell run-" + r, maxwell, r)

    def filt(r):
        raw = mne.io.read_raw_fif(sss_path[r], preload=True)
        raw.info["bads"] = list(a.bads)  # as megflow: the run's bads (reconstructed by SSS)
        raw.filter(None, 40.0, l_trans_bandwidth="auto", h_trans_bandwidth="auto", filter_length="auto",
                   phase="zero", fir_window="hamming", fir_design="firwin", n_jobs=a.n_jobs)
        raw.filter(1.0, None, picks="eog", l_trans_bandwidth="auto", h_trans_bandwidth="auto",
                   filter_length="auto", phase="zero", fir_window="hamming", fir_design="firwin", n_jobs=a.n_jobs)
        raw.save(filt_path[r], overwrite=True)

    for r in a.runs:
        T.run("filter", "filter run-" + r, filt, r)

    def events(r):
        raw = mne.io.read_raw_fif(raw_path[r], allow_maxshield=True)
        ev = mne.find_events(raw, stim_channel="STI101", consecutive="increasing", mask=4352,
                             mask_type="not_and", min_duration=0.003)
        ev[:, 0] += int(np.round(a.trigger_delay * raw.info["sfreq"]))
        mne.write_events(eve_path[r], ev, overwrite=True)

    for r in a.runs:
        T.run("events", "events run-" + r, events, r)

    def make_epochs():
        eps = []
        for r in a.runs:
            raw = mne.io.read_raw_fif(filt_path[r])
            ev = mne.read_events(eve_path[r])
            present = set(ev[:, 2].tolist())
            ids = {k: v for k, v in EVENT_ID.items() if v in present}
            ep = mne.Epochs(raw, ev, ids, tmin=-0.2, tmax=0.8, baseline=(None, 0), decim=5,
                            reject=dict(grad=4000e-13, mag=4e-12), preload=False, proj=True)
            ep.load_data()
            eps.append(ep)
        ep = mne.concatenate_epochs(eps) if len(eps) > 1 else eps[0]
        ep.save(base + "_epo.fif", overwrite=True)
        return ep

    epochs = T.run("epochs", "epochs", make_epochs)

    def cov():
        rank = None if a.cov_rank.lower() in ("", "none") else a.cov_rank
        c = mne.compute_covariance(epochs, tmax=0.0, method="shrunk", rank=rank)
        c.save(base + "_cov.fif", overwrite=True)
        return c

    noise_cov = T.run("covariance", "covariance", cov)

    def srcspace():
        s = mne.setup_source_space(a.fs_subject, spacing="oct6", surface="white", subjects_dir=a.subjects_dir,
                                   add_dist=False)
        mne.write_source_spaces(os.path.join(a.out, sub + "_oct6_src.fif"), s, overwrite=True)
        return s

    src = T.run("source_space", "source space oct6", srcspace)

    def bem():
        model = mne.make_bem_model(a.fs_subject, ico=4, conductivity=[0.3], subjects_dir=a.subjects_dir)
        sol = mne.make_bem_solution(model)
        mne.write_bem_solution(os.path.join(a.out, sub + "_ico4_bem-sol.fif"), sol, overwrite=True)
        return sol

    bem_sol = T.run("bem", "bem ico4", bem)

    trans = a.trans or os.path.join(a.subjects_dir, a.fs_subject, "bem", a.fs_subject + "-trans.fif")

    def fwd():
        info = mne.io.read_info(filt_path[a.runs[0]])
        f = mne.make_forward_solution(info, trans=trans, src=src, bem=bem_sol, meg=True, eeg=False,
                                      mindist=5.0, n_jobs=a.n_jobs)
        mne.write_forward_solution(base + "_fwd.fif", f, overwrite=True)
        return f

    forward = T.run("forward", "forward", fwd)

    def inv():
        op = mne.minimum_norm.make_inverse_operator(epochs.info, forward, noise_cov, loose=0.2, depth=0.8)
        mne.minimum_norm.write_inverse_operator(base + "_inv.fif", op, overwrite=True)
        return op

    inv_op = T.run("inverse", "inverse operator", inv)
    del forward

    def rsa():
        labels = []
        for hemi in ("lh", "rh"):
            labels += mne.read_labels_from_annot(
                a.fs_subject, parc=a.parc, hemi=hemi, subjects_dir=a.subjects_dir,
                annot_fname=os.path.join(a.annot_dir, "%s.%s.annot" % (hemi, a.parc)))
        labels = [lb for lb in labels if "unknown" not in lb.name.lower()]
        src_inv = inv_op["src"]
        vertno = [s["vertno"] for s in src_inv]
        n_lh = len(vertno[0])
        n_src = n_lh + len(vertno[1])
        # Rows of the estimates in each parcel.
        rows = []
        for lb in labels:
            h = 0 if lb.hemi == "lh" else 1
            idx = np.nonzero(np.isin(vertno[h], lb.vertices))[0] + h * n_lh
            rows.append(idx)
        rdm_set = [i for i, r in enumerate(rows) if len(r) >= 2]
        # Drop labels without any source (extract_label_time_course refuses them).
        keep = [i for i, r in enumerate(rows) if len(r) > 0]
        ext_labels = [labels[i] for i in keep]

        times = epochs.times
        nt, n_ep = len(times), len(epochs)
        half = (times[1] - times[0]) / 2
        w = np.nonzero((times >= 0.1 - half) & (times <= 0.6 + half))[0]
        w0, w1 = w[0], w[-1] + 1
        id2name = {v: k for k, v in epochs.event_id.items()}
        conds = [id2name[c] for c in epochs.events[:, 2]]
        cnames = sorted(set(conds))
        cidx = np.array([cnames.index(c) for c in conds])
        ccount = np.bincount(cidx, minlength=len(cnames)).astype(float)

        win = np.empty((n_ep, n_src), np.float32)
        csum = np.zeros((len(cnames), n_src, nt))

        stcs = mne.minimum_norm.apply_inverse_epochs(epochs, inv_op, lambda2=1.0 / 9.0, method="dSPM",
                                                     pick_ori=None, return_generator=True)

        def tapped():
            for i, stc in enumerate(stcs):
                win[i] = stc.data[:, w0:w1].mean(axis=1)
                csum[cidx[i]] += stc.data
                yield stc

        tcs = mne.extract_label_time_course(tapped(), ext_labels, src_inv, mode="mean_flip",
                                            return_generator=True)
        with h5py.File(base + "_desc-parcels_tc.h5", "w") as f:
            ds = f.create_dataset("data", (n_ep, len(ext_labels), nt), np.float32, chunks=(1, len(ext_labels), nt),
                                  shuffle=True, compression="gzip", compression_opts=4)
            for i, tc in enumerate(tcs):
                ds[i] = tc
            f["parcels"] = np.array([lb.name for lb in ext_labels], dtype="S")
            f["times"] = times
            f["condition"] = np.array(conds, dtype="S")
            f["event_id"] = epochs.events[:, 2]

        # Method (i): per parcel, one pattern per trial (window means).
        npairs = n_ep * (n_ep - 1) // 2
        with h5py.File(base + "_desc-window_rdm.h5", "w") as f:
            ds = f.create_dataset("dissimilarities", (len(rdm_set), npairs), np.float32,
                                  **gzip_opts(len(rdm_set), npairs))
            for q, li in enumerate(rdm_set):
                ds[q] = pdist(win[:, rows[li]].astype(np.float64), metric="correlation")
            f["rdm_descriptors/roi"] = np.array([labels[li].name for li in rdm_set], dtype="S")

        # Method (ii): per parcel and sample, one pattern per condition.
        cmean = csum / ccount[:, None, None]
        nc = len(cnames)
        iu = np.triu_indices(nc, 1)
        with h5py.File(base + "_desc-time_rdm.h5", "w") as f:
            ds = f.create_dataset("dissimilarities", (len(rdm_set) * nt, len(iu[0])), np.float32,
                                  **gzip_opts(len(rdm_set) * nt, len(iu[0])))
            for q, li in enumerate(rdm_set):
                x = cmean[:, rows[li], :]  # conditions x sources x times
                x = x - x.mean(axis=1, keepdims=True)
                x /= np.linalg.norm(x, axis=1, keepdims=True)
                c = np.einsum("ist,jst->tij", x, x)  # times x conditions x conditions
                ds[q * nt:(q + 1) * nt] = 1.0 - c[:, iu[0], iu[1]]
            f["rdm_descriptors/roi"] = np.array([labels[li].name for li in rdm_set for _ in range(nt)], dtype="S")
            f["pattern_descriptors/condition"] = np.array(cnames, dtype="S")
        return n_ep, len(ext_labels), len(rdm_set)

    n_ep, n_lab, n_rdm = T.run("rsa", "sources, parcels and RDMs", rsa)
    total = time.perf_counter() - t_all
    print(json.dumps({"steps": T.steps, "seconds": total, "peak_rss_mb": max(T.peak, peak_mb()), "import_seconds": IMPORT_S,
                      "n_jobs": a.n_jobs, "n_epochs": n_ep, "n_labels": n_lab, "n_rdm_parcels": n_rdm,
                      "mne": mne.__version__, "numpy": np.__version__}, indent=2))


if __name__ == "__main__":
    main()
