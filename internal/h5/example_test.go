package h5_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/internal/h5"
)

func Example() {
	dir, err := os.MkdirTemp("", "h5example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "rdm.h5")

	// Write: the file appears at path only when Close succeeds.
	w, err := h5.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // no-op after a successful Close
	if err := w.WriteFloat32("rdm/data", []float32{0, 0.5, 0.5, 0}, []int{2, 2}, h5.Shuffle(), h5.Gzip(4)); err != nil {
		log.Fatal(err)
	}
	if err := w.WriteStrings("rdm/labels", []string{"fusiform_1 – é", "V1"}); err != nil {
		log.Fatal(err)
	}
	if err := w.SetAttrString("rdm", "dissimilarity_measure", "correlation"); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	// Read back.
	f, err := h5.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	data, dims, err := f.ReadFloat64("rdm/data")
	if err != nil {
		log.Fatal(err)
	}
	labels, err := f.ReadStrings("rdm/labels")
	if err != nil {
		log.Fatal(err)
	}
	measure, err := f.AttrString("rdm", "dissimilarity_measure")
	if err != nil {
		log.Fatal(err)
	}
	_, _, err = f.ReadFloat64("rdm/missing")
	fmt.Println(dims, data)
	fmt.Printf("%q %s\n", labels, measure)
	fmt.Println(err != nil, f.Exists("rdm/labels"))
	// Output:
	// [2 2] [0 0.5 0.5 0]
	// ["fusiform_1 – é" "V1"] correlation
	// true true
}
