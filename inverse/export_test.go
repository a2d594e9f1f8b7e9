package inverse

// Exported for the external tests.
var (
	Norm3   = norm3
	Norm3Go = norm3Go
)
