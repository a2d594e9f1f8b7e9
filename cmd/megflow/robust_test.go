package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorruptInputs runs info and convert on damaged copies of a valid
// file (bytes flipped, cut at random places). Each run must end with exit
// code 0 or 1 and, on failure, a message naming the file; never a panic,
// and never an output file after a failure.
func TestCorruptInputs(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	orig, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 150
	if testing.Short() {
		n = 30
	}
	outDir := t.TempDir()
	for i := range n {
		b := append([]byte(nil), orig...)
		switch i % 3 {
		case 0: // cut
			b = b[:rng.IntN(len(b))]
		case 1: // a few random bytes
			for range 1 + rng.IntN(8) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
		case 2: // a random 32-bit field in the first 4 kB (headers, info)
			off := rng.IntN(min(4096, len(b)-4)) &^ 3
			v := rng.Uint32()
			b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		}
		p := filepath.Join(dir, "bad_raw.fif")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(outDir, "out.h5")
		for _, args := range [][]string{{"info", "--json", p}, {"convert", p, out}} {
			code, _, stderr := runCLI(t, args...)
			if strings.Contains(stderr, "internal error") || code > 1 {
				t.Fatalf("case %d: megflow %s: exit %d\n%s", i, strings.Join(args, " "), code, stderr)
			}
			if code != 0 && !strings.Contains(stderr, p) {
				t.Errorf("case %d: megflow %s: message does not name the file: %s", i, args[0], stderr)
			}
		}
		if _, err := os.Stat(out); err == nil {
			os.Remove(out) // a damaged file can still be readable (e.g. a flipped data byte)
		}
		if left := dirNames(t, outDir); len(left) != 0 {
			t.Fatalf("case %d: left %v", i, left)
		}
	}
}
