package experiments

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"flipcert/atomicfile"
	"flipcert/tables"
)

func writeManifest(c Config, out string, in *inputs, start time.Time, stages []tables.Stage, costs []tables.Cost, o Outcome, embedder *EmbedderInfo) error {
	// The manifest's config names data files by absolute path, so that the
	// folder alone says what was run (flipcert explain rebuilds from it).
	resolved := c
	for _, p := range []*string{&resolved.Data.Train, &resolved.Data.Test, &resolved.Data.MNISTDir, &resolved.Data.Path,
		&resolved.Data.XTrain, &resolved.Data.YTrain, &resolved.Data.XTest, &resolved.Data.YTest} {
		*p = c.Path(*p)
	}
	cfg, err := json.Marshal(resolved)
	if err != nil {
		return err
	}
	m := tables.Manifest{
		Name:        c.Name,
		Seed:        c.Seed,
		Config:      cfg,
		Data:        tables.DataInfo{Source: c.Data.Source, NTrain: in.train.Len(), NTest: in.test.Len(), Classes: in.classes},
		Report:      tables.ReportInfo{MaxFlips: c.Report.MaxFlips, HeatmapFlips: c.Report.HeatmapFlips},
		CodeVersion: codeVersion(),
		GoVersion:   runtime.Version(),
		Modules:     map[string]string{},
		Started:     start.UTC(),
		Finished:    time.Now().UTC(),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		Units:       tables.UnitCounts{Total: len(Plan(c)), Ran: o.Ran, Resumed: o.Skipped},
		Stages:      stages,
		Costs:       costs,
	}
	if embedder != nil {
		if m.Embedder, err = json.Marshal(embedder); err != nil {
			return err
		}
	}
	if c.Data.Source == "mnist" {
		m.Data.Digits = c.Data.Classes
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		m.Module = info.Main.Version
		for _, d := range info.Deps {
			m.Modules[d.Path] = d.Version
		}
	}
	return atomicfile.WriteBytes(filepath.Join(out, tables.ManifestFile), m.Encode())
}
