package rsa

import (
	"fmt"
	"time"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/version"
)

// Meta describes an RDM set for WriteHDF5 / Create. Slices of the RDM
// descriptors have one entry per RDM; those of the pattern descriptors one
// per pattern (stimulus or trial); nil slices are left out (rsatoolbox then
// fills "index" itself).
type Meta struct {
	// Measure is the dissimilarity measure (root attribute
	// dissimilarity_measure), e.g. "correlation".
	Measure string
	// ROI and Time are the RDM descriptors roi (parcel name) and time
	// (seconds; the window centre for window RDMs).
	ROI  []string
	Time []float64
	// Condition, EventID and Trial are the pattern descriptors.
	Condition []string
	EventID   []int64
	Trial     []int64
	// Descriptors are whole-set descriptors (string attributes of the
	// /descriptors group, e.g. "parcellation", "subject", "method").
	Descriptors map[string]string
	// Attrs are extra root attributes (megflow's own: config, inputs);
	// megflow_version and created are always written.
	Attrs map[string]string
	// Float64 stores the dissimilarities as float64 instead of float32.
	Float64 bool
	// ChunkRows is the number of RDMs per HDF5 chunk (0: about 1 MiB).
	// Writes of whole chunks are compressed on all cores (package h5), so
	// a writer that always writes n RDMs at a time should ask for n.
	ChunkRows int
}

// Writer streams an RDM set into an HDF5 file in rsatoolbox's layout
// (see the package documentation). Rows are written with WriteRows; Close
// renames the file into place.
type Writer struct {
	w      *h5.Writer
	ds     *h5.Dataset
	nRDM   int
	nPairs int
	f64    bool
}

// Create starts an RDM file of nRDM RDMs over nPatterns patterns and writes
// all of its descriptors. Nothing appears at path until Close succeeds.
func Create(path string, nRDM, nPatterns int, meta Meta) (*Writer, error) {
	if nPatterns < 2 || nRDM < 1 {
		return nil, fmt.Errorf("rsa: %s: need at least 1 RDM of 2 patterns, got %d of %d", path, nRDM, nPatterns)
	}
	np := NPairs(nPatterns)
	if err := meta.check(nRDM, nPatterns); err != nil {
		return nil, fmt.Errorf("rsa: %s: %w", path, err)
	}
	w, err := h5.Create(path)
	if err != nil {
		return nil, err
	}
	rw := &Writer{w: w, nRDM: nRDM, nPairs: np, f64: meta.Float64}
	if err := rw.writeMeta(nRDM, nPatterns, meta); err != nil {
		w.Abort()
		return nil, err
	}
	chunkRows := max(1, min(nRDM, (1<<20)/max(1, 4*np)))
	if meta.ChunkRows > 0 {
		chunkRows = min(nRDM, meta.ChunkRows)
	}
	opts := []h5.Option{h5.Chunks(chunkRows, max(1, np)), h5.Shuffle(), h5.Gzip(1)}
	if meta.Float64 {
		rw.ds, err = w.CreateFloat64("dissimilarities", []int{nRDM, np}, opts...)
	} else {
		rw.ds, err = w.CreateFloat32("dissimilarities", []int{nRDM, np}, opts...)
	}
	if err != nil {
		w.Abort()
		return nil, err
	}
	return rw, nil
}

func (m *Meta) check(nRDM, nPat int) error {
	for name, n := range map[string]int{"ROI": len(m.ROI), "Time": len(m.Time)} {
		if n != 0 && n != nRDM {
			return fmt.Errorf("%s has %d entries, want %d (one per RDM)", name, n, nRDM)
		}
	}
	for name, n := range map[string]int{"Condition": len(m.Condition), "EventID": len(m.EventID), "Trial": len(m.Trial)} {
		if n != 0 && n != nPat {
			return fmt.Errorf("%s has %d entries, want %d (one per pattern)", name, n, nPat)
		}
	}
	if m.Measure == "" {
		return fmt.Errorf("empty dissimilarity measure")
	}
	return nil
}

func (rw *Writer) writeMeta(nRDM, nPat int, m Meta) error {
	w := rw.w
	idx := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i)
		}
		return v
	}
	steps := []func() error{
		func() error { return w.SetAttrString("/", "dissimilarity_measure", m.Measure) },
		func() error { return w.SetAttrString("/", "megflow_version", version.String()) },
		func() error {
			return w.SetAttrString("/", "created", time.Now().UTC().Format(time.RFC3339))
		},
		func() error { return w.CreateGroup("descriptors") },
		func() error { return w.WriteInt64("rdm_descriptors/index", idx(nRDM), []int{nRDM}) },
		func() error { return w.WriteInt64("pattern_descriptors/index", idx(nPat), []int{nPat}) },
	}
	if m.ROI != nil {
		steps = append(steps, func() error { return w.WriteFixedStrings("rdm_descriptors/roi", m.ROI) })
	}
	if m.Time != nil {
		steps = append(steps, func() error { return w.WriteFloat64("rdm_descriptors/time", m.Time, []int{nRDM}) })
	}
	if m.Condition != nil {
		steps = append(steps, func() error { return w.WriteFixedStrings("pattern_descriptors/condition", m.Condition) })
	}
	if m.EventID != nil {
		steps = append(steps, func() error { return w.WriteInt64("pattern_descriptors/event_id", m.EventID, []int{nPat}) })
	}
	if m.Trial != nil {
		steps = append(steps, func() error { return w.WriteInt64("pattern_descriptors/trial", m.Trial, []int{nPat}) })
	}
	for k, v := range m.Descriptors {
		steps = append(steps, func() error { return w.SetAttrString("descriptors", k, v) })
	}
	for k, v := range m.Attrs {
		steps = append(steps, func() error { return w.SetAttrString("/", k, v) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// WriteRows writes RDMs start … start+len(rows)/NPairs−1 (condensed, one
// after the other).
func (rw *Writer) WriteRows(start int, rows []float64) error {
	if rw.nPairs == 0 || len(rows)%rw.nPairs != 0 {
		return fmt.Errorf("rsa: WriteRows: %d values is not a multiple of %d pairs", len(rows), rw.nPairs)
	}
	n := len(rows) / rw.nPairs
	if start < 0 || start+n > rw.nRDM {
		return fmt.Errorf("rsa: WriteRows: rows [%d, %d) outside [0, %d)", start, start+n, rw.nRDM)
	}
	if rw.f64 {
		return rw.ds.WriteFloat64Slab([]int{start, 0}, []int{n, rw.nPairs}, rows)
	}
	f := make([]float32, len(rows))
	for i, v := range rows {
		f[i] = float32(v)
	}
	return rw.ds.WriteFloat32Slab([]int{start, 0}, []int{n, rw.nPairs}, f)
}

// Close finishes the file and renames it into place.
func (rw *Writer) Close() error {
	err := rw.ds.Close()
	if err != nil {
		rw.w.Abort()
		return err
	}
	return rw.w.Close()
}

// Abort discards the file.
func (rw *Writer) Abort() {
	rw.ds.Close()
	rw.w.Abort()
}

// WriteHDF5 writes the condensed RDMs d (nRDM × NPairs(nPatterns)) to path
// in rsatoolbox's layout.
func WriteHDF5(path string, d []float64, nRDM, nPatterns int, meta Meta) error {
	if len(d) != nRDM*NPairs(nPatterns) {
		return fmt.Errorf("rsa: WriteHDF5: %d values, want %d×%d", len(d), nRDM, NPairs(nPatterns))
	}
	rw, err := Create(path, nRDM, nPatterns, meta)
	if err != nil {
		return err
	}
	if err := rw.WriteRows(0, d); err != nil {
		rw.Abort()
		return err
	}
	return rw.Close()
}
