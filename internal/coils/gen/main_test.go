package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/megflow/megflow/internal/coils"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestGeneratedUpToDate regenerates defs_gen.go in memory from the shared
// coil_def.dat and compares it with the committed file.
func TestGeneratedUpToDate(t *testing.T) {
	defs, err := coils.ReadFile(sharedtest.Path(t, "data/coils/coil_def.dat"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(defs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../defs_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("defs_gen.go is out of date: run go generate in internal/coils")
	}
}
