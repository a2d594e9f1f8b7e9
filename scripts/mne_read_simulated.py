#!/usr/bin/python3
"""Check that MNE-Python reads a study written by `megflow simulate`.

Usage: /usr/bin/python3 scripts/mne_read_simulated.py OUT_DIR

Reads every raw run (mne.io.read_raw_fif), the surfaces (mne.read_surface),
the parcellation (mne.read_labels_from_annot), the transformation
(mne.read_trans), finds the events of STI101 with the study's mask and
compares them with the ground truth (derivatives/truth/sub-01_truth.h5),
sets up an oct6 source space and an ico4 BEM and fits a sphere to the head
shape. Prints one OK/FAIL line per check; exits 1 when any check fails.
"""
import glob
import json
import os
import sys

import numpy as np

failures = 0


def check(name, ok, detail=""):
    global failures
    print(("OK   " if ok else "FAIL ") + name + (": " + detail if detail else ""))
    if not ok:
        failures += 1


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    import h5py
    import mne

    mne.set_log_level("ERROR")
    root = sys.argv[1]
    subjects_dir = os.path.join(root, "derivatives", "freesurfer", "subjects")
    subject = "sub-01"
    sdir = os.path.join(subjects_dir, subject)
    truth = h5py.File(os.path.join(root, "derivatives", "truth", "sub-01_truth.h5"), "r")
    params = json.loads(truth.attrs["params"])
    check("truth params", params["subject"] == subject, "seed %s, %s trials" % (params["seed"], params["n_trials"]))

    for name in ("dataset_description.json", "participants.tsv"):
        check(name, os.path.isfile(os.path.join(root, name)))

    runs = sorted(glob.glob(os.path.join(root, subject, "ses-meg", "meg", "*_meg.fif")))
    check("raw runs found", len(runs) == params["n_runs"], "%d files" % len(runs))
    all_events = []
    for i, path in enumerate(runs):
        raw = mne.io.read_raw_fif(path, preload=False)
        info = raw.info
        n_mag = len(mne.pick_types(info, meg="mag", exclude=[]))
        n_grad = len(mne.pick_types(info, meg="grad", exclude=[]))
        check("%s channels" % os.path.basename(path),
              (n_mag, n_grad, len(info["ch_names"])) == (102, 204, 310),
              "%d mag, %d grad, %d total" % (n_mag, n_grad, len(info["ch_names"])))
        check("run %d bads" % (i + 1), set(info["bads"]) == {"MEG1512", "MEG0731"}, str(info["bads"]))
        check("run %d dev_head_t" % (i + 1), info["dev_head_t"] is not None)
        events = mne.find_events(raw, "STI101", mask=4096 + 256, mask_type="not_and", min_duration=0.003)
        want = truth["runs/run-%02d/events" % (i + 1)][:]
        same = events.shape == want.shape and np.array_equal(events[:, [0, 2]], want[:, [0, 2]])
        check("run %d events vs truth" % (i + 1), same, "%d found, %d in truth" % (len(events), len(want)))
        unmasked = mne.find_events(raw, "STI101", min_duration=0.003)
        check("run %d high bits need the mask" % (i + 1), len(unmasked) > len(events),
              "%d events without the mask" % len(unmasked))
        all_events.append(events)
        if i == 0:
            data = raw.get_data(picks="mag", start=0, stop=int(raw.info["sfreq"]))
            rms = np.sqrt(np.mean(data ** 2, axis=1))
            check("run 1 magnetometer rms plausible", 1e-14 < np.median(rms) < 1e-11, "median %.3g T" % np.median(rms))
            radius, origin, _ = mne.bem.fit_sphere_to_headshape(info, units="m")
            check("fit_sphere_to_headshape", 0.06 < radius < 0.12 and abs(origin[2] - 0.04) < 0.03,
                  "radius %.1f mm, origin %s mm" % (radius * 1e3, np.round(origin * 1e3, 1)))
    n_events = sum(len(e) for e in all_events)
    check("event count vs truth", n_events == len(truth["events"]), "%d vs %d" % (n_events, len(truth["events"])))
    codes = np.concatenate([e[:, 2] for e in all_events])
    check("trigger codes", np.array_equal(codes, truth["trigger_code"][:]))

    for hemi in ("lh", "rh"):
        rr_w, tri_w = mne.read_surface(os.path.join(sdir, "surf", hemi + ".white"))
        rr_s, tri_s = mne.read_surface(os.path.join(sdir, "surf", hemi + ".sphere"))
        check("%s.white/sphere" % hemi, len(rr_w) == len(rr_s) == 10242 and np.array_equal(tri_w, tri_s),
              "%d vertices, %d triangles" % (len(rr_w), len(tri_w)))
        check("%s.sphere radius 100 mm" % hemi, np.allclose(np.linalg.norm(rr_s, axis=1), 100, atol=1e-3))
    rr_b, tri_b = mne.read_surface(os.path.join(sdir, "bem", "inner_skull.surf"))
    check("inner_skull.surf", (len(rr_b), len(tri_b)) == (2562, 5120), "%d vertices, %d triangles" % (len(rr_b), len(tri_b)))

    labels = mne.read_labels_from_annot(subject, "aparc", subjects_dir=subjects_dir)
    names = {l.name for l in labels}
    need = ["lateraloccipital", "fusiform", "inferiortemporal", "temporalpole", "precentral", "superiortemporal"]
    missing = [n + "-" + h for n in need for h in ("lh", "rh") if n + "-" + h not in names]
    check("aparc labels", len(labels) >= 60 and not missing, "%d labels, missing %s" % (len(labels), missing))

    trans = mne.read_trans(os.path.join(sdir, "bem", subject + "-trans.fif"))
    check("trans", trans["from"] in (4, 5) and trans["to"] in (4, 5), str(trans["trans"][:3, 3]))

    src = mne.setup_source_space(subject, spacing="oct6", subjects_dir=subjects_dir, add_dist=False)
    check("setup_source_space oct6", [s["nuse"] for s in src] == [4098, 4098], str([s["nuse"] for s in src]))

    surfs = mne.make_bem_model(subject, ico=None, conductivity=[0.3], subjects_dir=subjects_dir)
    bem = mne.make_bem_solution(surfs)
    fwd = mne.make_forward_solution(mne.io.read_info(runs[0]), trans, src, bem, meg=True, eeg=False, mindist=5.0)
    kept = [s["nuse"] for s in fwd["src"]]
    check("forward (BEM, mindist 5 mm) keeps the sources", min(kept) > 0.95 * 4098, str(kept))

    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
