package inverse

import "github.com/megflow/megflow/fif"

// covProjector is MNE's make_projector(projs, names, bads) as a dense
// n x n matrix P = I - U Uᵀ with the number of projection dimensions; P is
// nil when no vector touches the channels.
func covProjector(projs []fif.Projector, names, bads []string) ([]float64, int, error) {
	if len(names) == 0 {
		return nil, 0, nil
	}
	s, err := fif.MakeSSP(projs, names, bads, fif.SSPOptions{})
	if err != nil || s.NProj == 0 {
		return nil, 0, err
	}
	return s.Matrix(), s.NProj, nil
}
