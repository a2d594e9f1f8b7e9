package fif

import (
	"encoding/binary"
	"os"
)

var be = binary.BigEndian

func removeQuiet(path string) { _ = os.Remove(path) }
