// Package maxwell implements Maxwell filtering of MEG data: signal space
// separation (SSS; Taulu & Kajola 2005) with MaxFilter's 'in'
// regularization, fine calibration and cross-talk compensation, temporal
// SSS (tSSS; Taulu & Simola 2006) and reconstruction at another head
// position. It reproduces MNE-Python's mne.preprocessing.maxwell_filter
// (version 1.3) number for number, and through it Elekta/MEGIN MaxFilter.
//
// The data are expanded in real vector spherical harmonics about an origin:
// internal moments (sources inside the sensor array, degrees 1..IntOrder)
// and external moments (interference, degrees 1..ExtOrder), evaluated at
// the 'accurate' integration points of every coil (package
// internal/coils) in the head frame (sensors moved with the device-to-head
// transform) or the device frame. The moments are fitted to the good MEG
// channels with a column-normalized pseudo-inverse (magnetometers scaled
// by 100 against gradiometers), and the MEG channels - bad ones included -
// are rebuilt from the internal moments alone.
//
// Prepare sets everything up from the measurement info; a Filter streams a
// recording through it as a fif.RawSource, so fif.WriteRaw writes the
// filtered file buffer by buffer with bounded memory:
//
//	raw, _ := fif.OpenRaw("run01_raw.fif", fif.RawOptions{AllowMaxShield: true})
//	opt := maxwell.DefaultOptions()
//	opt.STDuration = 10 // tSSS
//	f, err := maxwell.NewFilter(raw, opt)
//	...
//	defer f.Close()
//	_, err = fif.WriteRaw("run01_sss_raw.fif", f, fif.RawWriteOptions{})
//
// The Filter reads, filters and hands out the recording in a pipeline: a
// reader goroutine decodes the next windows while a filter goroutine
// computes the current one and the writer stores the previous ones.
// Without tSSS the two products (moments, then reconstruction) are fused
// panel by panel on a packed AVX2/FMA kernel (gemm.go, fused.go); when
// fif.WriteRaw writes float32 (the default) the filter also encodes each
// panel into the file's byte layout while it is in cache, and the writer
// takes those bytes as they are (Filter.EncodeFloat32). Results are bit for
// bit those of the plain path.
//
// The output info carries a processing record like MaxFilter's (SSS info
// with origin, frame, orders and kept components; tSSS, cross-talk and
// fine-calibration records) in front of the history, MEG bads cleared
// (reconstructed) and MEG projectors removed, so MNE-Python treats the file
// as Maxwell filtered.
//
// Not implemented (MNE options megflow does not have): movement
// compensation (head_pos), st_only, extended_proj (eSSS), mag_scale
// 'auto', reference channels (non-Neuromag systems), and skipping of
// annotated segments (skip_by_annotation): the data are processed as one
// contiguous segment.
package maxwell
