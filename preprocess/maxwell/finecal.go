package maxwell

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FineCal is a fine-calibration file (MaxFilter's sss_cal.dat): for each
// channel the calibrated position and orientation (the 12 numbers of a
// FIF channel location) and one imbalance/calibration value (1D) or three
// (3D gradiometer imbalance).
type FineCal struct {
	Name  string // base name of the file, for messages
	Names []string
	Locs  [][12]float64
	// Imb holds, per channel, the magnetometer calibration coefficient or
	// the gradiometer imbalance(s): 1 or 3 values.
	Imb [][]float64
}

// ReadFineCal reads a fine-calibration .dat file as MNE's
// read_fine_calibration: one line per channel with the channel number (or
// name), 12 location numbers and 1 or 3 imbalance terms; '#' starts a
// comment line. Neuromag channel numbers (3 or 4 digits) become names
// "MEG%04d".
func ReadFineCal(path string) (*FineCal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fc, err := ParseFineCal(f)
	if err != nil {
		return nil, fmt.Errorf("maxwell: fine calibration %s: %w", path, err)
	}
	fc.Name = filepath.Base(path)
	return fc, nil
}

// ParseFineCal reads the contents of a fine-calibration file.
func ParseFineCal(r io.Reader) (*FineCal, error) {
	fc := &FineCal{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || line[0] == '#' {
			continue
		}
		vals := strings.Fields(line)
		if len(vals) != 14 && len(vals) != 16 {
			return nil, fmt.Errorf("line %d: want 14 or 16 entries (channel, 12 location numbers, 1 or 3 imbalance terms), found %d", lineNo, len(vals))
		}
		name := vals[0]
		if len(name) == 3 || len(name) == 4 {
			if n, err := strconv.Atoi(name); err == nil {
				name = fmt.Sprintf("MEG%04d", n)
			}
		}
		nums := make([]float64, len(vals)-1)
		for i, v := range vals[1:] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: entry %d %q is not a number", lineNo, i+2, v)
			}
			nums[i] = x
		}
		var loc [12]float64
		copy(loc[:], nums[:12])
		fc.Names = append(fc.Names, name)
		fc.Locs = append(fc.Locs, loc)
		fc.Imb = append(fc.Imb, nums[12:])
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(fc.Names) == 0 {
		return nil, fmt.Errorf("no channels found")
	}
	return fc, nil
}
