package atlas

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/megflow/megflow/geom"
)

// Hemis are the hemisphere names in their fixed order (index 0 = left).
var Hemis = [2]string{"lh", "rh"}

// Label is a set of vertices of one hemisphere's surface.
type Label struct {
	// Name is "<annotation name>-<hemi>" for labels from an annotation,
	// as in MNE.
	Name string
	Hemi string // "lh" or "rh"
	// Vertices are surface vertex numbers, ascending.
	Vertices []int
	// Color is RGBA in [0, 1] (alpha = (255 − T)/255).
	Color [4]float64
}

// HemiIndex returns 0 for "lh", 1 for "rh", −1 otherwise.
func HemiIndex(h string) int {
	switch h {
	case "lh":
		return 0
	case "rh":
		return 1
	}
	return -1
}

// AnnotPath returns <subjectsDir>/<subject>/label/<hemi>.<parc>.annot.
func AnnotPath(subjectsDir, subject, hemi, parc string) string {
	return filepath.Join(subjectsDir, subject, "label", hemi+"."+parc+".annot")
}

// LabelsFromAnnot turns an annotation of hemisphere hemi into labels as
// MNE's read_labels_from_annot does: one label per color-table entry that
// has vertices, named "<name>-<hemi>", in table order.
func LabelsFromAnnot(a *Annot, hemi string) []Label {
	byID := map[int32][]int{}
	for v, val := range a.Values {
		byID[val] = append(byID[val], v)
	}
	var out []Label
	for i, c := range a.Table {
		verts := byID[a.EntryID(i)]
		if len(verts) == 0 {
			continue
		}
		out = append(out, Label{
			Name:     c.Name + "-" + hemi,
			Hemi:     hemi,
			Vertices: append([]int(nil), verts...),
			Color:    [4]float64{float64(c.R) / 255, float64(c.G) / 255, float64(c.B) / 255, float64(255-c.T) / 255},
		})
	}
	return out
}

// ReadLabels reads <subjectsDir>/<subject>/label/{lh,rh}.<parc>.annot and
// returns the labels of both hemispheres sorted by name, as MNE's
// read_labels_from_annot(subject, parc, 'both', sort=True).
func ReadLabels(subjectsDir, subject, parc string) ([]Label, error) {
	var all []Label
	for _, h := range Hemis {
		a, err := ReadAnnot(AnnotPath(subjectsDir, subject, h, parc))
		if err != nil {
			return nil, err
		}
		all = append(all, LabelsFromAnnot(a, h)...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("atlas: no labels in %s of %s", parc, subject)
	}
	SortLabels(all)
	return all, nil
}

// SortLabels sorts labels by name (Python string order: by code point,
// which for valid UTF-8 is Go's byte order).
func SortLabels(ls []Label) {
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
}

// LabelsToAnnot builds one hemisphere's annotation from labels (those of
// other hemispheres are ignored) over nVertices surface vertices. Entry 0
// is "unknown" unless a label is named so; vertices in no label get −1.
// A vertex claimed by two labels is an error. Colors must be distinct.
func LabelsToAnnot(labels []Label, hemi string, nVertices int) (*Annot, error) {
	a := &Annot{Values: make([]int32, nVertices), OrigTable: "megflow"}
	for i := range a.Values {
		a.Values[i] = -1
	}
	owner := make([]int, nVertices)
	for i := range owner {
		owner[i] = -1
	}
	for li, l := range labels {
		if l.Hemi != hemi {
			continue
		}
		c := ColorEntry{
			Name: strings.TrimSuffix(l.Name, "-"+hemi),
			R:    int32(l.Color[0]*255 + 0.5), G: int32(l.Color[1]*255 + 0.5), B: int32(l.Color[2]*255 + 0.5),
			T: 255 - int32(l.Color[3]*255+0.5),
		}
		a.Table = append(a.Table, c)
		for _, v := range l.Vertices {
			if v < 0 || v >= nVertices {
				return nil, fmt.Errorf("atlas: label %s: vertex %d outside [0, %d)", l.Name, v, nVertices)
			}
			if owner[v] >= 0 {
				return nil, fmt.Errorf("atlas: vertex %d is in %s and %s", v, labels[owner[v]].Name, l.Name)
			}
			owner[v] = li
			a.Values[v] = c.ID()
		}
	}
	seen := map[int32]string{}
	for _, c := range a.Table {
		if o, ok := seen[c.ID()]; ok {
			return nil, fmt.Errorf("atlas: labels %s and %s have the same color", o, c.Name)
		}
		seen[c.ID()] = c.Name
	}
	return a, nil
}

// LabelOfSource returns, for every source of a two-hemisphere source space
// (vertno[0] left then vertno[1] right, as source estimates order them),
// the index of the label containing it, or −1. Labels must not overlap
// within a hemisphere (the first label wins).
func LabelOfSource(labels []Label, vertno [2][]int) []int {
	var out []int
	for h := range 2 {
		pos := map[int]int{}
		for li, l := range labels {
			if HemiIndex(l.Hemi) != h {
				continue
			}
			for _, v := range l.Vertices {
				if _, ok := pos[v]; !ok {
					pos[v] = li
				}
			}
		}
		for _, v := range vertno[h] {
			li, ok := pos[v]
			if !ok {
				li = -1
			}
			out = append(out, li)
		}
	}
	return out
}

// ReadSurfaces reads <subjectsDir>/<subject>/surf/{lh,rh}.<name>.
func ReadSurfaces(subjectsDir, subject, name string) ([2]*geom.Surface, error) {
	var s [2]*geom.Surface
	for h, hemi := range Hemis {
		var err error
		if s[h], err = geom.ReadSurface(filepath.Join(subjectsDir, subject, "surf", hemi+"."+name)); err != nil {
			return s, err
		}
	}
	return s, nil
}
