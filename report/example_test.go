package report_test

import (
	"fmt"
	"os"
	"path/filepath"

	"flipcert/report"
)

// A directory with three test points of one smoothed setting: one certified up to 3 flips, one
// correct at radius 0, one abstention. Render derives the certified accuracy and summary tables and
// writes them, the figures and the report beside it.
func ExampleRender() {
	dir, err := os.MkdirTemp("", "report-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"manifest.json": `{"name": "tiny", "data": {"n_train": 100, "n_test": 3, "classes": 2},
			"report": {"max_flips": 2}}`,
		"points.csv": "method,q,lambda,index,label,prediction,log_eps,radius,radius_kl,correct\n" +
			"analytic,0.1,1000,0,1,1,-9.5,3,1,1\n" +
			"analytic,0.1,1000,1,0,0,-2.1,0,0,1\n" +
			"analytic,0.1,1000,2,1,-1,,-1,-1,0\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			panic(err)
		}
	}
	if err := report.Render(dir); err != nil {
		panic(err)
	}
	for _, table := range []string{"certified_accuracy.csv", "summary.csv"} {
		data, _ := os.ReadFile(filepath.Join(dir, table))
		fmt.Print(string(data))
	}
	written, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, w := range written {
		fmt.Println(filepath.Base(w))
	}
	// Output:
	// method,radius_kind,q,lambda,flips,certified_accuracy
	// analytic,np,0.1,1000,0,0.6666666666666666
	// analytic,np,0.1,1000,1,0.3333333333333333
	// analytic,np,0.1,1000,2,0.3333333333333333
	// analytic,kl,0.1,1000,0,0.6666666666666666
	// analytic,kl,0.1,1000,1,0.3333333333333333
	// analytic,kl,0.1,1000,2,0
	// method,q,lambda,clean_accuracy,cert_acc_100,cert_acc_250,cert_acc_500,cert_acc_1000,cert_acc_2000,median_radius,abstain_rate
	// analytic,0.1,1000,0.6666666666666666,0,0,0,0,0,0,0.3333333333333333
	// certified_accuracy.csv
	// certified_accuracy.png
	// certified_accuracy.svg
	// manifest.json
	// points.csv
	// report.html
	// summary.csv
	// summary.md
}
