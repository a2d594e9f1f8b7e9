package pipeline

import (
	"fmt"
	"path/filepath"

	"github.com/megflow/megflow/atlas"
)

// The BIDS layout of inputs (ds000117) and the names of outputs. Outputs
// follow BIDS-derivatives style names in <deriv_root>/sub-XX/.

// RawPath is a run's recording:
// <bids_root>/sub-XX/ses-S/meg/sub-XX_ses-S_task-T_run-RR_meg.fif (no ses
// level when session is empty).
func (c *Config) RawPath(sub, run string) string {
	dir := filepath.Join(c.BIDSRoot, "sub-"+sub)
	name := "sub-" + sub
	if c.Session != "" {
		dir = filepath.Join(dir, "ses-"+c.Session)
		name += "_ses-" + c.Session
	}
	return filepath.Join(dir, "meg", fmt.Sprintf("%s_task-%s_run-%s_meg.fif", name, c.Task, run))
}

// TransPath is the head<->MRI transform of a subject.
func (c *Config) TransPath(sub string) string {
	return expandPath(c.Trans, map[string]string{
		"subject": sub, "fs_subject": c.FSSubject(sub), "bids_root": c.BIDSRoot, "subjects_dir": c.SubjectsDir,
	})
}

// SubjectDir is the output folder of a subject.
func (c *Config) SubjectDir(sub string) string { return filepath.Join(c.DerivRoot, "sub-"+sub) }

func (c *Config) prefix(sub string) string {
	return filepath.Join(c.SubjectDir(sub), fmt.Sprintf("sub-%s_task-%s", sub, c.Task))
}

func (c *Config) runPrefix(sub, run string) string {
	return filepath.Join(c.SubjectDir(sub), "meg", fmt.Sprintf("sub-%s_task-%s_run-%s", sub, c.Task, run))
}

// Output paths.
func (c *Config) sssPath(sub, run string) string { return c.runPrefix(sub, run) + "_proc-sss_meg.fif" }
func (c *Config) filtPath(sub, run string) string {
	return c.runPrefix(sub, run) + "_proc-filt_meg.fif"
}
func (c *Config) eventsPath(sub, run string) string { return c.runPrefix(sub, run) + "_eve.fif" }
func (c *Config) epochsPath(sub string) string      { return c.prefix(sub) + "_epo.fif" }
func (c *Config) covPath(sub string) string         { return c.prefix(sub) + "_cov.fif" }
func (c *Config) fwdPath(sub string) string         { return c.prefix(sub) + "_fwd.fif" }
func (c *Config) invPath(sub string) string         { return c.prefix(sub) + "_inv.fif" }

// ParcelsPath, WindowRDMPath and TimeRDMPath are the subject's main results.
func (c *Config) ParcelsPath(sub string) string   { return c.prefix(sub) + "_desc-parcels_tc.h5" }
func (c *Config) WindowRDMPath(sub string) string { return c.prefix(sub) + "_desc-window_rdm.h5" }
func (c *Config) TimeRDMPath(sub string) string   { return c.prefix(sub) + "_desc-time_rdm.h5" }

// ReportPath is the subject's HTML report.
func (c *Config) ReportPath(sub string) string {
	return filepath.Join(c.SubjectDir(sub), fmt.Sprintf("sub-%s_report.html", sub))
}

func (c *Config) srcPath(sub string) string {
	return filepath.Join(c.SubjectDir(sub), fmt.Sprintf("sub-%s_%s_src.fif", sub, c.SourceSpace.Spacing))
}

func (c *Config) bemPath(sub string) string {
	return filepath.Join(c.SubjectDir(sub), fmt.Sprintf("sub-%s_ico%d_bem-sol.fif", sub, c.BEM.Ico))
}

// labelDir is where a parcellation built by the pipeline goes (the
// FreeSurfer subjects dir may be read-only and shared).
func (c *Config) labelDir(sub string) string { return filepath.Join(c.SubjectDir(sub), "label") }

// parcAnnotPath is the annotation of hemisphere h of the configured
// parcellation when it already exists in the subjects dir, else "".
func (c *Config) parcAnnotPath(sub string, h int) string {
	p := atlas.AnnotPath(c.SubjectsDir, c.FSSubject(sub), atlas.Hemis[h], c.Parcellation.Parc)
	if exists(p) {
		return p
	}
	return ""
}

// builtAnnotPath is where the pipeline writes a parcellation it builds.
func (c *Config) builtAnnotPath(sub string, h int) string {
	return filepath.Join(c.labelDir(sub), atlas.Hemis[h]+"."+c.Parcellation.Parc+".annot")
}
