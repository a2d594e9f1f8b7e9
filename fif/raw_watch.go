package fif

// WatchedSource wraps a RawSource for a writer that pulls from it
// (WriteRaw): Check runs before every read (to stop on cancellation),
// Done after it with the number of samples read (to advance a progress
// bar). The copy-free reads of the wrapped source — BorrowBlock, and
// EncodeFloat32/BorrowEncoded of a source that encodes its own output
// (maxwell.Filter) — pass through, so watching a source does not cost
// WriteRaw its fast paths.
type WatchedSource struct {
	RawSource
	Check func() error  // nil: never stops
	Done  func(n int64) // nil: nothing to report
}

func (w *WatchedSource) check() error {
	if w.Check == nil {
		return nil
	}
	return w.Check()
}

func (w *WatchedSource) done(n int64) {
	if w.Done != nil {
		w.Done(n)
	}
}

// ReadAll reads through the wrapped source.
func (w *WatchedSource) ReadAll(dst []float64, start, stop int64) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := w.RawSource.ReadAll(dst, start, stop); err != nil {
		return err
	}
	w.done(stop - start)
	return nil
}

// BorrowBlock lends the wrapped source's block, or returns nil rows when
// it cannot (WriteRaw then calls ReadAll).
func (w *WatchedSource) BorrowBlock(start, stop int64) ([]float64, int, error) {
	l, ok := w.RawSource.(blockLender)
	if !ok {
		return nil, 0, nil
	}
	if err := w.check(); err != nil {
		return nil, 0, err
	}
	rows, stride, err := l.BorrowBlock(start, stop)
	if err == nil && rows != nil {
		w.done(stop - start)
	}
	return rows, stride, err
}

// EncodeFloat32 asks the wrapped source to encode its own output.
func (w *WatchedSource) EncodeFloat32(cals []float64) bool {
	l, ok := w.RawSource.(float32Lender)
	return ok && l.EncodeFloat32(cals)
}

// BorrowEncoded lends the wrapped source's encoded samples, or nil.
func (w *WatchedSource) BorrowEncoded(start, stop int64) ([]byte, error) {
	l, ok := w.RawSource.(float32Lender)
	if !ok {
		return nil, nil
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	b, err := l.BorrowEncoded(start, stop)
	if err == nil && b != nil {
		w.done(stop - start)
	}
	return b, err
}
