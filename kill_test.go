package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the flipcert command: with
// FLIPCERT_MAIN=1 it runs main, so tests can start real processes and kill them.
func TestMain(m *testing.M) {
	if os.Getenv("FLIPCERT_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

const killConfig = `name: kill
seed: 5
data: {source: csv, train: train.csv, test: test.csv}
features: {kind: none, intercept: true}
ridge: {lambda: [0.5, 2, 8]}
smoothing: {q: [0.1, 0.25]}
sampler: {enabled: true, n0: 100, n: 200000, alpha: 0.001}
dpa: {enabled: true, k: [3]}
report: {max_flips: 30}
`

// flipcertProcess starts the command on config in out.
func flipcertProcess(t *testing.T, config, out string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-config", config, "-out", out, "-quiet", "-no-report")
	cmd.Env = append(os.Environ(), "FLIPCERT_MAIN=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func unitCount(out string) int {
	m, _ := filepath.Glob(filepath.Join(out, "units", "*.csv"))
	return len(m)
}

// TestKillAndResumeSubprocess kills real runs with SIGKILL after different
// numbers of finished units and checks that resuming gives the bytes of an
// uninterrupted run.
func TestKillAndResumeSubprocess(t *testing.T) {
	dir := t.TempDir()
	train := goodTrain + strings.Repeat(strings.TrimPrefix(goodTrain, "label,a,b\n"), 20)
	if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(train), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.csv"), []byte(goodTrain), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "kill.yaml")
	if err := os.WriteFile(config, []byte(killConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole")
	if err := flipcertProcess(t, config, whole).Wait(); err != nil {
		t.Fatalf("uninterrupted run: %v", err)
	}
	want := map[string][]byte{}
	for _, f := range []string{"points.csv", "certified_accuracy.csv"} {
		want[f], _ = os.ReadFile(filepath.Join(whole, f))
	}
	total := unitCount(whole)
	midRun := 0
	for _, killAt := range []int{0, 2, 7, total - 1} {
		out := filepath.Join(dir, fmt.Sprintf("killed-at-%d", killAt))
		cmd := flipcertProcess(t, config, out)
		deadline := time.Now().Add(60 * time.Second)
		for unitCount(out) < killAt && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if _, err := os.Stat(filepath.Join(out, "points.csv")); err != nil {
			midRun++
		}
		if err := flipcertProcess(t, config, out).Wait(); err != nil {
			t.Fatalf("resume after kill at %d units: %v", killAt, err)
		}
		for f, w := range want {
			got, _ := os.ReadFile(filepath.Join(out, f))
			if !bytes.Equal(got, w) {
				t.Errorf("kill at %d units: %s differs from the uninterrupted run", killAt, f)
			}
		}
	}
	if midRun < 2 {
		t.Errorf("only %d of the kills landed before the run finished: the test did not test resuming", midRun)
	}
}
