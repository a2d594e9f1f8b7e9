package forward

import (
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// BenchmarkBEMSolution times the ico4 single-layer BEM solution
// (megflow bem) on fsaverage5.
func BenchmarkBEMSolution(b *testing.B) {
	sd := subjectsDir(b)
	for b.Loop() {
		m, err := MakeBEMModel(sd, "fsaverage5", 4, []float64{0.3})
		if err != nil {
			b.Fatal(err)
		}
		if err := MakeBEMSolution(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForward times the MEG forward solution of the golden setup
// (306 channels, 8195 sources, ico4 BEM), without the BEM solution.
func BenchmarkForward(b *testing.B) {
	sd := subjectsDir(b)
	bem := sharedBEM(b)
	info := readInfo(b, sharedtest.Path(b, "data/sim/facerec_sim_raw.fif"))
	trans, err := fif.ReadTrans(filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: "oct6"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := MakeForward(info, trans, src, bem, Options{MinDistMM: 5}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSourceSpace times the oct6 source space of fsaverage5.
func BenchmarkSourceSpace(b *testing.B) {
	sd := subjectsDir(b)
	for b.Loop() {
		if _, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: "oct6"}); err != nil {
			b.Fatal(err)
		}
	}
}
