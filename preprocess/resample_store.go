package preprocess

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"

	"github.com/megflow/megflow/internal/bigmem"
)

// rowStore keeps the resampled channels: whole rows are written once (from
// several workers), then read back in time blocks by the writer.
type rowStore interface {
	write(ch int, row []float64) error
	read(ch int, start int64, dst []float64) error
	close() error
}

type memStore struct {
	n    int64
	data []float64
}

func newMemStore(nch int, n int64) *memStore {
	return &memStore{n: n, data: bigmem.Float64s(nch * int(n))}
}

func (m *memStore) write(ch int, row []float64) error {
	copy(m.data[int64(ch)*m.n:int64(ch+1)*m.n], row)
	return nil
}

func (m *memStore) read(ch int, start int64, dst []float64) error {
	copy(dst, m.data[int64(ch)*m.n+start:])
	return nil
}

func (m *memStore) close() error { m.data = nil; return nil }

// fileStore keeps rows as little-endian float64 in a temporary file that is
// unlinked at once, so that nothing is left behind whatever happens.
type fileStore struct {
	f   *os.File
	n   int64
	mu  sync.Mutex
	buf []byte
}

func newFileStore(dir string, nch int, n int64) (*fileStore, error) {
	f, err := os.CreateTemp(dir, "megflow-resample-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("resample: temporary file for the output: %w", err)
	}
	// On Unix the open file stays usable after the name is removed.
	os.Remove(f.Name())
	if err := f.Truncate(int64(nch) * n * 8); err != nil {
		f.Close()
		return nil, fmt.Errorf("resample: temporary file of %d bytes: %w", int64(nch)*n*8, err)
	}
	return &fileStore{f: f, n: n}, nil
}

func (s *fileStore) write(ch int, row []float64) error {
	b := make([]byte, 8*len(row))
	for i, v := range row {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	if _, err := s.f.WriteAt(b, int64(ch)*s.n*8); err != nil {
		return fmt.Errorf("resample: write temporary file: %w", err)
	}
	return nil
}

func (s *fileStore) read(ch int, start int64, dst []float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.buf) < 8*len(dst) {
		s.buf = make([]byte, 8*len(dst))
	}
	b := s.buf[:8*len(dst)]
	if _, err := s.f.ReadAt(b, (int64(ch)*s.n+start)*8); err != nil {
		return fmt.Errorf("resample: read temporary file: %w", err)
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return nil
}

func (s *fileStore) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
