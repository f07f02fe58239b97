package experiments_test

import (
	"fmt"
	"os"
	"path/filepath"

	"flipcert/experiments"
)

// A config names only what differs from the defaults; relative data paths
// resolve against the config file's folder, and a bad value is refused with
// its file and line.
func ExampleLoadConfig() {
	dir, err := os.MkdirTemp("", "flipcert-config")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mine.yaml")
	yaml := "name: mine\ndata: {source: csv, train: train.csv, test: test.csv}\nfeatures: {kind: none}\nridge: {lambda: [1, 100]}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		panic(err)
	}
	c, err := experiments.LoadConfig(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Name, c.Ridge.Lambda, c.Smoothing.Q, c.Analytic.Enabled)
	fmt.Println(c.Path(c.Data.Train) == filepath.Join(dir, "train.csv"))
	fmt.Println(len(experiments.Plan(c)), "work units")

	if err := os.WriteFile(path, []byte("name: mine\nsmoothing:\n  q: [0.1, 0.7]\n"), 0o644); err != nil {
		panic(err)
	}
	_, err = experiments.LoadConfig(path)
	fmt.Println(err != nil)
	// Output:
	// mine [1 100] [0.05 0.1 0.2 0.4] true
	// true
	// 26 work units
	// true
}
