// Package geom holds small geometric helpers shared by the processing
// stages: 3-vectors, 4x4 rigid/affine transforms, a Rodrigues rotation
// between two directions, and the sphere fit to head-shape points that
// MNE-Python uses to find the head centre (fit_sphere_to_headshape).
//
// Everything is in plain float64 arrays, independent of file formats;
// package fif converts its records to these types at the edges.
package geom
