package fif

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func testProj(desc string, active bool, cols []string, rows ...[]float64) Projector {
	p := Projector{Kind: 1, Desc: desc, Active: active, ColNames: cols, NVec: len(rows)}
	for _, r := range rows {
		p.Data = append(p.Data, r...)
	}
	return p
}

func TestMakeSSPBasics(t *testing.T) {
	chs := []string{"STI101", "A", "B", "C", "D"}
	// One vector over A, B (and a bad D); a second, linearly dependent one.
	p1 := testProj("p1", false, []string{"B", "A", "D"}, []float64{2, 2, 5})
	p2 := testProj("p2", true, []string{"A", "B"}, []float64{-3, -3})
	s, err := MakeSSP([]Projector{p1, p2}, chs, []string{"D"}, SSPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.NProj != 1 {
		t.Fatalf("NProj = %d, want 1 (the vectors are parallel once D is dropped)", s.NProj)
	}
	m := s.Matrix()
	want := []float64{
		1, 0, 0, 0, 0,
		0, 0.5, -0.5, 0, 0,
		0, -0.5, 0.5, 0, 0,
		0, 0, 0, 1, 0,
		0, 0, 0, 0, 1,
	}
	for i := range m {
		if math.Abs(m[i]-want[i]) > 1e-15 {
			t.Fatalf("matrix\n got  %v\n want %v", m, want)
		}
	}
	// Only the active one excluded: p1 alone, same subspace.
	s2, err := MakeSSP([]Projector{p1, p2}, chs, []string{"D"}, SSPOptions{ExcludeActive: true})
	if err != nil || s2.NProj != 1 {
		t.Fatalf("ExcludeActive: %v, NProj %d", err, s2.NProj)
	}
	// Nothing selected, or nothing left: identity.
	s3, _ := MakeSSP([]Projector{p2}, chs, nil, SSPOptions{ExcludeActive: true})
	s4, _ := MakeSSP([]Projector{testProj("x", false, []string{"Z"}, []float64{1})}, chs, nil, SSPOptions{})
	if s3.NProj != 0 || s4.NProj != 0 {
		t.Errorf("identity cases: NProj %d, %d", s3.NProj, s4.NProj)
	}
	// Errors.
	if _, err := MakeSSP([]Projector{testProj("dup", false, []string{"A", "A"}, []float64{1, 1})}, chs, nil, SSPOptions{}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate columns: %v", err)
	}
	full := []Projector{testProj("a", false, []string{"A"}, []float64{1}), testProj("b", false, []string{"B"}, []float64{1})}
	if _, err := MakeSSP(full, []string{"A", "B"}, nil, SSPOptions{}); err == nil || !strings.Contains(err.Error(), "no components") {
		t.Errorf("nproj >= nchan: %v", err)
	}
	if _, err := MakeSSP(nil, nil, nil, SSPOptions{}); err == nil {
		t.Error("no channels accepted")
	}
}

// TestSSPApplyMatchesMatrix checks the low-rank application against the
// dense matrix on non-contiguous channels, and that projecting twice
// changes nothing.
func TestSSPApplyMatchesMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	chs := []string{"A", "STI", "B", "C", "EOG", "D", "E"}
	cols := []string{"E", "D", "C", "B", "A"}
	var projs []Projector
	for k := range 3 {
		r := make([]float64, len(cols))
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		projs = append(projs, testProj(fmt.Sprint("v", k), false, cols, r))
	}
	s, err := MakeSSP(projs, chs, []string{"C"}, SSPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.NProj != 3 || s.contiguous {
		t.Fatalf("NProj %d contiguous %v", s.NProj, s.contiguous)
	}
	ns := 37
	x := make([]float64, len(chs)*ns)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	m := s.Matrix()
	want := make([]float64, len(x))
	n := len(chs)
	for i := range n {
		for j := range n {
			for k := range ns {
				want[i*ns+k] += m[i*n+j] * x[j*ns+k]
			}
		}
	}
	got := append([]float64(nil), x...)
	scratch, err := s.Apply(got, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-13 {
			t.Fatalf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
	again := append([]float64(nil), got...)
	s.Apply(again, ns, scratch)
	for i := range got {
		if math.Abs(again[i]-got[i]) > 1e-13 {
			t.Fatalf("not idempotent at %d", i)
		}
	}
	// Channels outside the projectors and the bad one pass through.
	for _, c := range []int{1, 3, 4} {
		for k := range ns {
			if got[c*ns+k] != x[c*ns+k] {
				t.Fatalf("channel %s changed", chs[c])
			}
		}
	}
}
