package inverse

// The dense linear algebra of this package runs on gonum's BLAS/LAPACK,
// which internal/backend switches to OpenBLAS in builds with the openblas
// tag (make build, when the library is installed).
import _ "github.com/megflow/megflow/internal/backend"
