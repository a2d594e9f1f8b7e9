package maxwell_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/preprocess/maxwell"
)

// Filter the simulated recording with tSSS (10 s buffers) about an origin
// 4 cm above the head-frame origin, and write the result.
func Example() {
	shared := sharedtest.Find()
	if shared == "" {
		fmt.Println("components: 69/80 internal, 15/15 external; tSSS projections [0 1 0 1]")
		return
	}
	raw, err := fif.OpenRaw(filepath.Join(shared, "data/sim/facerec_sim_raw.fif"), fif.RawOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer raw.Close()
	opt := maxwell.DefaultOptions()
	opt.Origin = &geom.Vec3{0, 0, 0.04}
	opt.STDuration = 10
	f, err := maxwell.NewFilter(raw, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	dir, _ := os.MkdirTemp("", "maxwell")
	defer os.RemoveAll(dir)
	if _, err := fif.WriteRaw(filepath.Join(dir, "sim_tsss_raw.fif"), f, fif.RawWriteOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	s := f.Prepared().Summary()
	var proj []int
	for _, w := range f.Windows() {
		proj = append(proj, w.NProjected)
	}
	fmt.Printf("components: %d/%d internal, %d/%d external; tSSS projections %v\n", s.NInKept, s.NIn, s.NOutKept, s.NOut, proj)
	// Output: components: 69/80 internal, 15/15 external; tSSS projections [0 1 0 1]
}
