// Package version holds megflow's version string. Release builds set it
// with the linker:
//
//	go build -ldflags "-X github.com/megflow/megflow/internal/version.Version=1.2.3" ./cmd/megflow
//
// (make build does this from git describe).
package version

import (
	"github.com/megflow/megflow/internal/backend"

	"runtime"
	"runtime/debug"
)

// Version is the version of megflow. It is a variable so that -ldflags -X
// can set it; the default marks a development build.
var Version = "0.1.0-dev"

// String returns Version. For a development build made without -ldflags
// it appends the VCS revision Go recorded in the binary, when there is one
// (builds with -buildvcs=false or from outside a repository have none).
func String() string {
	v := Version
	if v != "0.1.0-dev" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			v += "+" + rev + dirty
		}
	}
	return v
}

// Long returns the version followed by the Go toolchain and platform, as
// printed by megflow --version.
func Long() string {
	return String() + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ", BLAS: " + backend.Name() + ")"
}
