package forward

// The dense linear algebra of this package runs on gonum's BLAS/LAPACK,
// which internal/backend switches to OpenBLAS in builds with the openblas
// tag (make build, when the library is installed); in those builds the
// BEM inversion calls OpenBLAS's LAPACK directly (invert_openblas.go).
import _ "github.com/megflow/megflow/internal/backend"
