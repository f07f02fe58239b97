package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"flipcert/experiments"
)

// readmeConfigs returns the flipcert configs shown in the README's yaml
// blocks (the Kubernetes manifest is not one).
func readmeConfigs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(data), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if !strings.Contains(block, "apiVersion:") {
			blocks = append(blocks, block)
		}
	}
	return blocks
}

// TestREADMEConfigReference keeps the README honest: its config reference
// parses, and every value it shows is the default a missing key takes.
func TestREADMEConfigReference(t *testing.T) {
	blocks := readmeConfigs(t)
	if len(blocks) < 2 {
		t.Fatalf("found %d config blocks in the README, want the reference and the csv example", len(blocks))
	}
	for i, b := range blocks {
		if _, err := experiments.ParseConfig([]byte(b), "README.md block", t.TempDir()); err != nil {
			t.Errorf("README config block %d: %v", i, err)
		}
	}
	ref, err := experiments.ParseConfig([]byte(blocks[0]), "README.md", ".")
	if err != nil {
		t.Fatal(err)
	}
	want := experiments.Default()
	want.Name = ref.Name
	want.Data.Train, want.Data.Test = ref.Data.Train, ref.Data.Test // csv-only keys, shown with example names
	got, _ := json.Marshal(ref)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("README reference differs from the defaults:\n README:   %s\n defaults: %s", got, wantJSON)
	}
}
