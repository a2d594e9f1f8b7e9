// Package configs holds megflow's ready-made study configurations, embedded
// in the binary so that `megflow demo` and `megflow run --config demo` work
// outside the source tree:
//
//   - wakeman_henson.yaml: the Wakeman & Henson (2015) face-recognition
//     study as preprocessed by Jas et al. (2018), with dSPM, aparc_sub parcels
//     and RDMs;
//   - demo.yaml: the same flow on the synthetic study of `megflow simulate`.
package configs

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the embedded configurations (without .yaml).
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Read returns an embedded configuration by name ("demo" or "demo.yaml").
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(strings.TrimSuffix(name, ".yaml") + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in config %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
