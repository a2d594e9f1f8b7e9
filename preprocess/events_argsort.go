package preprocess

import "math/bits"

// numpySmallSort is numpy's SMALL_QUICKSORT: partitions whose last index
// exceeds the first by at most this are insertion-sorted.
const numpySmallSort = 15

// numpyArgsort returns the permutation numpy 1.24's np.argsort(v) (default
// kind "quicksort") returns for int64 keys: an introsort with
// median-of-three pivots, insertion sort on partitions of at most 16
// elements and a heapsort fallback past 2·log2(n) levels. It is not
// stable, and find_events' output order for events at equal samples on
// different channels depends on it. (numpy 1.25+ may dispatch to SIMD
// sorts on AVX-512 machines, which order ties differently.)
func numpyArgsort(v []int64) []int {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n < 2 {
		return idx
	}
	less := func(a, b int) bool { return v[a] < v[b] }
	type span struct{ lo, hi, depth int }
	var stack []span
	lo, hi := 0, n-1
	depth := 2 * (bits.Len(uint(n)) - 1)
	for {
		if depth < 0 {
			numpyHeapArgsort(v, idx[lo:hi+1])
		} else {
			for hi-lo > numpySmallSort {
				mid := lo + (hi-lo)>>1
				if less(idx[mid], idx[lo]) {
					idx[mid], idx[lo] = idx[lo], idx[mid]
				}
				if less(idx[hi], idx[mid]) {
					idx[hi], idx[mid] = idx[mid], idx[hi]
				}
				if less(idx[mid], idx[lo]) {
					idx[mid], idx[lo] = idx[lo], idx[mid]
				}
				pivot := v[idx[mid]]
				i, j := lo, hi-1
				idx[mid], idx[j] = idx[j], idx[mid]
				for {
					for i++; v[idx[i]] < pivot; i++ {
					}
					for j--; pivot < v[idx[j]]; j-- {
					}
					if i >= j {
						break
					}
					idx[i], idx[j] = idx[j], idx[i]
				}
				idx[i], idx[hi-1] = idx[hi-1], idx[i]
				// The larger side waits on the stack.
				depth--
				if i-lo < hi-i {
					stack = append(stack, span{i + 1, hi, depth})
					hi = i - 1
				} else {
					stack = append(stack, span{lo, i - 1, depth})
					lo = i + 1
				}
			}
			for i := lo + 1; i <= hi; i++ {
				x := idx[i]
				j := i
				for j > lo && v[x] < v[idx[j-1]] {
					idx[j] = idx[j-1]
					j--
				}
				idx[j] = x
			}
		}
		if len(stack) == 0 {
			return idx
		}
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		lo, hi, depth = s.lo, s.hi, s.depth
	}
}

// numpyHeapArgsort is numpy's heapsort of the indices a by their keys
// (1-based heap over a).
func numpyHeapArgsort(v []int64, a []int) {
	n := len(a)
	at := func(k int) *int { return &a[k-1] }
	sift := func(tmp, i, n int) {
		for j := 2 * i; j <= n; {
			if j < n && v[*at(j)] < v[*at(j + 1)] {
				j++
			}
			if v[tmp] < v[*at(j)] {
				*at(i) = *at(j)
				i = j
				j += j
			} else {
				break
			}
		}
		*at(i) = tmp
	}
	for l := n >> 1; l > 0; l-- {
		sift(*at(l), l, n)
	}
	for ; n > 1; n-- {
		tmp := *at(n)
		*at(n) = *at(1)
		sift(tmp, 1, n-1)
	}
}
