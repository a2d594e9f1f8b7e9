// Package preprocess holds the signal preprocessing steps of megflow,
// each reproducing MNE-Python 1.3 closely enough to be compared sample by
// sample: FIR and IIR filters, notch filters, resampling, event finding
// and SSP projectors. (Maxwell filtering is in preprocess/maxwell.)
//
// # Filters
//
// CreateFilter designs what mne.filter.create_filter designs, with MNE's
// defaults for unset options: a zero-phase FIR filter by the window method
// (MNE's "firwin" design: one windowed-sinc low-pass per transition band,
// of a length set by the band's width and the window's length factor —
// 3.3 for Hamming, 3.1 Hann, 5.0 Blackman), automatic transition bands
// (min(max(0.25·l_freq, 2), l_freq) below l_freq, min(max(0.25·h_freq,
// 2), sfreq/2 - h_freq) above h_freq) and length (3.3/narrowest band
// seconds, odd), or a Butterworth IIR filter as second-order sections
// (scipy.signal.butter(..., output="sos")) with MNE's padding estimate.
// The taps agree with MNE's to ~1e-16, the sections to ~1e-15 relative;
// Filter.Summary is MNE's design log, line for line. NotchFilter is
// mne.filter.notch_filter's FIR band-stop at the given frequencies, and
// Harmonics lists a line frequency's multiples below Nyquist.
//
// A filter is applied as MNE applies it:
//
//   - FIR: each channel is padded at both ends by odd reflection of up to
//     len(taps)-1 samples (MNE's pad="reflect_limited"), convolved, and
//     the zero-phase delay (len(taps)-1)/2 removed. The convolution runs
//     by FFT blocks (internal/dsp) and matches a direct convolution to
//     ~1e-15 of the signal.
//   - IIR: scipy's sosfiltfilt: odd padding of min(padlen, n-1) samples,
//     forward and backward passes started from the steady state of the
//     end samples (sosfilt_zi).
//
// Filter.Apply filters a channel-major array in memory, channels in
// parallel. NewFilteredRaw wraps a fif.RawSource so that a recording of
// any length is filtered block by block while it is written
// (fif.WriteRaw), with the same result as filtering whole channels: FIR
// blocks read their input with (L-1)/2 samples of margin and pad only at
// the ends of the recording; IIR keeps the filter states at block
// boundaries and makes three passes over the source (forward; backward,
// recomputing forward blocks from their states; output), so that memory
// stays bounded by the block although each output sample depends on the
// whole channel. Both compute the next block in the background.
//
// MNE's raw.filter and raw.notch_filter process the data channels by
// default (DataChannels: MEG, EEG, sEEG, ECoG, DBS, fNIRS, bad channels
// included) and raw.filter then updates the info's highpass and lowpass
// (FilteredInfo). Unlike MNE, annotations that split a recording into
// separately filtered segments (skip_by_annotation) are not taken into
// account: the recording is filtered as one segment.
//
// # Other steps
//
// Resample is raw.resample's FFT method with its padding and the new
// first sample and event positions; FindEvents is mne.find_events; MakeSSP
// builds the projection operator of the info's projectors.
package preprocess
