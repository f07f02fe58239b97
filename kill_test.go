package main

import (
	"bytes"
	"errors"
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

// TestBinaryRunsWithOnlyTheDataFolder plays a cluster node: `flipcert data`
// copies MNIST out of the module cache on the build machine, and the binary
// then runs where there is no Go toolchain and no module cache, finding the
// files through FLIPCERT_MNIST_DIR.
func TestBinaryRunsWithOnlyTheDataFolder(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "mnist")
	flipcert := func(env []string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(env, "FLIPCERT_MAIN=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), stderr.String()
	}
	if code, stderr := flipcert(os.Environ(), "data", "-out", data); code != 0 {
		t.Fatalf("flipcert data: exit %d: %s", code, stderr)
	}
	config := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(config, []byte(`name: node
data: {source: mnist, classes: [1, 7], test_limit: 20}
features: {kind: pca, dim: 5}
sampler: {enabled: false}
ridge_exact: {enabled: false}
report: {max_flips: 10}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "bin")
	os.Mkdir(empty, 0o755)
	node := []string{"PATH=" + empty, "HOME=" + dir, "GOPATH=" + filepath.Join(dir, "gopath"), "GOMODCACHE=" + filepath.Join(dir, "modcache")}
	args := []string{"-config", config, "-out", filepath.Join(dir, "out"), "-quiet", "-no-report"}
	code, stderr := flipcert(node, args...)
	if code != 2 || !strings.Contains(stderr, "FLIPCERT_MNIST_DIR") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("without the data folder: exit %d, stderr %q; want 2 and one line naming FLIPCERT_MNIST_DIR", code, stderr)
	}
	if code, stderr := flipcert(append(node, "FLIPCERT_MNIST_DIR="+data), args...); code != 0 {
		t.Fatalf("with FLIPCERT_MNIST_DIR: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "points.csv")); err != nil {
		t.Fatal(err)
	}
}
