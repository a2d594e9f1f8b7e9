package bigmem

import "syscall"

const (
	madvHugepage = 14 // MADV_HUGEPAGE
	hugePage     = 2 << 20
)

// adviseHuge marks the whole 2 MiB pages inside b for transparent huge
// pages. Errors (no THP support, "never" mode) are ignored: the advice is
// an optimization only.
func adviseHuge(b []byte) {
	start := uintptr(unsafePointer(b))
	end := start + uintptr(len(b))
	first := (start + hugePage - 1) &^ (hugePage - 1)
	last := end &^ (hugePage - 1)
	if last <= first {
		return
	}
	_ = syscall.Madvise(b[first-start:last-start], madvHugepage)
}
