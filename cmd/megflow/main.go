// Command megflow turns Elekta/MEGIN Neuromag MEG recordings (FIF) into
// source estimates and representational dissimilarity matrices,
// reproducing MNE-Python's numbers. Run "megflow --help" for the commands.
package main

import (
	"os"

	// OpenBLAS behind gonum in builds with the openblas tag.
	_ "github.com/megflow/megflow/internal/backend"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
