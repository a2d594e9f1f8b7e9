package maxwell

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/geom"
)

// Prepared is a Maxwell filter set up for one recording's measurement
// info: the sensors, the regularized SSS decomposition, its
// pseudo-inverse and the reconstruction basis. Apply it to data with
// Filter (streaming) or Apply (one block). A Prepared is safe for
// concurrent use.
type Prepared struct {
	opt        Options
	log        *slog.Logger
	sfreq      float64
	sens       *sensors
	origin     geom.Vec3       // in opt.Frame coordinates
	originHead geom.Vec3       // in the frame of the basis (head when dev_head_t exists)
	devHead    *geom.Transform // position of the decomposition (nil: device frame)
	recon      *geom.Transform // position of the reconstruction
	dec        *decomposition
	stSamples  int // tSSS buffer length in samples (0: no tSSS)

	// Application: MEG output = B (A data_good).
	A []float64 // nUseIn x nGood (pseudo-inverse of the kept internal moments, cross-talk folded in)
	B []float64 // nMEG x nUseIn (internal basis at the reconstruction position)
	// tSSS: time-domain subspaces of the internal part (Mt) and of the
	// residual (Pt) of the (cross-talk corrected) good channels, as
	// C^-1 M^T and C^-1 P^T with C the magnetometer scaling.
	K      []float64 // nGood x nGood cross-talk of the good channels (nil: none)
	Mt, Pt []float64
	cs     []float64 // coil scale of the good channels
	// Factored forms Mt = Fin Gin and Pt = Fres Gres (F nGood x r, G
	// r x nGood) with r the ranks (kept internal moments; nGood minus kept
	// moments), for SVDs of r-row matrices instead of nGood-row ones.
	fin, gin, fres, gres []float64
	rin, rres            int

	goodRows      []int // channel indices (in the info) of the good MEG channels
	megContiguous bool  // the MEG channels are consecutive in the info

	// A and B packed for the micro-kernel (see fused.go), made on first use.
	packOnce         sync.Once
	packedA, packedB []float64

	outInfo *fif.Info
	summary Summary
}

// Summary describes a prepared filter (what megflow maxwell --json
// reports, together with the tSSS windows).
type Summary struct {
	Frame       string      `json:"frame"`
	Origin      [3]float64  `json:"origin"`      // metres, in Frame
	OriginHead  [3]float64  `json:"origin_head"` // metres, frame of the basis
	IntOrder    int         `json:"int_order"`
	ExtOrder    int         `json:"ext_order"`
	Regularize  string      `json:"regularize"`
	NIn         int         `json:"n_in"`
	NOut        int         `json:"n_out"`
	NInKept     int         `json:"n_in_kept"`
	NOutKept    int         `json:"n_out_kept"`
	NFree       int         `json:"nfree"`
	Components  []int32     `json:"components"` // 1 = moment kept (internal, then external)
	Condition   float64     `json:"condition_number"`
	NGood       int         `json:"n_good_channels"`
	Grads       int         `json:"n_grad"`
	Mags        int         `json:"n_mag"`
	Bads        []string    `json:"bads_reconstructed"`
	FineCal     string      `json:"calibration,omitempty"`
	CrossTalk   string      `json:"cross_talk,omitempty"`
	STDuration  float64     `json:"st_duration,omitempty"` // seconds (buffer length in samples / sfreq)
	STCorr      float64     `json:"st_correlation,omitempty"`
	Destination *[3]float64 `json:"destination_translation,omitempty"`
}

// Prepare sets up Maxwell filtering of data described by info with the
// given options (MNE's maxwell_filter up to the data loop). It fails for
// data already Maxwell filtered, for the head frame without a
// device-to-head transform, for too few good channels for the orders,
// and for calibration files that do not match the channels.
func Prepare(info *fif.Info, opt Options) (*Prepared, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	p := &Prepared{opt: opt, log: opt.log(), sfreq: info.SFreq}
	if !(info.SFreq > 0) {
		return nil, fmt.Errorf("maxwell: sampling frequency %g is not positive", info.SFreq)
	}
	if len(info.Projs) > 0 {
		all := true
		for _, pr := range info.Projs {
			all = all && pr.Active
		}
		if all {
			return nil, fmt.Errorf("maxwell: projectors have been applied to the data; Maxwell filtering needs data without projection")
		}
	}
	if err := checkHistory(info, &opt); err != nil {
		return nil, err
	}
	if opt.Frame == FrameHead && info.DevHeadT == nil {
		return nil, fmt.Errorf("maxwell: %w", ErrNoDevHeadT)
	}
	if info.DevHeadT != nil {
		t := geom.Transform(info.DevHeadT.M)
		if info.DevHeadT.From == fif.FrameHead && info.DevHeadT.To == fif.FrameDevice {
			inv, ok := t.Inverse()
			if !ok {
				return nil, fmt.Errorf("maxwell: device-to-head transform is singular")
			}
			t = inv
		}
		p.devHead = &t
	}
	sens, err := newSensors(info, &opt)
	if err != nil {
		return nil, err
	}
	p.sens = sens
	if sens.cal != nil {
		p.log.Info(fmt.Sprintf("Using fine calibration %s", opt.Calibration.Name))
		p.log.Info(fmt.Sprintf("Adjusted coil orientations by (mean ± sd): %.1f° ± %.1f° (max: %.1f°)", sens.cal.shift[0], sens.cal.shift[1], sens.cal.shift[2]))
		if len(sens.cal.unused) > 0 {
			p.log.Warn("fine calibration channels not in the data", "channels", strings.Join(sens.cal.unused, ","))
		}
	}
	if err := p.setOrigin(info); err != nil {
		return nil, err
	}
	p.recon = p.devHead
	if opt.Destination != nil {
		d := *opt.Destination
		p.recon = &d
		diff := p.devHead.Translation().Sub(d.Translation()).Scale(1000)
		if dist := diff.Norm(); dist > 25 {
			p.log.Warn(fmt.Sprintf("Head position change is over 25 mm (%.1f, %.1f, %.1f) = %.1f mm", diff[0], diff[1], diff[2], dist))
		}
	}
	if opt.STDuration > 0 {
		p.stSamples = int(math.RoundToEven(opt.STDuration * info.SFreq))
		if p.stSamples < 1 {
			return nil, fmt.Errorf("maxwell: st_duration %g s is less than one sample at %g Hz", opt.STDuration, info.SFreq)
		}
	}
	if len(sens.bad) > 0 {
		names := make([]string, len(sens.bad))
		for i, k := range sens.bad {
			names[i] = sens.names[k]
		}
		p.log.Info("Bad MEG channels being reconstructed: " + strings.Join(names, ", "))
	}
	p.log.Info(fmt.Sprintf("Processing %d gradiometers and %d magnetometers", len(sens.grad), len(sens.mag)))

	dec, err := p.decompose(p.devHead)
	if err != nil {
		return nil, err
	}
	p.dec = dec
	if opt.RegularizeIn || len(dec.reg)-dec.nUseIn != dec.nOut {
		p.log.Info(fmt.Sprintf("Using %d/%d harmonic components (%d/%d in, %d/%d out)",
			len(dec.reg), dec.nIn+dec.nOut, dec.nUseIn, dec.nIn, len(dec.reg)-dec.nUseIn, dec.nOut))
	}
	if err := p.buildOperators(); err != nil {
		return nil, err
	}
	p.outInfo = p.outputInfo()
	p.summary = p.makeSummary()
	return p, nil
}

// checkHistory refuses data whose processing history already holds the
// requested steps (MNE's _check_info).
func checkHistory(info *fif.Info, opt *Options) error {
	for _, rec := range info.ProcHistory {
		mi := rec.MaxInfo
		switch {
		case mi.SSSInfo != nil:
			return fmt.Errorf("maxwell: SSS step has already been applied (processing record by %q), cannot reapply: %w", rec.Creator, ErrAlreadyProcessed)
		case opt.STDuration > 0 && mi.MaxST != nil:
			return fmt.Errorf("maxwell: tSSS step has already been applied, cannot reapply: %w", ErrAlreadyProcessed)
		case opt.Calibration != nil && mi.SSSCal != nil:
			return fmt.Errorf("maxwell: fine calibration step has already been applied, cannot reapply: %w", ErrAlreadyProcessed)
		case opt.CrossTalk != nil && mi.SSSCTC != nil:
			return fmt.Errorf("maxwell: cross-talk cancellation step has already been applied, cannot reapply: %w", ErrAlreadyProcessed)
		}
	}
	return nil
}

// setOrigin resolves the origin ('auto' or given) in the frame of the
// options and in the frame of the basis.
func (p *Prepared) setOrigin(info *fif.Info) error {
	switch {
	case p.opt.Origin != nil:
		p.origin = *p.opt.Origin
	case p.opt.Frame == FrameHead:
		c, r, err := HeadSphere(info)
		if err != nil {
			return err
		}
		p.log.Info(fmt.Sprintf("Automatic origin fit: head of radius %.1f mm", r*1000))
		p.origin = c
	default:
		p.origin = geom.Vec3{}
	}
	p.originHead = p.origin
	if p.opt.Frame == FrameMEG && p.devHead != nil {
		p.originHead = p.devHead.Apply(p.origin)
	}
	p.log.Info(fmt.Sprintf("Using origin %.1f, %.1f, %.1f mm in the %s frame", p.origin[0]*1000, p.origin[1]*1000, p.origin[2]*1000, p.opt.Frame))
	return nil
}

// HeadSphere fits a sphere to the head digitization of info as MNE's
// fit_sphere_to_headshape(info, dig_kinds='auto'): the extra head-shape
// points (or, when there are none, extra and EEG points), excluding low
// frontal points; it returns the centre (head frame, metres) and radius.
func HeadSphere(info *fif.Info) (geom.Vec3, float64, error) {
	if info.Dig == nil {
		return geom.Vec3{}, 0, fmt.Errorf("maxwell: cannot fit a sphere to the head shape: the recording has no digitization (give an origin)")
	}
	pick := func(kinds ...int32) ([]geom.Vec3, error) {
		var pts []geom.Vec3
		for _, d := range info.Dig {
			if slices.Contains(kinds, d.Kind) {
				if d.CoordFrame != fif.FrameHead {
					return nil, fmt.Errorf("maxwell: digitization points of kind %d are not in head coordinates", d.Kind)
				}
				pts = append(pts, geom.Vec3(d.R))
			}
		}
		return pts, nil
	}
	pts, err := pick(fif.PointExtra)
	if err != nil {
		return geom.Vec3{}, 0, err
	}
	if len(pts) == 0 {
		if pts, err = pick(fif.PointExtra, fif.PointEEG); err != nil {
			return geom.Vec3{}, 0, err
		}
	}
	if len(pts) == 0 {
		return geom.Vec3{}, 0, fmt.Errorf("maxwell: no head-shape (extra) or EEG digitization points to fit a sphere to (give an origin)")
	}
	pts = geom.ExcludeFrontal(pts)
	if len(pts) < 4 {
		return geom.Vec3{}, 0, fmt.Errorf("maxwell: only %d head digitization points for the sphere fit, at least 4 required (give an origin)", len(pts))
	}
	c, r, err := geom.FitSphere(pts)
	if err != nil {
		return geom.Vec3{}, 0, fmt.Errorf("maxwell: %w", err)
	}
	return c, r, nil
}

// buildOperators forms the matrices applied to the data.
func (p *Prepared) buildOperators() error {
	s, d := p.sens, p.dec
	nGood, nMEG, nk := len(s.good), len(s.meg), len(d.reg)
	p.goodRows = make([]int, nGood)
	for r, k := range s.good {
		p.goodRows[r] = s.meg[k]
	}
	p.megContiguous = true
	for k, ch := range s.meg {
		p.megContiguous = p.megContiguous && ch == s.meg[0]+k
	}
	if p.opt.CrossTalk != nil {
		ctc, err := p.opt.CrossTalk.matrixFor(s.names)
		if err != nil {
			return err
		}
		p.K = make([]float64, nGood*nGood)
		for a, i := range s.good {
			for b, j := range s.good {
				p.K[a*nGood+b] = ctc[i*nMEG+j]
			}
		}
	}
	// A = pS_in K.
	p.A = make([]float64, d.nUseIn*nGood)
	if p.K == nil {
		copy(p.A, d.pS[:d.nUseIn*nGood])
	} else {
		matMul(p.A, d.pS[:d.nUseIn*nGood], p.K, d.nUseIn, nGood, nGood)
	}
	// B = internal basis at the reconstruction position, kept moments.
	nIn := d.nIn
	Sr := sssBasis(p.originHead, p.opt.IntOrder, 0, s.pts.transformed(p.recon))
	p.B = make([]float64, nMEG*d.nUseIn)
	for k := range nMEG {
		for c := range d.nUseIn {
			p.B[k*d.nUseIn+c] = Sr[k*nIn+d.reg[c]]
		}
	}
	if p.stSamples > 0 {
		p.cs = make([]float64, nGood)
		for r, k := range s.good {
			p.cs[r] = s.coilScale[k]
		}
		M := make([]float64, nGood*nGood)
		SpS := make([]float64, nGood*nGood)
		// M = S_in pS_in, S pS over all kept moments.
		matMulK(M, d.S, d.pS, nGood, nk, nGood, d.nUseIn)
		matMul(SpS, d.S, d.pS, nGood, nk, nGood)
		p.Mt = make([]float64, nGood*nGood)
		p.Pt = make([]float64, nGood*nGood)
		for i := range nGood {
			for j := range nGood {
				pij := -SpS[j*nGood+i]
				if i == j {
					pij++
				}
				p.Mt[i*nGood+j] = M[j*nGood+i] / p.cs[i]
				p.Pt[i*nGood+j] = pij / p.cs[i]
			}
		}
		p.factorSubspaces()
	}
	return nil
}

// factorSubspaces factors Mt and Pt through their ranks: Mt =
// (C^-1 pS_in^T) S_in^T, and Pt = C^-1 P^T = (C^-1 N)(N^T P^T) with N an
// orthonormal basis of the null space of S^T, which holds the columns of
// P^T = I - pS^T S^T.
func (p *Prepared) factorSubspaces() {
	d := p.dec
	nGood, nk, nUse := len(p.sens.good), len(d.reg), d.nUseIn
	p.rin = nUse
	p.fin = make([]float64, nGood*nUse)
	p.gin = make([]float64, nUse*nGood)
	for i := range nGood {
		for c := range nUse {
			p.fin[i*nUse+c] = d.pS[c*nGood+i] / p.cs[i]
			p.gin[c*nGood+i] = d.S[i*nk+c]
		}
	}
	var qr mat.QR
	qr.Factorize(mat.NewDense(nGood, nk, d.S))
	var Q mat.Dense
	qr.QTo(&Q)
	nr := nGood - nk
	p.rres = nr
	N := mat.DenseCopyOf(Q.Slice(0, nGood, nk, nGood))
	// P N = N - S (pS N).
	var pSN, PN mat.Dense
	pSN.Mul(mat.NewDense(nk, nGood, d.pS), N)
	PN.Mul(mat.NewDense(nGood, nk, d.S), &pSN)
	PN.Sub(N, &PN)
	p.fres = make([]float64, nGood*nr)
	p.gres = make([]float64, nr*nGood)
	for i := range nGood {
		for c := range nr {
			p.fres[i*nr+c] = N.At(i, c) / p.cs[i]
			p.gres[c*nGood+i] = PN.At(i, c)
		}
	}
}

// matMul computes C = A B for row-major A (m x k) and B (k x n).
func matMul(C, A, B []float64, m, k, n int) {
	matMulK(C, A, B, m, k, n, k)
}

// matMulK computes C = A[:, :kk] B[:kk, :] for row-major A (m x k) and
// B (k x n).
func matMulK(C, A, B []float64, m, k, n, kk int) {
	a := mat.NewDense(m, k, A).Slice(0, m, 0, kk)
	b := mat.NewDense(k, n, B).Slice(0, kk, 0, n)
	mat.NewDense(m, n, C).Mul(a, b)
}

// outputInfo is the measurement info of the filtered data (MNE's
// _update_sss_info): MEG projectors removed, MEG bads cleared (they are
// reconstructed), the reconstruction position as dev_head_t, and a
// processing record with the SSS parameters in front of the history.
func (p *Prepared) outputInfo() *fif.Info {
	s, d := p.sens, p.dec
	out := cloneInfo(s.info)
	megNames := make(map[string]bool, len(s.names))
	for _, n := range s.names {
		megNames[n] = true
	}
	out.Projs = nil
	for _, pr := range s.info.Projs {
		if !slices.ContainsFunc(pr.ColNames, func(n string) bool { return megNames[n] }) {
			out.Projs = append(out.Projs, pr)
		}
	}
	out.Bads = nil
	for _, b := range s.info.Bads {
		if !megNames[b] {
			out.Bads = append(out.Bads, b)
		}
	}
	if p.recon != nil {
		out.DevHeadT = &fif.Transform{From: fif.FrameDevice, To: fif.FrameHead, M: [4][4]float64(*p.recon)}
	} else {
		out.DevHeadT = nil
	}
	comps := p.components()
	nfree := int32(0)
	for _, c := range comps[:d.nIn] {
		nfree += c
	}
	i32 := func(v int) *int32 { x := int32(v); return &x }
	origin := make([]float64, 3)
	for i, v := range p.origin {
		origin[i] = float64(float32(v))
	}
	sss := &fif.SSSInfo{
		Job:        i32(2), // FIFFV_SSS_JOB_FILTER
		Frame:      i32(int(p.opt.Frame.fiffFrame())),
		Origin:     origin,
		InOrder:    i32(p.opt.IntOrder),
		OutOrder:   i32(p.opt.ExtOrder),
		NChan:      i32(len(s.good)),
		Components: comps,
		NFree:      &nfree,
	}
	mi := fif.MaxInfo{SSSInfo: sss}
	if p.stSamples > 0 {
		corr := p.opt.STCorrelation
		buf := float64(p.stSamples) / p.sfreq
		mi.MaxST = &fif.MaxST{Job: i32(10), SubspCorr: &corr, BufLen: &buf} // FIFFV_SSS_JOB_ST
	}
	if p.opt.CrossTalk != nil {
		r := p.opt.CrossTalk.Record
		mi.SSSCTC = &r
	}
	if s.cal != nil {
		r := s.cal.record
		mi.SSSCal = &r
	}
	id := tree.NewID()
	now := time.Now()
	rec := fif.ProcRecord{
		BlockID: &id,
		Date:    []int32{int32(now.Unix()), int32(now.Nanosecond() / 1000)},
		Creator: p.opt.Creator,
		MaxInfo: mi,
	}
	out.ProcHistory = append([]fif.ProcRecord{rec}, out.ProcHistory...)
	return out
}

// components returns 1 for each kept moment (internal, then external).
func (p *Prepared) components() []int32 {
	c := make([]int32, p.dec.nIn+p.dec.nOut)
	for _, j := range p.dec.reg {
		c[j] = 1
	}
	return c
}

func (p *Prepared) makeSummary() Summary {
	s, d := p.sens, p.dec
	sum := Summary{
		Frame:      p.opt.Frame.String(),
		Origin:     p.origin,
		OriginHead: p.originHead,
		IntOrder:   p.opt.IntOrder,
		ExtOrder:   p.opt.ExtOrder,
		Regularize: "none",
		NIn:        d.nIn,
		NOut:       d.nOut,
		NInKept:    d.nUseIn,
		NOutKept:   len(d.reg) - d.nUseIn,
		NFree:      d.nUseIn,
		Components: p.components(),
		Condition:  d.cond,
		NGood:      len(s.good),
		Grads:      len(s.grad),
		Mags:       len(s.mag),
		Bads:       []string{},
	}
	if p.opt.RegularizeIn {
		sum.Regularize = "in"
	}
	for _, k := range s.bad {
		sum.Bads = append(sum.Bads, s.names[k])
	}
	if p.opt.Calibration != nil {
		sum.FineCal = p.opt.Calibration.Name
	}
	if p.opt.CrossTalk != nil {
		sum.CrossTalk = p.opt.CrossTalk.Name
	}
	if p.stSamples > 0 {
		sum.STDuration = float64(p.stSamples) / p.sfreq
		sum.STCorr = p.opt.STCorrelation
	}
	if p.opt.Destination != nil {
		t := p.opt.Destination.Translation()
		sum.Destination = (*[3]float64)(&t)
	}
	return sum
}

// Summary returns the parameters and component counts of the filter.
func (p *Prepared) Summary() Summary { return p.summary }

// OutputInfo returns the measurement info of the filtered data.
func (p *Prepared) OutputInfo() *fif.Info { return p.outInfo }
