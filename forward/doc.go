// Package forward computes MEG forward models as MNE-Python does:
// cortical source spaces from FreeSurfer surfaces (SetupSourceSpace, oct
// spacing identical to mne.setup_source_space), boundary-element models
// and their linear-collocation solution (MakeBEMModel, MakeBEMSolution:
// mne.make_bem_model + make_bem_solution, one or three layers), and the
// MEG gain matrix with a BEM or a spherical head (MakeForward:
// mne.make_forward_solution with meg=True, eeg=False).
//
// The data types are those of the FIF files they are stored in:
// fif.SourceSpace (-src.fif), fif.BEM (-bem-sol.fif) and fif.Forward
// (-fwd.fif), read and written by fif.ReadSourceSpaces /
// WriteSourceSpaces, fif.ReadBEM / WriteBEM and fif.ReadForward /
// WriteForward. A forward solution from MakeForward has free orientation
// in head coordinates: Gain is channels x 3*sources (x, y, z per source),
// SourceRR/SourceNN the source positions and surface normals, Src the
// source spaces (head frame) whose Inuse marks the sources; Vertices gives
// the vertex numbers per hemisphere. FixedOrientation projects the gain on
// the surface normals.
//
// Typical use:
//
//	src, _ := forward.SetupSourceSpace(subjectsDir, "sub-01", forward.SourceSpaceOptions{Spacing: "oct6"})
//	bem, _ := forward.MakeBEMModel(subjectsDir, "sub-01", 4, []float64{0.3})
//	_ = forward.MakeBEMSolution(bem)
//	fwd, _ := forward.MakeForward(info, trans, src, bem, forward.Options{MinDistMM: 5})
//	_ = fif.WriteForward("sub-01-fwd.fif", fwd)
package forward

import "github.com/megflow/megflow/fif"

// Solution is the forward solution type of this package: an alias of
// fif.Forward, so that solutions computed here and read from -fwd.fif
// files (fif.ReadForward) are the same thing.
type Solution = fif.Forward
