package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/atlas"
)

func init() { addSubcommand(newLabelsCmd) }

const labelsLong = `List the labels of a parcellation as MNE's read_labels_from_annot gives
them: "<name>-<hemi>", sorted by name, with the number of surface vertices
and the color. With --stc (a source-estimate HDF5 file) or --src (the
sources in use of a -src.fif, -fwd.fif or -inv.fif) each label also gets
its number of sources, and --json adds label_of_source (the label index of
every source, -1 for none, lh sources then rh).`

const labelsExample = `  megflow labels --subject fsaverage5 --subjects-dir subjects --parc aparc
  megflow labels --subject fsaverage5 --subjects-dir subjects --parc aparc_sub --stc sub-01-stc.h5 --json
  megflow labels --subject fsaverage5 --subjects-dir subjects --parc aparc_sub --src sub-01-fwd.fif --json`

type labelsOpts struct {
	subject, subjectsDir, parc, stc, src string
	asJSON                               bool
}

func newLabelsCmd(a *app) *cobra.Command {
	var o labelsOpts
	cmd := &cobra.Command{
		Use:     "labels",
		Short:   "List the labels of a parcellation (and their sources)",
		Long:    labelsLong,
		Example: labelsExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.labels(o) },
	}
	f := cmd.Flags()
	addAtlasFlags(f, &o.subject, &o.subjectsDir, &o.parc)
	f.StringVar(&o.stc, "stc", "", "source-estimate HDF5 file whose vertices_lh/vertices_rh define the sources")
	f.StringVar(&o.src, "src", "", "FIF source space (-src.fif, -fwd.fif or -inv.fif) whose sources in use define the sources")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

type labelJSON struct {
	Name       string     `json:"name"`
	Hemi       string     `json:"hemi"`
	NVertices  int        `json:"n_vertices"`
	NSources   *int       `json:"n_sources,omitempty"`
	Color      [4]float64 `json:"color"`
	Vertices   []int      `json:"vertices"`
	SourceRows []int      `json:"-"`
}

func (a *app) labels(o labelsOpts) error {
	if o.subject == "" || o.subjectsDir == "" {
		return usagef("--subject and --subjects-dir are required")
	}
	if o.src != "" && o.stc != "" {
		return usagef("give --stc or --src, not both")
	}
	labels, err := atlas.ReadLabels(o.subjectsDir, o.subject, o.parc)
	if err != nil {
		return err
	}
	var lofs []int
	if o.stc != "" || o.src != "" {
		var vertno [2][]int
		if o.stc != "" {
			vertno, err = readStcVertices(o.stc)
		} else {
			vertno, err = fifVertno(o.src)
		}
		if err != nil {
			return err
		}
		lofs = atlas.LabelOfSource(labels, vertno)
	}
	out := make([]labelJSON, len(labels))
	for i, l := range labels {
		out[i] = labelJSON{Name: l.Name, Hemi: l.Hemi, NVertices: len(l.Vertices), Color: l.Color, Vertices: l.Vertices}
		if lofs != nil {
			n := 0
			out[i].NSources = &n
		}
	}
	for _, l := range lofs {
		if l >= 0 {
			*out[l].NSources++
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		m := map[string]any{"subject": o.subject, "parc": o.parc, "labels": out}
		if lofs != nil {
			m["label_of_source"] = lofs
		}
		return enc.Encode(m)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "index\tname\themi\tvertices\tsources\tcolor")
	for i, l := range out {
		ns := "-"
		if l.NSources != nil {
			ns = fmt.Sprint(*l.NSources)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t#%02x%02x%02x\n", i, l.Name, l.Hemi, l.NVertices, ns,
			int(l.Color[0]*255+0.5), int(l.Color[1]*255+0.5), int(l.Color[2]*255+0.5))
	}
	return tw.Flush()
}
