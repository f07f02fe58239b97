package results

import (
	"errors"
	"os"
	"path/filepath"
	"slices"

	"flipcert/tables"
)

// defaultHeatmapFlips are the flip budgets of the ablation heatmaps when the manifest names none.
var defaultHeatmapFlips = []int{0, 100, 500, 1000}

// manifest holds the fields of manifest.json that results relies on, and the raw bytes to show.
type manifest struct {
	name         string
	nTrain       int
	nTest        int
	classes      int
	maxFlips     int
	heatmapFlips []int
	stages       []tables.Stage
	raw          []byte
}

func readManifest(path string) (manifest, error) {
	m, raw, err := tables.ReadManifest(path)
	if err != nil {
		return manifest{}, err
	}
	hf := m.Report.HeatmapFlips
	if hf == nil {
		hf = defaultHeatmapFlips
	}
	return manifest{
		name:         m.Name,
		nTrain:       m.Data.NTrain,
		nTest:        m.Data.NTest,
		classes:      m.Data.Classes,
		maxFlips:     m.Report.MaxFlips,
		heatmapFlips: slices.Clone(hf),
		stages:       m.Stages,
		raw:          raw,
	}, nil
}

// readBaseline reads baseline.csv; a missing file means no baseline (nil rows, nil error).
func readBaseline(dir string) ([]tables.BaselineRow, error) {
	path := filepath.Join(dir, tables.BaselineFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return tables.ReadBaseline(path)
}
