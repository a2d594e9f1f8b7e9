package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

func init() { addSubcommand(newInfoCmd) }

const infoLong = `Summarize a FIF file without reading its data: the file and its split parts,
measurement date, sampling rate, number of samples and duration, first sample,
channels by type, bad channels, the device-to-head transform, SSP projectors,
digitized points, the processing history (MaxFilter / Maxwell filtering) and
the on-disk sample format. Only the directory and the measurement info are
read, so it is instant even for multi-GB recordings.

For a FIF file that is not a raw recording (covariance, evoked, transform,
forward or inverse solution, ...) it prints what it finds: the kind of file
and its blocks, plus the measurement info when the file has one.

With --json the summary is one JSON object with at least the keys sfreq,
n_times, first_samp, meas_date (ISO 8601 UTC or null), channels (name, kind,
coil_type, unit, cal, range, loc), bads, dev_head_t (4x4 or null), projs
(desc, active), n_dig and proc_history; numbers are exact (float32 fields of
the file widened to float64, as in MNE).`

const infoExample = `  megflow info sub-01_raw.fif
  megflow info --channels sub-01_raw.fif          # also list every channel
  megflow info --json sub-01_raw.fif | jq '.bads'
  megflow info sample_audvis-cov.fif              # non-raw FIF: lists its blocks`

func newInfoCmd(a *app) *cobra.Command {
	var asJSON, channels bool
	cmd := &cobra.Command{
		Use:     "info FILE",
		Short:   "Summarize a FIF file (measurement info, channels, history) without reading data",
		Long:    infoLong,
		Example: infoExample,
		Args:    exactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.info(cmd.Context(), args[0], asJSON, channels)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.Flags().BoolVar(&channels, "channels", false, "list every channel (name, type, coil type, unit, cal, range)")
	return cmd
}

// jfloat is a float64 that encodes NaN and ±Inf as JSON null.
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func jf(v float64) *jfloat { j := jfloat(v); return &j }

// jfp converts an optional float; nil stays nil (JSON null).
func jfp(v *float64) *jfloat {
	if v == nil {
		return nil
	}
	return jf(*v)
}

type chanJSON struct {
	Name       string     `json:"name"`
	Kind       int32      `json:"kind"`
	Type       string     `json:"type"`
	CoilType   int32      `json:"coil_type"`
	Unit       int32      `json:"unit"`
	UnitMul    int32      `json:"unit_mul"`
	Cal        jfloat     `json:"cal"`
	Range      jfloat     `json:"range"`
	Loc        [12]jfloat `json:"loc"`
	LogNo      int32      `json:"logno"`
	ScanNo     int32      `json:"scanno"`
	CoordFrame int32      `json:"coord_frame"`
}

type projJSON struct {
	Desc      string `json:"desc"`
	Active    bool   `json:"active"`
	Kind      int32  `json:"kind"`
	NVec      int    `json:"n_vec"`
	NChannels int    `json:"n_channels"`
}

type sssJSON struct {
	Job          *int32   `json:"job"`
	Frame        *string  `json:"frame"`
	Origin       []jfloat `json:"origin"`
	InOrder      *int32   `json:"in_order"`
	OutOrder     *int32   `json:"out_order"`
	NChan        *int32   `json:"nchan"`
	NComponents  int      `json:"n_components"`
	NFree        *int32   `json:"nfree"`
	HPIGLimit    *jfloat  `json:"hpi_g_limit"`
	HPIDistLimit *jfloat  `json:"hpi_dist_limit"`
}

type maxSTJSON struct {
	Job       *int32  `json:"job"`
	SubspCorr *jfloat `json:"subspcorr"`
	BufLen    *jfloat `json:"buflen"`
}

type procJSON struct {
	Creator      string     `json:"creator"`
	Experimenter string     `json:"experimenter"`
	Date         *string    `json:"date"`
	SSS          *sssJSON   `json:"sss"`
	MaxST        *maxSTJSON `json:"max_st"`
	FineCal      *int       `json:"fine_cal_nchan"`
	CrossTalk    *string    `json:"cross_talk_creator"`
}

// infoReport is the summary of a file: the JSON of info --json and the
// source of the text summary. Keys without omitempty are always present
// (null when the file has no such thing).
type infoReport struct {
	File          string           `json:"file"`
	SizeBytes     int64            `json:"size_bytes"`
	Raw           bool             `json:"raw"`
	FIFType       string           `json:"fif_type"`
	SFreq         *jfloat          `json:"sfreq"`
	NTimes        *int64           `json:"n_times"`
	FirstSamp     *int64           `json:"first_samp"`
	LastSamp      *int64           `json:"last_samp"`
	Duration      *jfloat          `json:"duration"`
	MeasDate      *string          `json:"meas_date"`
	NChannels     int              `json:"n_channels"`
	ChannelCounts map[string]int   `json:"channel_counts"`
	Channels      []chanJSON       `json:"channels"`
	Bads          []string         `json:"bads"`
	Highpass      *jfloat          `json:"highpass"`
	Lowpass       *jfloat          `json:"lowpass"`
	LineFreq      *jfloat          `json:"line_freq"`
	DevHeadT      *[4][4]jfloat    `json:"dev_head_t"`
	Projs         []projJSON       `json:"projs"`
	NDig          int              `json:"n_dig"`
	DigCounts     map[string]int   `json:"dig_counts"`
	ProcHistory   []procJSON       `json:"proc_history"`
	Format        *string          `json:"format"`
	SplitParts    []string         `json:"split_parts"`
	MaxShield     bool             `json:"maxshield"`
	Blocks        map[string]int   `json:"blocks,omitempty"`
	Warnings      []string         `json:"warnings,omitempty"`
	info          *fif.Info        // nil when the file has no measurement info
	typeCounts    []typeCount      // channel types in display order
	procs         []fif.ProcRecord // for the text summary
	dirFromPtr    bool
	nTags         int
}

func (a *app) info(ctx context.Context, path string, asJSON, listChannels bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if st.IsDir() {
		return fmt.Errorf("cannot read %s: it is a directory", path)
	}
	rep, err := a.buildReport(path, st.Size())
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.writeText(a.stdout, listChannels)
}

// buildReport reads the directory and the measurement info of path.
func (a *app) buildReport(path string, size int64) (*infoReport, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	blocks := map[int32]int{}
	countBlocks(f.Root, blocks)
	rep := &infoReport{File: path, SizeBytes: size, dirFromPtr: f.DirFromPointer, nTags: len(f.Dir)}
	isRaw := blocks[tag.BlockRawData] > 0 || blocks[tag.BlockContinuousData] > 0 || blocks[tag.BlockIASRawData] > 0
	if !isRaw {
		defer f.Close()
		if err := checkClosed(f); err != nil {
			return nil, err
		}
		rep.FIFType = fifType(f, blocks)
		rep.Blocks = map[string]int{}
		for k, n := range blocks {
			rep.Blocks[blockName(k)] = n
		}
		if blocks[tag.BlockMeasInfo] > 0 {
			info, _, err := fif.ReadInfo(f)
			if err != nil {
				// The info is a bonus here; say why it is missing.
				rep.Warnings = append(rep.Warnings, "measurement info not read: "+err.Error())
			} else {
				rep.setInfo(info)
			}
		}
		rep.fillEmpty()
		return rep, nil
	}
	f.Close()

	raw, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		// The file exists (checked by the caller): a split part it names
		// is missing. Show what is there, as MNE's on_split_missing='warn'.
		raw2, err2 := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true, IgnoreMissingSplit: true})
		if err2 == nil {
			rep.Warnings = append(rep.Warnings, err.Error())
			a.logger().Warn("split part missing; showing the parts present", "error", err)
			raw, err = raw2, nil
		}
	}
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	rep.Raw = true
	rep.FIFType = "raw"
	rep.setInfo(raw.Info)
	sf := raw.Info.SFreq
	nt, fs0, ls := raw.NTimes, raw.FirstSamp, raw.LastSamp()
	rep.NTimes, rep.FirstSamp, rep.LastSamp = &nt, &fs0, &ls
	rep.Duration = jf(float64(nt) / sf)
	fmtName := fif.FormatName(raw.Format)
	rep.Format = &fmtName
	rep.SplitParts = append([]string(nil), raw.Paths...)
	rep.MaxShield = raw.MaxShield
	if len(raw.Paths) > 1 {
		var total int64
		for _, p := range raw.Paths {
			if st, err := os.Stat(p); err == nil {
				total += st.Size()
			}
		}
		rep.SizeBytes = total
	}
	rep.fillEmpty()
	return rep, nil
}

// fillEmpty turns nil lists into empty ones so that JSON shows [] not null.
func (r *infoReport) fillEmpty() {
	if r.Channels == nil {
		r.Channels = []chanJSON{}
	}
	if r.Bads == nil {
		r.Bads = []string{}
	}
	if r.Projs == nil {
		r.Projs = []projJSON{}
	}
	if r.ProcHistory == nil {
		r.ProcHistory = []procJSON{}
	}
	if r.SplitParts == nil {
		r.SplitParts = []string{r.File}
	}
	if r.ChannelCounts == nil {
		r.ChannelCounts = map[string]int{}
	}
	if r.DigCounts == nil {
		r.DigCounts = map[string]int{}
	}
}

func (r *infoReport) setInfo(info *fif.Info) {
	r.info = info
	r.SFreq = jf(info.SFreq)
	r.Highpass = jf(info.Highpass)
	r.Lowpass = jf(info.Lowpass)
	r.LineFreq = jf(info.LineFreq)
	if info.HasMeasDate {
		s := isoTime(info.MeasDate)
		r.MeasDate = &s
	}
	r.NChannels = len(info.Chs)
	r.Channels = make([]chanJSON, len(info.Chs))
	for i, c := range info.Chs {
		cj := chanJSON{Name: c.Name, Kind: c.Kind, Type: chType(c), CoilType: c.CoilType, Unit: c.Unit, UnitMul: c.UnitMul,
			Cal: jfloat(c.Cal), Range: jfloat(c.Range), LogNo: c.LogNo, ScanNo: c.ScanNo, CoordFrame: c.CoordFrame}
		for k, v := range c.Loc {
			cj.Loc[k] = jfloat(v)
		}
		r.Channels[i] = cj
	}
	r.typeCounts = countTypes(info.Chs)
	r.ChannelCounts = map[string]int{}
	for _, tc := range r.typeCounts {
		r.ChannelCounts[tc.Type] = tc.Count
	}
	r.Bads = append([]string{}, info.Bads...)
	if t := info.DevHeadT; t != nil {
		var m [4][4]jfloat
		for i := range 4 {
			for j := range 4 {
				m[i][j] = jfloat(t.M[i][j])
			}
		}
		r.DevHeadT = &m
	}
	for _, p := range info.Projs {
		r.Projs = append(r.Projs, projJSON{Desc: p.Desc, Active: p.Active, Kind: p.Kind, NVec: p.NVec, NChannels: len(p.ColNames)})
	}
	r.NDig = len(info.Dig)
	r.DigCounts = map[string]int{}
	for _, d := range info.Dig {
		r.DigCounts[digKind(d.Kind)]++
	}
	r.procs = info.ProcHistory
	for _, p := range info.ProcHistory {
		pj := procJSON{Creator: p.Creator, Experimenter: p.Experimenter, Date: procDate(p.Date)}
		if s := p.MaxInfo.SSSInfo; s != nil {
			pj.SSS = &sssJSON{Job: s.Job, InOrder: s.InOrder, OutOrder: s.OutOrder, NChan: s.NChan,
				NComponents: len(s.Components), NFree: s.NFree, HPIGLimit: jfp(s.HPIGLimit), HPIDistLimit: jfp(s.HPIDistLimit)}
			if s.Frame != nil {
				name := frameName(*s.Frame)
				pj.SSS.Frame = &name
			}
			for _, v := range s.Origin {
				pj.SSS.Origin = append(pj.SSS.Origin, jfloat(v))
			}
		}
		if m := p.MaxInfo.MaxST; m != nil {
			pj.MaxST = &maxSTJSON{Job: m.Job, SubspCorr: jfp(m.SubspCorr), BufLen: jfp(m.BufLen)}
		}
		if c := p.MaxInfo.SSSCal; c != nil {
			n := len(c.CalChans) / 2
			if len(c.CalChansDims) > 0 {
				n = c.CalChansDims[0]
			}
			pj.FineCal = &n
		}
		if c := p.MaxInfo.SSSCTC; c != nil {
			s := c.Creator
			pj.CrossTalk = &s
		}
		r.ProcHistory = append(r.ProcHistory, pj)
	}
}

// procDate converts a FIF date (seconds, microseconds) to ISO 8601.
func procDate(d []int32) *string {
	if len(d) == 0 {
		return nil
	}
	us := int64(0)
	if len(d) > 1 {
		us = int64(d[1])
	}
	s := isoTime(time.Unix(int64(d[0]), us*1000))
	return &s
}

func digKind(k int32) string {
	switch k {
	case fif.PointCardinal:
		return "cardinal"
	case fif.PointHPI:
		return "hpi"
	case fif.PointEEG:
		return "eeg"
	case fif.PointExtra:
		return "extra"
	case fif.PointHead:
		return "head"
	}
	return fmt.Sprintf("kind%d", k)
}

func frameName(f int32) string {
	switch f {
	case fif.FrameUnknown:
		return "unknown"
	case fif.FrameDevice:
		return "meg"
	case fif.FrameIsotrak:
		return "isotrak"
	case fif.FrameHPI:
		return "hpi"
	case fif.FrameHead:
		return "head"
	case fif.FrameMRI:
		return "mri"
	case fif.FrameMRIVoxel:
		return "mri_voxel"
	case fif.FrameRAS:
		return "ras"
	case fif.FrameMNITal:
		return "mni_tal"
	case fif.FrameCTFDevice:
		return "ctf_meg"
	case fif.FrameCTFHead:
		return "ctf_head"
	}
	return fmt.Sprintf("frame%d", f)
}

// checkClosed reports a file that ends inside a block: a truncated file
// (or one whose writer was interrupted). Raw files are left to
// fif.OpenRaw, which reads what is there as MNE does.
func checkClosed(f *tree.File) error {
	type open struct {
		kind int64
		pos  int64
	}
	var stack []open
	for _, e := range f.Dir {
		switch e.Kind {
		case tag.BlockStart:
			k, err := f.Int(e)
			if err != nil {
				return err
			}
			stack = append(stack, open{k, e.Pos})
		case tag.BlockEnd:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) == 0 {
		return nil
	}
	b := stack[len(stack)-1]
	return &tree.Error{Path: f.Path, Offset: b.pos, Kind: tag.BlockStart,
		Err: fmt.Errorf("the file ends (at %d bytes) inside block %s started here, and %d enclosing block(s) are not closed: file truncated?",
			f.Size, blockName(int32(b.kind)), len(stack)-1)}
}

func countBlocks(n *tree.Node, m map[int32]int) {
	for _, c := range n.Children {
		m[c.Block]++
		countBlocks(c, m)
	}
}

var blockNames = map[int32]string{
	tag.BlockMeas: "meas", tag.BlockMeasInfo: "meas_info", tag.BlockRawData: "raw_data",
	tag.BlockProcessedData: "processed_data", tag.BlockEvoked: "evoked", tag.BlockAspect: "aspect",
	tag.BlockSubject: "subject", tag.BlockIsotrak: "isotrak", tag.BlockHPIMeas: "hpi_meas",
	tag.BlockHPIResult: "hpi_result", tag.BlockHPICoil: "hpi_coil", tag.BlockProject: "project",
	tag.BlockContinuousData: "continuous_data", tag.BlockChInfo: "ch_info", tag.BlockVoid: "void",
	tag.BlockEvents: "events", tag.BlockIndex: "index", tag.BlockDacqPars: "dacq_pars",
	tag.BlockRef: "ref", tag.BlockIASRawData: "ias_raw_data", tag.BlockIASAspect: "ias_aspect",
	tag.BlockHPISubsystem: "hpi_subsystem", tag.BlockDevice: "device", tag.BlockHelium: "helium",
	tag.BlockChannelInfo: "channel_info", tag.BlockMRI: "mri", tag.BlockSphere: "sphere",
	tag.BlockBEM: "bem", tag.BlockBEMSurf: "bem_surf", tag.BlockConductorModel: "conductor_model",
	tag.BlockProj: "proj", tag.BlockProjItem: "proj_item", tag.BlockMNE: "mne",
	tag.BlockMNESourceSpace: "mne_source_space", tag.BlockMNEForwardSolution: "mne_forward_solution",
	tag.BlockMNEParentMRIFile: "mne_parent_mri_file", tag.BlockMNEParentMeasFile: "mne_parent_meas_file",
	tag.BlockMNECov: "mne_cov", tag.BlockMNEInverseSolution: "mne_inverse_solution",
	tag.BlockMNENamedMatrix: "mne_named_matrix", tag.BlockMNEEnv: "mne_env",
	tag.BlockMNEBadChannels: "mne_bad_channels", tag.BlockMNEVertexMap: "mne_vertex_map",
	tag.BlockMNEEvents: "mne_events", tag.BlockMNEMorphMap: "mne_morph_map",
	tag.BlockMNESurfaceMap: "mne_surface_map", tag.BlockMNESurfaceMapGroup: "mne_surface_map_group",
	tag.BlockMNECTFComp: "mne_ctf_comp", tag.BlockMNECTFCompData: "mne_ctf_comp_data",
	tag.BlockMNEDerivations: "mne_derivations", tag.BlockMNEEpochs: "mne_epochs", tag.BlockMNEICA: "mne_ica",
	tag.BlockDataCorrection: "data_correction", tag.BlockChannelDecoupler: "channel_decoupler",
	tag.BlockSSSInfo: "sss_info", tag.BlockSSSCal: "sss_cal", tag.BlockSSSStInfo: "sss_st_info",
	tag.BlockSSSBases: "sss_bases", tag.BlockIAS: "ias", tag.BlockProcessingHistory: "processing_history",
	tag.BlockProcessingRecord: "processing_record", tag.BlockMNEAnnotations: "mne_annotations",
	tag.BlockMNEMetadata: "mne_metadata",
}

func blockName(k int32) string {
	if n, ok := blockNames[k]; ok {
		return n
	}
	return fmt.Sprintf("block_%d", k)
}

// fifType names what a FIF file that holds no raw data is, from its
// blocks (and, for files without blocks, its top-level tags).
func fifType(f *tree.File, blocks map[int32]int) string {
	switch {
	case blocks[tag.BlockMNEEpochs] > 0:
		return "epochs"
	case blocks[tag.BlockMNEInverseSolution] > 0:
		return "inverse operator"
	case blocks[tag.BlockMNEForwardSolution] > 0:
		return "forward solution"
	case blocks[tag.BlockEvoked] > 0:
		return "evoked"
	case blocks[tag.BlockMNECov] > 0:
		return "covariance"
	case blocks[tag.BlockBEM] > 0:
		return "BEM"
	case blocks[tag.BlockMNESourceSpace] > 0:
		return "source space"
	case blocks[tag.BlockMNEICA] > 0:
		return "ICA"
	case blocks[tag.BlockMNEEvents] > 0:
		return "events"
	case blocks[tag.BlockChannelDecoupler] > 0:
		return "cross-talk (channel decoupler)"
	case blocks[tag.BlockProj] > 0 && blocks[tag.BlockMeasInfo] == 0:
		return "SSP projectors"
	case blocks[tag.BlockMRI] > 0:
		return "MRI / transform"
	}
	for _, e := range f.Dir {
		if e.Kind == tag.CoordTrans {
			return "coordinate transform"
		}
	}
	if blocks[tag.BlockMeasInfo] > 0 {
		return "measurement info without raw data"
	}
	return "unknown (no block this tool recognizes)"
}

// writeText prints the human summary.
func (r *infoReport) writeText(w io.Writer, listChannels bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...)
	}
	size := humanBytes(r.SizeBytes)
	row("File", "%s (%s)", r.File, size)
	if !r.Raw {
		row("Type", "FIF, not a raw recording: %s", r.FIFType)
		src := "rebuilt by scanning the tags"
		if r.dirFromPtr {
			src = "from the file's directory"
		}
		row("Tags", "%d (%s)", r.nTags, src)
		names := make([]string, 0, len(r.Blocks))
		for n := range r.Blocks {
			names = append(names, n)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s x%d", n, r.Blocks[n])
		}
		row("Blocks", "%s", strings.Join(parts, ", "))
	} else {
		if len(r.SplitParts) > 1 {
			bases := make([]string, len(r.SplitParts))
			for i, p := range r.SplitParts {
				bases[i] = filepath.Base(p)
			}
			row("Split parts", "%d: %s", len(r.SplitParts), strings.Join(bases, ", "))
		} else {
			row("Split parts", "1 (not split)")
		}
		row("Format", "%s", formatLong(*r.Format))
		row("MaxShield", "%s", yesNo(r.MaxShield, "yes (IAS data: Maxwell filter before analysis)", "no"))
	}
	for _, wmsg := range r.Warnings {
		row("Warning", "%s", wmsg)
	}
	if r.info == nil {
		return tw.Flush()
	}
	info := r.info
	if r.MeasDate != nil {
		row("Measured", "%s", info.MeasDate.UTC().Format("2006-01-02 15:04:05.000000 UTC"))
	} else {
		row("Measured", "unknown (no measurement date)")
	}
	if r.Raw {
		sf := info.SFreq
		row("Sampling", "%.6g Hz", sf)
		row("Samples", "%d (%.3f s)", *r.NTimes, float64(*r.NTimes)/sf)
		row("First sample", "%d (%.3f s); last %d", *r.FirstSamp, float64(*r.FirstSamp)/sf, *r.LastSamp)
	} else if info.SFreq > 0 {
		row("Sampling", "%.6g Hz", info.SFreq)
	}
	row("Filter", "highpass %s, lowpass %s", hz(info.Highpass), hz(info.Lowpass))
	if !math.IsNaN(info.LineFreq) && info.LineFreq > 0 {
		row("Line frequency", "%g Hz", info.LineFreq)
	}
	parts := make([]string, len(r.typeCounts))
	for i, tc := range r.typeCounts {
		parts[i] = fmt.Sprintf("%d %s", tc.Count, tc.Type)
	}
	row("Channels", "%d: %s", len(info.Chs), strings.Join(parts, ", "))
	if len(info.Bads) == 0 {
		row("Bads", "none")
	} else {
		row("Bads", "%d: %s", len(info.Bads), strings.Join(info.Bads, ", "))
	}
	if t := info.DevHeadT; t != nil {
		row("Device->head", "translation (%.1f, %.1f, %.1f) mm, rotation %.1f deg",
			1000*t.M[0][3], 1000*t.M[1][3], 1000*t.M[2][3], rotationDeg(t.M))
		for i := range 3 {
			row("", "[% .6f % .6f % .6f % .6f]", t.M[i][0], t.M[i][1], t.M[i][2], t.M[i][3])
		}
	} else {
		row("Device->head", "none")
	}
	if len(info.Projs) == 0 {
		row("Projectors", "none")
	} else {
		for i, p := range info.Projs {
			k := ""
			if i == 0 {
				k = "Projectors"
			}
			row(k, "%s (%s, %d channels)", p.Desc, yesNo(p.Active, "active", "inactive"), len(p.ColNames))
		}
	}
	if len(info.Dig) == 0 {
		row("Digitization", "none")
	} else {
		var dp []string
		for _, k := range []string{"cardinal", "hpi", "eeg", "extra", "head"} {
			if n := r.DigCounts[k]; n > 0 {
				dp = append(dp, fmt.Sprintf("%d %s", n, k))
			}
		}
		for k, n := range r.DigCounts {
			if !slices.Contains([]string{"cardinal", "hpi", "eeg", "extra", "head"}, k) {
				dp = append(dp, fmt.Sprintf("%d %s", n, k))
			}
		}
		row("Digitization", "%d points: %s", len(info.Dig), strings.Join(dp, ", "))
	}
	if len(r.ProcHistory) == 0 {
		row("Processing", "none recorded")
	}
	for i, p := range r.ProcHistory {
		k := ""
		if i == 0 {
			k = "Processing"
		}
		row(k, "%d. %s", i+1, procText(p))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if listChannels && len(info.Chs) > 0 {
		fmt.Fprintln(w)
		ct := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(ct, "#\tname\ttype\tkind\tcoil\tunit\tcal\trange\tbad")
		for i, c := range info.Chs {
			fmt.Fprintf(ct, "%d\t%s\t%s\t%d\t%d\t%s\t%.6g\t%.6g\t%s\n", i, c.Name, chType(c), c.Kind, c.CoilType,
				unitName(c.Unit), c.Cal, c.Range, yesNo(info.IsBad(c.Name), "bad", ""))
		}
		return ct.Flush()
	}
	return nil
}

func procText(p procJSON) string {
	var sb strings.Builder
	if p.Creator != "" {
		sb.WriteString(p.Creator)
	} else {
		sb.WriteString("(no creator)")
	}
	if p.Date != nil {
		fmt.Fprintf(&sb, ", %s", *p.Date)
	}
	if s := p.SSS; s != nil {
		sb.WriteString("; SSS")
		if s.Frame != nil {
			fmt.Fprintf(&sb, " in %s frame", *s.Frame)
		}
		if len(s.Origin) == 3 {
			fmt.Fprintf(&sb, ", origin (%.1f, %.1f, %.1f) mm", 1000*float64(s.Origin[0]), 1000*float64(s.Origin[1]), 1000*float64(s.Origin[2]))
		}
		if s.InOrder != nil && s.OutOrder != nil {
			fmt.Fprintf(&sb, ", orders in %d / out %d", *s.InOrder, *s.OutOrder)
		}
		if s.NComponents > 0 {
			fmt.Fprintf(&sb, ", %d components", s.NComponents)
		}
		if s.NFree != nil {
			fmt.Fprintf(&sb, ", nfree %d", *s.NFree)
		}
	}
	if m := p.MaxST; m != nil {
		sb.WriteString("; tSSS")
		if m.BufLen != nil {
			fmt.Fprintf(&sb, " buffer %.4g s", float64(*m.BufLen))
		}
		if m.SubspCorr != nil {
			fmt.Fprintf(&sb, ", correlation limit %.4g", float64(*m.SubspCorr))
		}
	}
	if p.FineCal != nil {
		fmt.Fprintf(&sb, "; fine calibration (%d channels)", *p.FineCal)
	}
	if p.CrossTalk != nil {
		sb.WriteString("; cross-talk compensation")
	}
	return sb.String()
}

// rotationDeg is the angle of the rotation part of a rigid transform.
func rotationDeg(m [4][4]float64) float64 {
	c := (m[0][0] + m[1][1] + m[2][2] - 1) / 2
	c = math.Max(-1, math.Min(1, c))
	return math.Acos(c) * 180 / math.Pi
}

func formatLong(name string) string {
	switch name {
	case "short":
		return "short (16-bit integers, per-channel calibration)"
	case "int":
		return "int (32-bit integers)"
	case "single":
		return "single (32-bit float)"
	case "double":
		return "double (64-bit float)"
	}
	return name
}

func unitName(u int32) string {
	switch u {
	case fif.UnitT:
		return "T"
	case fif.UnitTM:
		return "T/m"
	case fif.UnitV:
		return "V"
	case fif.UnitAM:
		return "Am"
	case fif.UnitNone:
		return "-"
	case 0:
		return "none"
	}
	return strconv.Itoa(int(u))
}

func hz(v float64) string {
	if math.IsNaN(v) {
		return "unknown"
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + " Hz"
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
