package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/pipeline"
)

func init() { addSubcommand(newConfigCmd) }

const configExample = `  # the effective configuration (defaults + file + environment + --set)
  megflow config show --config configs/wakeman_henson.yaml --set bids_root=/data/ds000117

  # check keys, values and that every input file exists, without running
  megflow config check --config configs/demo.yaml --set bids_root=/tmp/demo

  # every valid key
  megflow config keys`

func newConfigCmd(a *app) *cobra.Command {
	var path string
	var sets []string
	cmd := &cobra.Command{
		Use:     "config show|check|keys",
		Short:   "Show or check a study configuration",
		Example: configExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&path, "config", "", "study configuration (YAML)")
	pf.StringArrayVar(&sets, "set", nil, "override a config key: key=value; repeatable")
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(path, sets)
			if err != nil {
				return err
			}
			y, err := cfg.YAML()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# config %s, sha256 %s\n%s", cfg.Path, cfg.Hash, y)
			return nil
		},
	}, &cobra.Command{
		Use:   "check",
		Short: "Check keys, values and input files without running anything",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(path, sets)
			if err != nil {
				return err
			}
			if err := cfg.InputsError(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "config %s: ok (%d subject(s), %d run(s) each)\n", cfg.Path, len(cfg.Subjects), len(cfg.Runs))
			return nil
		},
	}, &cobra.Command{
		Use:   "keys",
		Short: "List every configuration key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(a.stdout, strings.Join(pipeline.ValidKeys(), "\n"))
			return nil
		},
	})
	return cmd
}
