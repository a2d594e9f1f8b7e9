package fif

import (
	"errors"
	"testing"
)

// lendingSource lends blocks and encoded buffers, as maxwell.Filter does.
type lendingSource struct {
	RawSource
	borrowed, encoded int
}

func (l *lendingSource) BorrowBlock(start, stop int64) ([]float64, int, error) {
	l.borrowed++
	return make([]float64, stop-start), int(stop - start), nil
}

func (l *lendingSource) EncodeFloat32(cals []float64) bool { return true }

func (l *lendingSource) BorrowEncoded(start, stop int64) ([]byte, error) {
	l.encoded++
	return make([]byte, 4*(stop-start)), nil
}

// TestWatchedSource checks that a watched source keeps the copy-free
// reads of the source it wraps, counts each read once, and stops when
// Check fails.
func TestWatchedSource(t *testing.T) {
	var n int64
	src := &lendingSource{}
	w := &WatchedSource{RawSource: src, Done: func(k int64) { n += k }}
	var _ blockLender = w
	var _ float32Lender = w
	if !w.EncodeFloat32(nil) {
		t.Fatal("EncodeFloat32 not passed through")
	}
	if rows, _, err := w.BorrowBlock(0, 10); err != nil || rows == nil {
		t.Fatal("BorrowBlock not passed through", err)
	}
	if b, err := w.BorrowEncoded(10, 30); err != nil || len(b) != 80 {
		t.Fatal("BorrowEncoded not passed through", err)
	}
	if n != 30 || src.borrowed != 1 || src.encoded != 1 {
		t.Fatalf("progress %d, borrowed %d, encoded %d", n, src.borrowed, src.encoded)
	}
	stop := errors.New("stop")
	w.Check = func() error { return stop }
	if _, _, err := w.BorrowBlock(0, 1); err != stop {
		t.Fatalf("BorrowBlock after Check failed: %v", err)
	}
	if _, err := w.BorrowEncoded(0, 1); err != stop {
		t.Fatalf("BorrowEncoded after Check failed: %v", err)
	}
	// A plain source lends nothing: WriteRaw falls back to ReadAll.
	plain := &WatchedSource{RawSource: struct{ RawSource }{}}
	if rows, _, err := plain.BorrowBlock(0, 1); rows != nil || err != nil {
		t.Fatal("plain source lent a block")
	}
	if plain.EncodeFloat32(nil) {
		t.Fatal("plain source claims to encode")
	}
}
