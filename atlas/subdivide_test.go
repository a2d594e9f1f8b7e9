package atlas

import (
	"bytes"
	"testing"
)

// TestSubdivideAparc: aparc on fsaverage5 → 450 ± 10 parcels, every parcel
// inside one aparc region, area CV reported, identical output on re-run.
func TestSubdivideAparc(t *testing.T) {
	sd := subjectsDir(t)
	var annots [2]*Annot
	var surfs [2]HemiSurfaces
	white, err := ReadSurfaces(sd, "fsaverage5", "white")
	if err != nil {
		t.Fatal(err)
	}
	sphere, err := ReadSurfaces(sd, "fsaverage5", "sphere")
	if err != nil {
		t.Fatal(err)
	}
	for h, hemi := range Hemis {
		if annots[h], err = ReadAnnot(AnnotPath(sd, "fsaverage5", hemi, "aparc")); err != nil {
			t.Fatal(err)
		}
		surfs[h] = HemiSurfaces{White: white[h], Sphere: sphere[h]}
	}
	sub, st, err := Subdivide(annots, surfs, SubdivideOptions{NParcels: 450})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d parcels, mean area %.1f mm², area CV %.3f", st.NParcels, st.AreaMean, st.AreaCV)
	if st.NParcels < 440 || st.NParcels > 460 {
		t.Fatalf("%d parcels, want 450 ± 10", st.NParcels)
	}
	total := 0
	for h, hemi := range Hemis {
		parents := LabelsFromAnnot(annots[h], hemi)
		parentOf := map[int]string{}
		adj := adjacency(len(surfs[h].Sphere.Rr), surfs[h].Sphere.Tris)
		parentConnected := map[string]bool{}
		for _, p := range parents {
			for _, v := range p.Vertices {
				parentOf[v] = p.Name
			}
			parentConnected[p.Name] = connected(p.Vertices, adj)
		}
		labels := LabelsFromAnnot(sub[h], hemi)
		total += len(labels)
		covered := 0
		for _, l := range labels {
			par := parentOf[l.Vertices[0]]
			want := par[:len(par)-3] + "_"
			if len(l.Name) < len(want) || l.Name[:len(want)] != want {
				t.Fatalf("%s lies in %s but is not named after it", l.Name, par)
			}
			for _, v := range l.Vertices {
				if parentOf[v] != par {
					t.Fatalf("%s: vertex %d in %s and %s", l.Name, v, par, parentOf[v])
				}
			}
			covered += len(l.Vertices)
			if !connected(l.Vertices, adj) {
				if parentConnected[par] {
					t.Errorf("%s is not connected although %s is", l.Name, par)
				} else {
					t.Logf("%s is not connected (nor is its parent %s)", l.Name, par)
				}
			}
		}
		if covered != len(parentOf) {
			t.Fatalf("%s: parts cover %d of %d parent vertices", hemi, covered, len(parentOf))
		}
	}
	if total != st.NParcels {
		t.Fatalf("labels %d vs stats %d", total, st.NParcels)
	}
	sub2, _, err := Subdivide(annots, surfs, SubdivideOptions{NParcels: 450})
	if err != nil {
		t.Fatal(err)
	}
	for h := range 2 {
		if !bytes.Equal(sub[h].Bytes(), sub2[h].Bytes()) {
			t.Fatal("re-run differs")
		}
	}
}

func connected(verts []int, adj [][]int32) bool {
	in := map[int]bool{}
	for _, v := range verts {
		in[v] = true
	}
	seen := map[int]bool{verts[0]: true}
	stack := []int{verts[0]}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, u := range adj[v] {
			if in[int(u)] && !seen[int(u)] {
				seen[int(u)] = true
				stack = append(stack, int(u))
			}
		}
	}
	return len(seen) == len(verts)
}
