package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
)

// app is what every subcommand shares: the global flags, the output
// streams and the logger. Subcommands get it when they are built.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	quiet          bool
	logLevel       string
	log            *slog.Logger
}

// subcommands are the constructors of megflow's subcommands, in the order
// of "megflow --help". A new subcommand is one file that calls
// addSubcommand from an init function.
var subcommands []func(*app) *cobra.Command

func addSubcommand(f func(*app) *cobra.Command) { subcommands = append(subcommands, f) }

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (bad input file, write error, ...)
	exitUsage = 2 // bad command line
)

// usageError marks errors in the command line itself (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const rootLong = `megflow turns Elekta/MEGIN Neuromag MEG recordings (FIF files) into cortical
source estimates, parcel time courses and representational dissimilarity
matrices (RDMs), reproducing the numbers MNE-Python computes for the same
steps.

Each stage of the flow is a subcommand that reads and writes files MNE-Python
can open (FIF for raw data, HDF5 for arrays), so a stage can be checked on
its own or mixed with MNE-Python. Data are in SI units (T, T/m, V, s).

Logging goes to stderr; --quiet keeps only errors and hides progress bars.`

// newRoot builds the command tree.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "megflow",
		Short:         "MEG (FIF) to source estimates and RDMs, reproducing MNE-Python",
		Long:          rootLong,
		Version:       version.Long(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// A bare "megflow" prints the help.
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setupLogging()
		},
	}
	root.SetVersionTemplate("megflow {{.Version}}\n")
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{err}
	})
	pf := root.PersistentFlags()
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print only errors: no progress bar, no informational log")
	pf.StringVar(&a.logLevel, "log-level", "info", "log verbosity on stderr: debug, info, warn or error")
	for _, f := range subcommands {
		root.AddCommand(f(a))
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	return root
}

// setupLogging builds the slog logger from --quiet and --log-level.
func (a *app) setupLogging() error {
	var lvl slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "info", "":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return usagef("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	if a.quiet && lvl < slog.LevelError {
		lvl = slog.LevelError
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{
		Level: lvl,
		ReplaceAttr: func(groups []string, at slog.Attr) slog.Attr {
			if len(groups) == 0 && at.Key == slog.TimeKey {
				return slog.Attr{} // one-shot command: the time adds noise
			}
			return at
		},
	}))
	return nil
}

// logger returns the logger, falling back to a discarding one when a
// command runs without the root's pre-run (tests of single functions).
func (a *app) logger() *slog.Logger {
	if a.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.log
}

// progressBar returns a progress bar on stderr when stderr is a terminal
// and --quiet is not set, else a no-op (nil) bar.
func (a *app) progressBar(label string, total int64, opt progress.Options) *progress.Bar {
	if a.quiet {
		return nil
	}
	f, ok := a.stderr.(*os.File)
	if !ok {
		return nil
	}
	return progress.New(f, label, total, opt)
}

// run executes megflow with args and returns the exit code. Errors are
// printed to stderr as one line "megflow: <message>"; panics are caught and
// reported the same way, with the stack trace only at --log-level debug.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "megflow: internal error: %v\n", p)
			if strings.EqualFold(a.logLevel, "debug") {
				stderr.Write(debug.Stack())
			} else {
				fmt.Fprintln(stderr, "megflow: this is a bug; please report it with the command line (rerun with --log-level debug for a stack trace)")
			}
			code = exitError
		}
	}()
	// A developer's hook: MEGFLOW_CPUPROFILE=FILE profiles any command.
	if path := os.Getenv("MEGFLOW_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	root := newRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	name := "megflow"
	if cmd != nil && cmd != root {
		name = cmd.CommandPath()
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return exitError
}

// exactArgs is cobra.ExactArgs with a usage error naming the operands.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		if len(args) < len(names) {
			return usagef("missing %s (expected %d argument(s): %s)", strings.Join(names[len(args):], " "), len(names), strings.Join(names, " "))
		}
		return usagef("too many arguments: %q (expected %d: %s)", args[len(names):], len(names), strings.Join(names, " "))
	}
}

// noArgs rejects operands, naming an unknown subcommand as such.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasParent() {
		if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
			return usagef("unknown command %q; did you mean %q?", args[0], sug[0])
		}
		return usagef("unknown command %q", args[0])
	}
	return usagef("unexpected argument %q", args[0])
}
