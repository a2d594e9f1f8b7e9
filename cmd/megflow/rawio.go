package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
)

// This file holds what the commands that read or write raw FIF files
// share: opening the input, and checking the output name, sample format
// and split size before any work is done.

// openRawInput opens a raw recording, naming the file when it is missing
// and pointing to --allow-maxshield when MaxShield data are refused.
func openRawInput(in string, allowMaxShield bool) (*fif.Raw, error) {
	if _, err := os.Stat(in); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", in, unwrapPathError(err))
	}
	raw, err := fif.OpenRaw(in, fif.RawOptions{AllowMaxShield: allowMaxShield})
	if errors.Is(err, fif.ErrMaxShield) {
		return nil, fmt.Errorf("%w (use --allow-maxshield)", err)
	}
	return raw, err
}

// checkRawOutput checks the flags of a command that writes a raw FIF file
// (cmd names it in messages): OUT must end in .fif, --fmt must be a FIF
// sample format, --split-size a size. It returns the writer options.
func checkRawOutput(cmd, out, format, splitSize string) (fif.RawWriteOptions, error) {
	if k, err := outputKind(out); err != nil {
		return fif.RawWriteOptions{}, err
	} else if k != outFIF {
		return fif.RawWriteOptions{}, usagef("OUT %s: %s writes raw FIF; the name must end in .fif", out, cmd)
	}
	f, err := checkFormat(format)
	if err != nil {
		return fif.RawWriteOptions{}, err
	}
	split, err := parseSize(splitSize)
	if err != nil {
		return fif.RawWriteOptions{}, usagef("--split-size: %v", err)
	}
	return fif.RawWriteOptions{Format: f, SplitSize: split}, nil
}

// checkFormat checks a --fmt value.
func checkFormat(format string) (string, error) {
	f := strings.ToLower(format)
	switch f {
	case "single", "double", "short", "int":
		return f, nil
	}
	return "", usagef("--fmt %q: want single, double, short or int", format)
}

// parseBytes reads a size in bytes: an integer, or a number followed by
// kB, MB or GB (binary multiples, as MNE's split_size). Sizes above max
// are refused with tooBig.
func parseBytes(orig string, max float64, tooBig string) (int64, error) {
	s := strings.TrimSpace(orig)
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a size (e.g. 2GB, 500MB, 1048576)", orig)
	}
	if v*mult > max {
		return 0, fmt.Errorf("%s %s", orig, tooBig)
	}
	return int64(v * mult), nil
}

// parseSize reads a FIF split size (MNE's split_size): at most 2 GB, the
// largest FIF file; WriteRaw keeps each part below 2 GiB.
func parseSize(orig string) (int64, error) {
	return parseBytes(orig, 2*(1<<30), "is above 2GB, the largest FIF file")
}

// parseMemory reads a memory budget.
func parseMemory(orig string) (int64, error) {
	return parseBytes(orig, 1<<50, "is not a plausible memory size")
}
