package simulate_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/simulate"
)

func Example() {
	dir, err := os.MkdirTemp("", "simulate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	opt := simulate.DefaultOptions()
	opt.Trials, opt.Runs, opt.SFreq = 12, 1, 550 // a small study
	res, err := simulate.Study(context.Background(), dir, opt)
	if err != nil {
		log.Fatal(err)
	}
	raw, err := fif.OpenRaw(res.RawFiles[0], fif.RawOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer raw.Close()
	rel, _ := filepath.Rel(dir, res.RawFiles[0])
	fmt.Println(rel)
	fmt.Println(raw.Info.NChan(), "channels at", raw.Info.SFreq, "Hz; bads", raw.Info.Bads)
	fmt.Println(res.Subject, res.Conditions)
	// Output:
	// sub-01/ses-meg/meg/sub-01_ses-meg_task-facerecognition_run-01_meg.fif
	// 310 channels at 550 Hz; bads [MEG1512 MEG0731]
	// sub-01 map[famous:4 scrambled:4 unfamiliar:4]
}
