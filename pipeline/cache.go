package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/megflow/megflow/internal/version"
	"maps"
	"slices"
)

// A stage is skipped when every output exists with its provenance sidecar,
// the sidecar's parameter hash equals the current one, and every input has
// the content it had when the outputs were made. Contents are compared by
// SHA-256; a file whose size and modification time match the cached
// fingerprint is not read again, so an all-cached run costs a few stat
// calls per file.

// FileHash identifies one file's content.
type FileHash struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// Provenance is the sidecar written next to every output
// (<output without extension>.json) and, for HDF5 outputs, the root
// attributes: what made the file, from what, with which parameters.
type Provenance struct {
	Megflow    string          `json:"megflow_version"`
	Stage      string          `json:"stage"`
	Step       string          `json:"step"`
	ParamsHash string          `json:"params_hash"`
	Params     json.RawMessage `json:"params"`
	ConfigFile string          `json:"config_file"`
	ConfigHash string          `json:"config_hash"`
	Inputs     []FileHash      `json:"inputs"`
	Output     FileHash        `json:"output"`
	Created    string          `json:"created"`
	Seconds    float64         `json:"seconds"`
}

// sidecarPath is the provenance file of an output.
func sidecarPath(out string) string {
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + ".json"
}

// hashCache remembers the SHA-256 of files by path, size and modification
// time, persisted in <deriv_root>/.megflow/hashes.json.
type hashCache struct {
	mu    sync.Mutex
	path  string
	byKey map[string]FileHash
	dirty bool
	// inflight are the hashes being computed: a second caller for the
	// same file waits for the first (a step's provenance and the next
	// step's may hash one file at the same time).
	inflight map[string]chan struct{}
}

func openHashCache(derivRoot string) *hashCache {
	hc := &hashCache{path: filepath.Join(derivRoot, ".megflow", "hashes.json"), byKey: map[string]FileHash{},
		inflight: map[string]chan struct{}{}}
	if b, err := os.ReadFile(hc.path); err == nil {
		var list []FileHash
		if json.Unmarshal(b, &list) == nil {
			for _, h := range list {
				hc.byKey[h.Path] = h
			}
		}
	}
	return hc
}

// stat returns path's current size and modification time.
func stat(path string) (FileHash, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileHash{}, err
	}
	return FileHash{Path: path, Size: st.Size(), ModTime: st.ModTime().UnixNano()}, nil
}

// Hash returns path's fingerprint, reading the file only when its size or
// modification time changed since it was last hashed.
func (hc *hashCache) Hash(path string) (FileHash, error) {
	for {
		fh, err := stat(path)
		if err != nil {
			return fh, err
		}
		hc.mu.Lock()
		c, ok := hc.byKey[path]
		if ok && c.Size == fh.Size && c.ModTime == fh.ModTime {
			hc.mu.Unlock()
			return c, nil
		}
		wait, busy := hc.inflight[path]
		if !busy {
			ch := make(chan struct{})
			hc.inflight[path] = ch
			hc.mu.Unlock()
			fh, err := hc.hash(fh)
			hc.mu.Lock()
			delete(hc.inflight, path)
			hc.mu.Unlock()
			close(ch)
			return fh, err
		}
		hc.mu.Unlock()
		<-wait // then look again: the other caller's result is cached
	}
}

// hash computes the SHA-256 of the file of fh and caches it.
func (hc *hashCache) hash(fh FileHash) (FileHash, error) {
	path := fh.Path
	f, err := os.Open(path)
	if err != nil {
		return fh, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fh, fmt.Errorf("hashing %s: %w", path, err)
	}
	fh.SHA256 = hex.EncodeToString(h.Sum(nil))
	hc.mu.Lock()
	hc.byKey[path] = fh
	hc.dirty = true
	hc.mu.Unlock()
	return fh, nil
}

// Save writes the cache (atomically) when it changed.
func (hc *hashCache) Save() error {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if !hc.dirty {
		return nil
	}
	list := make([]FileHash, 0, len(hc.byKey))
	for _, k := range slices.Sorted(maps.Keys(hc.byKey)) {
		if exists(k) {
			list = append(list, hc.byKey[k])
		}
	}
	b, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(hc.path, b); err != nil {
		return err
	}
	hc.dirty = false
	return nil
}

// writeFileAtomic writes b to a temporary name in path's folder and
// renames it into place, so a reader never sees a partial file.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// paramsHash hashes a stage's parameters (canonical JSON) with the stage
// name and its algorithm version, so that a change in how a stage computes
// invalidates old outputs.
func paramsHash(stage string, algo int, params any) (string, json.RawMessage, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return "", nil, fmt.Errorf("stage %s: parameters: %w", stage, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", stage, algo)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), b, nil
}

// upToDate reports whether a step's outputs are current, and why not.
func (hc *hashCache) upToDate(s *step, phash string) (bool, string) {
	for _, out := range s.Outputs {
		cur, err := stat(out)
		if err != nil {
			return false, "output " + filepath.Base(out) + " missing"
		}
		b, err := os.ReadFile(sidecarPath(out))
		if err != nil {
			return false, "no provenance for " + filepath.Base(out)
		}
		var p Provenance
		if err := json.Unmarshal(b, &p); err != nil {
			return false, "unreadable provenance " + filepath.Base(sidecarPath(out))
		}
		if p.ParamsHash != phash {
			return false, "parameters changed"
		}
		if p.Output.Size != cur.Size || p.Output.ModTime != cur.ModTime {
			return false, "output " + filepath.Base(out) + " modified"
		}
		if len(p.Inputs) != len(s.Inputs) {
			return false, "inputs changed"
		}
		for i, in := range s.Inputs {
			if p.Inputs[i].Path != in {
				return false, "inputs changed"
			}
			h, err := hc.Hash(in)
			if err != nil {
				return false, "input " + filepath.Base(in) + " missing"
			}
			if h.SHA256 != p.Inputs[i].SHA256 {
				return false, "input " + filepath.Base(in) + " changed"
			}
		}
	}
	return true, ""
}

// writeProvenance writes the sidecars of a finished step.
func (hc *hashCache) writeProvenance(s *step, phash string, params json.RawMessage, cfg *Loaded, elapsed time.Duration) error {
	var ins []FileHash
	for _, in := range s.Inputs {
		h, err := hc.Hash(in)
		if err != nil {
			return err
		}
		ins = append(ins, h)
	}
	for _, out := range s.Outputs {
		oh, err := hc.Hash(out)
		if err != nil {
			return fmt.Errorf("step %s did not write %s: %w", s.Label, out, err)
		}
		p := Provenance{Megflow: version.String(), Stage: s.Stage, Step: s.Label, ParamsHash: phash, Params: params,
			ConfigFile: cfg.Path, ConfigHash: cfg.Hash, Inputs: ins, Output: oh,
			Created: time.Now().UTC().Format(time.RFC3339), Seconds: elapsed.Seconds()}
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFileAtomic(sidecarPath(out), b); err != nil {
			return err
		}
	}
	return nil
}

// provenanceAttrs are the HDF5 root attributes recording a step's
// provenance (the sidecar holds the same and the output's own hash).
func (hc *hashCache) provenanceAttrs(s *step, params json.RawMessage, cfg *Loaded) (map[string]string, error) {
	var ins []FileHash
	for _, in := range s.Inputs {
		h, err := hc.Hash(in)
		if err != nil {
			return nil, err
		}
		ins = append(ins, h)
	}
	ib, err := json.Marshal(ins)
	if err != nil {
		return nil, err
	}
	y, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"stage": s.Stage, "parameters": string(params), "inputs": string(ib),
		"config": string(y), "config_file": cfg.Path, "config_hash": cfg.Hash,
	}, nil
}
