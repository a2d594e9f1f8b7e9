package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
	"maps"
	"slices"
)

// Config is the whole configuration of a study. Its defaults (Default) are
// MNE-Python's and the Wakeman & Henson reproduction's; configs/*.yaml say
// where each value comes from. Keys are snake_case, nested with dots on the
// command line (--set maxwell.st_duration=10) and with underscores in
// environment variables (MEGFLOW_MAXWELL__ST_DURATION=10: a double underscore
// separates levels, a single one stays inside a key).
type Config struct {
	// Study is a free-text name shown in reports.
	Study string `mapstructure:"study" yaml:"study"`
	// BIDSRoot is the root of the BIDS dataset (ds000117 layout).
	BIDSRoot string `mapstructure:"bids_root" yaml:"bids_root"`
	// SubjectsDir is the FreeSurfer SUBJECTS_DIR.
	SubjectsDir string `mapstructure:"subjects_dir" yaml:"subjects_dir"`
	// DerivRoot receives the outputs, one folder per subject.
	DerivRoot string `mapstructure:"deriv_root" yaml:"deriv_root"`
	// Task and Session are the BIDS entities of the recordings.
	Task    string `mapstructure:"task" yaml:"task"`
	Session string `mapstructure:"session" yaml:"session"`
	// Subjects are BIDS subject labels ("01", without "sub-").
	Subjects []string `mapstructure:"subjects" yaml:"subjects"`
	// Runs are BIDS run labels ("01"); a subject's runs are concatenated
	// for epoching.
	Runs []string `mapstructure:"runs" yaml:"runs"`
	// SubjectMap gives the FreeSurfer subject of a BIDS subject (default
	// "sub-<label>").
	SubjectMap map[string]string `mapstructure:"subject_map" yaml:"subject_map"`
	// Trans is the head<->MRI transform file; {subject}, {fs_subject},
	// {bids_root} and {subjects_dir} are replaced.
	Trans string `mapstructure:"trans" yaml:"trans"`
	// Bads lists bad channels by run label ("01": all subjects) or by
	// subject and run ("sub-01_run-01"); they are added to the file's own.
	Bads map[string][]string `mapstructure:"bads" yaml:"bads"`
	// Jobs is the number of subjects processed at once (0: as the memory
	// budget allows, at most the number of CPUs).
	Jobs int `mapstructure:"jobs" yaml:"jobs"`
	// MemoryGB is the memory budget of the whole run.
	MemoryGB float64 `mapstructure:"memory_gb" yaml:"memory_gb"`

	Maxwell      MaxwellConfig      `mapstructure:"maxwell" yaml:"maxwell"`
	Filter       FilterConfig       `mapstructure:"filter" yaml:"filter"`
	Events       EventsConfig       `mapstructure:"events" yaml:"events"`
	Epochs       EpochsConfig       `mapstructure:"epochs" yaml:"epochs"`
	Covariance   CovarianceConfig   `mapstructure:"covariance" yaml:"covariance"`
	SourceSpace  SourceSpaceConfig  `mapstructure:"source_space" yaml:"source_space"`
	BEM          BEMConfig          `mapstructure:"bem" yaml:"bem"`
	Inverse      InverseConfig      `mapstructure:"inverse" yaml:"inverse"`
	Parcellation ParcellationConfig `mapstructure:"parcellation" yaml:"parcellation"`
	RSA          RSAConfig          `mapstructure:"rsa" yaml:"rsa"`
	Report       ReportConfig       `mapstructure:"report" yaml:"report"`
}

// MaxwellConfig are maxwell_filter's parameters.
type MaxwellConfig struct {
	Enabled bool `mapstructure:"enabled" yaml:"enabled"`
	// Origin is "auto" (sphere fitted to the head digitization) or
	// "x,y,z" in metres.
	Origin        string  `mapstructure:"origin" yaml:"origin"`
	Frame         string  `mapstructure:"frame" yaml:"frame"`
	IntOrder      int     `mapstructure:"int_order" yaml:"int_order"`
	ExtOrder      int     `mapstructure:"ext_order" yaml:"ext_order"`
	Regularize    string  `mapstructure:"regularize" yaml:"regularize"`
	Calibration   string  `mapstructure:"calibration" yaml:"calibration"`
	CrossTalk     string  `mapstructure:"cross_talk" yaml:"cross_talk"`
	STDuration    float64 `mapstructure:"st_duration" yaml:"st_duration"`
	STCorrelation float64 `mapstructure:"st_correlation" yaml:"st_correlation"`
	// Destination is "" (none), "x,y,z" (a translation, metres) or
	// "run-01" (the head position of that run of the same subject).
	Destination string `mapstructure:"destination" yaml:"destination"`
}

// FilterConfig is the band applied to the data channels, and optionally a
// separate high-pass of the EOG channels.
type FilterConfig struct {
	LFreq     float64   `mapstructure:"l_freq" yaml:"l_freq"`
	HFreq     float64   `mapstructure:"h_freq" yaml:"h_freq"`
	EOGLFreq  float64   `mapstructure:"eog_l_freq" yaml:"eog_l_freq"`
	EOGHFreq  float64   `mapstructure:"eog_h_freq" yaml:"eog_h_freq"`
	Notch     []float64 `mapstructure:"notch" yaml:"notch"`
	Method    string    `mapstructure:"method" yaml:"method"`
	FIRWindow string    `mapstructure:"fir_window" yaml:"fir_window"`
}

// EventsConfig are find_events' parameters plus the event-id table.
type EventsConfig struct {
	StimChannel  string           `mapstructure:"stim_channel" yaml:"stim_channel"`
	Mask         int64            `mapstructure:"mask" yaml:"mask"`
	MaskType     string           `mapstructure:"mask_type" yaml:"mask_type"`
	MinDuration  float64          `mapstructure:"min_duration" yaml:"min_duration"`
	Consecutive  string           `mapstructure:"consecutive" yaml:"consecutive"`
	UintCast     bool             `mapstructure:"uint_cast" yaml:"uint_cast"`
	TriggerDelay float64          `mapstructure:"trigger_delay" yaml:"trigger_delay"`
	EventID      map[string]int64 `mapstructure:"event_id" yaml:"event_id"`
}

// EpochsConfig are mne.Epochs' parameters.
type EpochsConfig struct {
	Tmin float64 `mapstructure:"tmin" yaml:"tmin"`
	Tmax float64 `mapstructure:"tmax" yaml:"tmax"`
	// Baseline is "none" or "a,b" with "none" allowed for either end
	// (MNE's (None, 0) is "none,0").
	Baseline string             `mapstructure:"baseline" yaml:"baseline"`
	Decim    int                `mapstructure:"decim" yaml:"decim"`
	Reject   map[string]float64 `mapstructure:"reject" yaml:"reject"`
	Flat     map[string]float64 `mapstructure:"flat" yaml:"flat"`
}

// CovarianceConfig is compute_covariance's.
type CovarianceConfig struct {
	Method string  `mapstructure:"method" yaml:"method"`
	Tmin   float64 `mapstructure:"tmin" yaml:"tmin"`
	Tmax   float64 `mapstructure:"tmax" yaml:"tmax"`
	// Rank is "none" (estimated from the data, MNE's None), "info" (from
	// the Maxwell filtering record and projectors), "full" or "meg=72".
	Rank string `mapstructure:"rank" yaml:"rank"`
}

// SourceSpaceConfig is setup_source_space's plus the forward's mindist.
type SourceSpaceConfig struct {
	Spacing string  `mapstructure:"spacing" yaml:"spacing"`
	Surface string  `mapstructure:"surface" yaml:"surface"`
	MinDist float64 `mapstructure:"mindist" yaml:"mindist"`
}

// BEMConfig is make_bem_model's.
type BEMConfig struct {
	Ico          int       `mapstructure:"ico" yaml:"ico"`
	Conductivity []float64 `mapstructure:"conductivity" yaml:"conductivity"`
}

// InverseConfig is make_inverse_operator's and apply_inverse_epochs'.
type InverseConfig struct {
	Loose   float64 `mapstructure:"loose" yaml:"loose"`
	Depth   float64 `mapstructure:"depth" yaml:"depth"`
	Method  string  `mapstructure:"method" yaml:"method"`
	SNR     float64 `mapstructure:"snr" yaml:"snr"`
	PickOri string  `mapstructure:"pick_ori" yaml:"pick_ori"`
	// Rank of the noise covariance for the whitener, as covariance.rank.
	Rank string `mapstructure:"rank" yaml:"rank"`
}

// ParcellationConfig names the parcellation and, when its annotation is
// missing, how to build it by subdividing another.
type ParcellationConfig struct {
	Parc      string `mapstructure:"parc" yaml:"parc"`
	BuildFrom string `mapstructure:"build_from" yaml:"build_from"`
	NParcels  int    `mapstructure:"n_parcels" yaml:"n_parcels"`
	Mode      string `mapstructure:"mode" yaml:"mode"`
}

// RSAConfig selects the RDMs.
type RSAConfig struct {
	// Metric is correlation, euclidean or crossnobis (over runs; needs
	// patterns averaged by condition or stimulus and two runs or more).
	Metric string `mapstructure:"metric" yaml:"metric"`
	// WindowTmin and WindowTmax bound method (i)'s window (seconds).
	WindowTmin float64 `mapstructure:"window_tmin" yaml:"window_tmin"`
	WindowTmax float64 `mapstructure:"window_tmax" yaml:"window_tmax"`
	// TimeStep keeps every TimeStep-th sample for method (ii); TimeWidth
	// averages that many samples around each.
	TimeStep  int `mapstructure:"time_step" yaml:"time_step"`
	TimeWidth int `mapstructure:"time_width" yaml:"time_width"`
	// TimeTmin and TimeTmax bound method (ii) (seconds).
	TimeTmin float64 `mapstructure:"time_tmin" yaml:"time_tmin"`
	TimeTmax float64 `mapstructure:"time_tmax" yaml:"time_tmax"`
	// AverageBy is "none" (one pattern per trial), "condition" or
	// "stimulus" (the event code).
	AverageBy string `mapstructure:"average_by" yaml:"average_by"`
	// TimeAverageBy is AverageBy for method (ii) ("": the same); per-trial
	// time-resolved RDMs of a whole study are very large (n_parcels ×
	// n_times × n_trials²/2 values).
	TimeAverageBy string `mapstructure:"time_average_by" yaml:"time_average_by"`
}

// ReportConfig controls the HTML report.
type ReportConfig struct {
	Enabled bool `mapstructure:"enabled" yaml:"enabled"`
	// FaceParcels are the parent regions whose parcel time courses the
	// report draws.
	FaceParcels []string `mapstructure:"face_parcels" yaml:"face_parcels"`
	// PeakTimes (seconds) are the times of the source maps.
	PeakTimes []float64 `mapstructure:"peak_times" yaml:"peak_times"`
}

// Default returns the configuration used for every key a config file does
// not set: MNE-Python's defaults and the Wakeman & Henson choices.
func Default() Config {
	return Config{
		Study:      "megflow",
		Task:       "facerecognition",
		Session:    "meg",
		Subjects:   []string{"01"},
		Runs:       []string{"01"},
		SubjectMap: map[string]string{},
		Trans:      "{subjects_dir}/{fs_subject}/bem/{fs_subject}-trans.fif",
		Bads:       map[string][]string{},
		MemoryGB:   2,
		Maxwell: MaxwellConfig{Enabled: true, Origin: "auto", Frame: "head", IntOrder: 8, ExtOrder: 3,
			Regularize: "in", STCorrelation: 0.98},
		Filter: FilterConfig{HFreq: 40, Method: "fir", FIRWindow: "hamming"},
		Events: EventsConfig{StimChannel: "STI101", MaskType: "and", MinDuration: 0, Consecutive: "increasing",
			EventID: map[string]int64{}},
		Epochs:       EpochsConfig{Tmin: -0.2, Tmax: 0.5, Baseline: "none,0", Decim: 1, Reject: map[string]float64{}, Flat: map[string]float64{}},
		Covariance:   CovarianceConfig{Method: "shrunk", Tmin: -0.2, Tmax: 0, Rank: "none"},
		SourceSpace:  SourceSpaceConfig{Spacing: "oct6", Surface: "white", MinDist: 5},
		BEM:          BEMConfig{Ico: 4, Conductivity: []float64{0.3}},
		Inverse:      InverseConfig{Loose: 0.2, Depth: 0.8, Method: "dSPM", SNR: 3, PickOri: "none", Rank: "none"},
		Parcellation: ParcellationConfig{Parc: "aparc_sub", BuildFrom: "aparc", NParcels: 450, Mode: "mean_flip"},
		RSA: RSAConfig{Metric: "correlation", WindowTmin: 0.1, WindowTmax: 0.6, TimeStep: 1, TimeWidth: 1,
			TimeTmin: -0.2, TimeTmax: 0.8, AverageBy: "none"},
		Report: ReportConfig{Enabled: true, FaceParcels: []string{"fusiform", "lateraloccipital", "inferiortemporal"},
			PeakTimes: []float64{0.1, 0.17}},
	}
}

// Loaded is a configuration with where it came from.
type Loaded struct {
	Config
	// Path is the config file ("" for defaults only).
	Path string
	// Hash is the SHA-256 of the effective configuration (canonical JSON).
	Hash string
}

// mapKeys are the keys whose sub-keys are free (maps); every other key must
// be one of Config's fields.
func leafKeys() (leaves map[string]bool, maps map[string]bool) {
	leaves, maps = map[string]bool{}, map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			key := prefix + tag
			switch f.Type.Kind() {
			case reflect.Struct:
				walk(f.Type, key+".")
			case reflect.Map:
				maps[key] = true
			default:
				leaves[key] = true
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return leaves, maps
}

// ValidKeys lists every configuration key, sorted (maps as "key.<name>").
func ValidKeys() []string {
	leaves, maps := leafKeys()
	var out []string
	for k := range leaves {
		out = append(out, k)
	}
	for k := range maps {
		out = append(out, k+".<name>")
	}
	sort.Strings(out)
	return out
}

// checkKey reports whether key (lower case, dotted) is a known key or lies
// below a map key.
func checkKey(key string, leaves, maps map[string]bool) bool {
	if leaves[key] {
		return true
	}
	for m := range maps {
		if key == m || strings.HasPrefix(key, m+".") {
			return true
		}
	}
	return false
}

// unknownKeyError names a misspelled key, the closest valid one and all
// valid keys.
func unknownKeyError(where, key string) error {
	best, bestD := "", 1<<30
	for _, k := range ValidKeys() {
		if d := editDistance(key, strings.TrimSuffix(k, ".<name>")); d < bestD {
			best, bestD = k, d
		}
	}
	hint := ""
	if bestD <= 3 {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Errorf("%s: unknown key %q%s; valid keys: %s", where, key, hint, strings.Join(ValidKeys(), ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// flatten turns a nested map into dotted keys.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := strings.ToLower(prefix + k)
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flatten(key+".", sub, out)
			continue
		}
		out[key] = v
	}
}

// Load reads the config file (may be "" for the defaults), applies
// environment overrides (MEGFLOW_<KEY>, levels separated by "__") and the
// --set overrides ("key=value", value in YAML syntax), and checks every key.
func Load(path string, sets []string) (*Loaded, error) {
	if path == "" {
		return LoadBytes("", nil, sets)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return LoadBytes(path, b, sets)
}

// LoadBytes is Load for configuration text already read; name is what
// messages and provenance call it (a path, or "builtin:demo").
func LoadBytes(path string, b []byte, sets []string) (*Loaded, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	leaves, mapKeys := leafKeys()
	// Defaults make every key known to viper, which is what lets
	// environment variables override keys the file does not set.
	defMap := map[string]any{}
	if err := mapstructure.Decode(Default(), &defMap); err != nil {
		return nil, err
	}
	defFlat := map[string]any{}
	flatten("", toPlainMap(defMap), defFlat)
	for k, val := range defFlat {
		v.SetDefault(k, val)
	}
	if b != nil {
		parsed, err := parseYAML(b)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		raw, ok := parsed.(map[string]any)
		if !ok && parsed != nil {
			return nil, fmt.Errorf("config %s: the top level is not a mapping of keys", path)
		}
		fileFlat := map[string]any{}
		flatten("", raw, fileFlat)
		keys := slices.Sorted(maps.Keys(fileFlat))
		for _, k := range keys {
			if !checkKey(k, leaves, mapKeys) {
				return nil, unknownKeyError("config "+path, k)
			}
		}
		if err := v.MergeConfigMap(raw); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	// Environment: MEGFLOW_MAXWELL__ST_DURATION -> maxwell.st_duration.
	for _, kv := range os.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "MEGFLOW_") || name == "MEGFLOW_SHARED" {
			continue
		}
		key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, "MEGFLOW_"), "__", "."))
		if !checkKey(key, leaves, mapKeys) {
			continue // other MEGFLOW_ variables (test switches) are not config
		}
		parsed, err := parseYAML([]byte(val))
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", name, err)
		}
		v.Set(key, parsed)
	}
	for _, s := range sets {
		key, val, ok := strings.Cut(s, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		if !checkKey(key, leaves, mapKeys) {
			return nil, unknownKeyError("--set", key)
		}
		parsed, err := parseYAML([]byte(val))
		if err != nil {
			return nil, fmt.Errorf("--set %s: %w", key, err)
		}
		if mapKeys[key] {
			if _, isMap := parsed.(map[string]any); !isMap && parsed != nil {
				return nil, fmt.Errorf("--set %s: %s is a map; set %s.<name>=value", key, key, key)
			}
		}
		v.Set(key, parsed)
	}
	var c Config
	if err := v.UnmarshalExact(&c, func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToSliceHookFunc(","),
		)
	}); err != nil {
		return nil, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	// viper lower-cases map keys; bad channel names and FreeSurfer subjects
	// keep their case because they are values.
	l := &Loaded{Config: c, Path: path}
	if err := l.normalize(); err != nil {
		return nil, err
	}
	h, err := l.hash()
	if err != nil {
		return nil, err
	}
	l.Hash = h
	return l, nil
}

// parseYAML decodes YAML keeping every scalar as the text it was written
// as (null as nil): the decoder then converts it to the field's type, so
// that subjects: [01, 02] stays "01", "02" instead of becoming numbers.
func parseYAML(b []byte) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	return nodeValue(&n)
}

func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults)"
	}
	return p
}

// toPlainMap turns the nested map mapstructure.Decode produces (whose
// nested structs stay structs) into nested map[string]any.
func toPlainMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Struct {
			sub := map[string]any{}
			if err := mapstructure.Decode(v, &sub); err == nil {
				out[k] = toPlainMap(sub)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// normalize fills derived defaults and checks values that need no files.
func (l *Loaded) normalize() error {
	c := &l.Config
	where := "config " + displayPath(l.Path)
	if c.BIDSRoot == "" {
		return fmt.Errorf("%s: bids_root is not set", where)
	}
	if c.SubjectsDir == "" {
		c.SubjectsDir = c.BIDSRoot + "/derivatives/freesurfer/subjects"
	}
	if c.DerivRoot == "" {
		c.DerivRoot = c.BIDSRoot + "/derivatives/megflow"
	}
	c.BIDSRoot = expandPath(c.BIDSRoot, nil)
	vars := map[string]string{"bids_root": c.BIDSRoot}
	c.SubjectsDir = expandPath(c.SubjectsDir, vars)
	vars["subjects_dir"] = c.SubjectsDir
	c.DerivRoot = expandPath(c.DerivRoot, vars)
	c.Maxwell.Calibration = expandPath(c.Maxwell.Calibration, vars)
	c.Maxwell.CrossTalk = expandPath(c.Maxwell.CrossTalk, vars)
	if len(c.Subjects) == 0 {
		return fmt.Errorf("%s: subjects is empty", where)
	}
	if len(c.Runs) == 0 {
		return fmt.Errorf("%s: runs is empty", where)
	}
	for i, s := range c.Subjects {
		c.Subjects[i] = strings.TrimPrefix(s, "sub-")
	}
	for i, r := range c.Runs {
		c.Runs[i] = strings.TrimPrefix(r, "run-")
	}
	if err := dupCheck(where, "subjects", c.Subjects); err != nil {
		return err
	}
	if err := dupCheck(where, "runs", c.Runs); err != nil {
		return err
	}
	for k := range c.SubjectMap {
		if !contains(c.Subjects, strings.TrimPrefix(k, "sub-")) {
			return fmt.Errorf("%s: subject_map.%s: %q is not one of subjects %v", where, k, k, c.Subjects)
		}
	}
	for k := range c.Bads {
		run, sub := k, ""
		if s, r, ok := strings.Cut(k, "_run-"); ok {
			sub, run = strings.TrimPrefix(s, "sub-"), r
			if !contains(c.Subjects, sub) {
				return fmt.Errorf("%s: bads.%s: subject %q is not one of subjects %v", where, k, sub, c.Subjects)
			}
		}
		if !contains(c.Runs, strings.TrimPrefix(run, "run-")) {
			return fmt.Errorf("%s: bads.%s: run %q is not one of runs %v", where, k, run, c.Runs)
		}
	}
	if c.Jobs < 0 {
		return fmt.Errorf("%s: jobs %d: must be >= 0", where, c.Jobs)
	}
	if !(c.MemoryGB > 0) {
		return fmt.Errorf("%s: memory_gb %g: must be > 0", where, c.MemoryGB)
	}
	return c.checkValues(where)
}

func dupCheck(where, key string, xs []string) error {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return fmt.Errorf("%s: %s lists %q twice", where, key, x)
		}
		seen[x] = true
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// FSSubject is the FreeSurfer subject of a BIDS subject label.
func (c *Config) FSSubject(sub string) string {
	if s, ok := c.SubjectMap[sub]; ok && s != "" {
		return s
	}
	if s, ok := c.SubjectMap["sub-"+sub]; ok && s != "" {
		return s
	}
	return "sub-" + sub
}

// RunBads are the bad channels the config adds to one run of a subject.
func (c *Config) RunBads(sub, run string) []string {
	var out []string
	out = append(out, c.Bads[run]...)
	out = append(out, c.Bads["run-"+run]...)
	out = append(out, c.Bads["sub-"+sub+"_run-"+run]...)
	return out
}

// expandPath replaces {name} placeholders and a leading ~.
func expandPath(p string, vars map[string]string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	for k, v := range vars {
		p = strings.ReplaceAll(p, "{"+k+"}", v)
	}
	return p
}

// hash is the SHA-256 of the effective configuration as canonical JSON
// (encoding/json sorts map keys).
func (l *Loaded) hash() (string, error) {
	b, err := json.Marshal(l.Config)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// YAML renders the effective configuration.
func (l *Loaded) YAML() ([]byte, error) {
	return yaml.Marshal(l.Config)
}
