package experiments

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"flipcert/atomicfile"
)

// Manifest is manifest.json: everything needed to say how a result was made.
type Manifest struct {
	Name       string            `json:"name"`
	Seed       uint64            `json:"seed"`
	Config     Config            `json:"config"`
	Data       DataInfo          `json:"data"`
	Embedder   *EmbedderInfo     `json:"embedder,omitempty"`
	GoVersion  string            `json:"go_version"`
	Module     string            `json:"module_version"`
	Modules    map[string]string `json:"modules"`
	GitCommit  string            `json:"git_commit,omitempty"`
	GitDirty   bool              `json:"git_dirty,omitempty"`
	Started    time.Time         `json:"started"`
	Finished   time.Time         `json:"finished"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	Units      UnitCounts        `json:"units"`
	Stages     []Stage           `json:"stages"`
}

// DataInfo gives the sizes the results stage needs (the top axis of Figure 1
// is flips as a share of n_train).
type DataInfo struct {
	Source  string `json:"source"`
	NTrain  int    `json:"n_train"`
	NTest   int    `json:"n_test"`
	Classes []int  `json:"classes,omitempty"`
}

// UnitCounts says how much of the plan this invocation computed.
type UnitCounts struct {
	Total   int `json:"total"`
	Ran     int `json:"ran"`
	Resumed int `json:"resumed"`
}

func writeManifest(c Config, out string, in *inputs, start time.Time, stages []Stage, o Outcome, embedder *EmbedderInfo) error {
	m := Manifest{
		Name:       c.Name,
		Seed:       c.Seed,
		Config:     c,
		Data:       DataInfo{Source: c.Data.Source, NTrain: in.train.Len(), NTest: in.test.Len()},
		Embedder:   embedder,
		GoVersion:  runtime.Version(),
		Modules:    map[string]string{},
		Started:    start.UTC(),
		Finished:   time.Now().UTC(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Units:      UnitCounts{Total: len(Plan(c)), Ran: o.Ran, Resumed: o.Skipped},
		Stages:     stages,
	}
	if c.Data.Source == "mnist" {
		m.Data.Classes = c.Data.Classes
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		m.Module = info.Main.Version
		for _, d := range info.Deps {
			m.Modules[d.Path] = d.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				m.GitCommit = s.Value
			case "vcs.modified":
				m.GitDirty = s.Value == "true"
			}
		}
	}
	if m.GitCommit == "" {
		m.GitCommit, m.GitDirty = gitState()
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, "manifest.json"), append(data, '\n'))
}

// gitState asks git for the commit of the working directory, for builds
// without VCS stamping (go run, GOFLAGS=-buildvcs=false).
func gitState() (commit string, dirty bool) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(status))) > 0
}
