// Package atlas reads and writes cortical parcellations and turns source
// estimates into parcel time courses, as MNE-Python does.
//
//   - FreeSurfer .annot files in both color-table formats (ReadAnnot,
//     ParseAnnot; WriteAnnot writes version 2) and .label files
//     (ReadLabelFile, WriteLabelFile).
//   - Labels from an annotation exactly as mne.read_labels_from_annot:
//     "<name>-<hemi>", vertices ascending, empty entries dropped, sorted by
//     name (ReadLabels, LabelsFromAnnot); back to an annotation with
//     LabelsToAnnot.
//   - The parcel of every source vertex (LabelOfSource, −1 = none).
//   - Parcel time courses (Extractor) in the modes of
//     mne.extract_label_time_course: mean, mean_flip (label_sign_flip from
//     the source normals), pca_flip and max; for the linear modes the
//     operator can be folded into an inverse kernel (FoldKernel), giving a
//     parcels × channels operator.
//   - Subdivide: the aparc_sub construction (Khan et al. 2018) on any
//     subject — every parcel split into parts of about equal area named
//     "<parent>_<k>", deterministically.
//
// Source spaces enter as plain vertex numbers and normals (Sources), so
// the package does not depend on the forward model. MNE's label_sign_flip
// uses the source space's 'nn' at its vertno (the surface normals of the
// vertices in use).
package atlas
