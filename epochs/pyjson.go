package epochs

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Python's json.dumps formatting, so that the strings stored in -epo.fif
// files (drop log, rejection parameters) are the ones MNE writes.

// pyJSONString quotes s as json.dumps does (ensure_ascii=True).
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r > 0x7f && r <= 0xffff):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyFloat formats v as Python's repr (and json.dumps) does: the shortest
// round-tripping digits, in fixed notation for exponents -4..15 (with at
// least one decimal), else in scientific notation with a two-digit
// exponent; infinities and NaN as JSON's Infinity and NaN.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	i := strings.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[i+1:])
	if exp < -4 || exp >= 16 {
		return e // Go already writes at least two exponent digits with a sign
	}
	f := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(f, ".") {
		f += ".0"
	}
	return f
}

// dropLogJSON is json.dumps(drop_log): a list of lists of strings.
func dropLogJSON(log [][]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range log {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('[')
		for j, s := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyJSONString(s))
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}

// rejectJSON is json.dumps of MNE's reject parameters (only the keys that
// are set, in MNE's order), or "" when none is set.
func rejectJSON(reject, flat Thresholds, rtmin, rtmax *float64) string {
	var parts []string
	dict := func(t Thresholds) string {
		items := make([]string, len(t))
		for i, x := range t {
			items[i] = pyJSONString(x.Type) + ": " + pyFloat(x.Value)
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	if len(reject) > 0 {
		parts = append(parts, `"reject": `+dict(reject))
	}
	if len(flat) > 0 {
		parts = append(parts, `"flat": `+dict(flat))
	}
	if rtmin != nil {
		parts = append(parts, `"reject_tmin": `+pyFloat(*rtmin))
	}
	if rtmax != nil {
		parts = append(parts, `"reject_tmax": `+pyFloat(*rtmax))
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// parsePyJSON decodes JSON that may hold Python's Infinity and NaN
// (replaced by strings before decoding) into v.
func parsePyJSON(s string, v any) error {
	return json.Unmarshal([]byte(s), v)
}

// parseRejectJSON reads MNE's reject parameters (values may be Infinity,
// NaN or numbers; dict order is kept).
func parseRejectJSON(s string) (reject, flat Thresholds, rtmin, rtmax *float64, err error) {
	dec := json.NewDecoder(strings.NewReader(pyNonFinite(s)))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, nil, nil, fmt.Errorf("reject parameters %q: not a JSON object", s)
	}
	num := func(x any) (float64, error) {
		switch v := x.(type) {
		case json.Number:
			return strconv.ParseFloat(string(v), 64)
		case string:
			return strconv.ParseFloat(v, 64) // "Inf", "-Inf", "NaN" placeholders
		}
		return 0, fmt.Errorf("reject parameters %q: %v is not a number", s, x)
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, nil, nil, err
		}
		key, _ := kt.(string)
		switch key {
		case "reject", "flat":
			var th Thresholds
			if t, err := dec.Token(); err != nil || t != json.Delim('{') {
				return nil, nil, nil, nil, fmt.Errorf("reject parameters %q: %s is not an object", s, key)
			}
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return nil, nil, nil, nil, err
				}
				vt, err := dec.Token()
				if err != nil {
					return nil, nil, nil, nil, err
				}
				f, err := num(vt)
				if err != nil {
					return nil, nil, nil, nil, err
				}
				name, _ := nt.(string)
				th = append(th, Threshold{Type: name, Value: f})
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, nil, nil, err
			}
			if key == "reject" {
				reject = th
			} else {
				flat = th
			}
		case "reject_tmin", "reject_tmax":
			vt, err := dec.Token()
			if err != nil {
				return nil, nil, nil, nil, err
			}
			if vt == nil {
				continue
			}
			f, err := num(vt)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			if key == "reject_tmin" {
				rtmin = &f
			} else {
				rtmax = &f
			}
		default:
			var skip any
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, nil, nil, err
			}
		}
	}
	return reject, flat, rtmin, rtmax, nil
}

// pyNonFinite turns the bare Infinity, -Infinity and NaN of Python's JSON
// into strings Go's decoder accepts (outside of string literals).
func pyNonFinite(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case strings.HasPrefix(s[i:], "-Infinity"):
			b.WriteString(`"-Inf"`)
			i += len("-Infinity") - 1
		case strings.HasPrefix(s[i:], "Infinity"):
			b.WriteString(`"Inf"`)
			i += len("Infinity") - 1
		case strings.HasPrefix(s[i:], "NaN"):
			b.WriteString(`"NaN"`)
			i += len("NaN") - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
