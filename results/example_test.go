package results_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"

	"flipcert/results"
)

// Load gives a run's tables as gota data frames, for analyses the results
// stage does not make: here, the certified accuracy at 2 flips of each q,
// from points.csv of a run with two q and three test points each.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "results-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"manifest.json": `{"name": "tiny", "data": {"n_train": 100, "n_test": 3, "classes": 2}, "report": {"max_flips": 5}}`,
		"points.csv": "method,q,lambda,index,label,prediction,log_eps,radius,radius_kl,correct\n" +
			"analytic,0.1,1000,0,1,1,-9.5,3,1,1\n" +
			"analytic,0.1,1000,1,0,0,-2.1,0,0,1\n" +
			"analytic,0.1,1000,2,1,-1,,-1,-1,0\n" +
			"analytic,0.4,1000,0,1,1,-12,7,4,1\n" +
			"analytic,0.4,1000,1,0,0,-5,2,1,1\n" +
			"analytic,0.4,1000,2,1,0,-1,1,0,0\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			panic(err)
		}
	}
	run, err := results.Load(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(run.Points.Nrow(), "rows;", run.Manifest.NTrain, "training points")
	radius, _ := run.Points.Col("radius").Int()
	correct, _ := run.Points.Col("correct").Int()
	ok := make([]int, len(radius))
	for i := range ok {
		if correct[i] == 1 && radius[i] >= 2 {
			ok[i] = 1
		}
	}
	byQ := run.Points.Mutate(series.New(ok, series.Int, "ok2")).
		GroupBy("q").Aggregation([]dataframe.AggregationType{dataframe.Aggregation_MEAN}, []string{"ok2"}).
		Arrange(dataframe.Sort("q"))
	q, acc := byQ.Col("q").Float(), byQ.Col("ok2_MEAN").Float()
	for i := range q {
		fmt.Printf("q=%v: certified accuracy at 2 flips %.3f\n", q[i], acc[i])
	}
	// Output:
	// 6 rows; 100 training points
	// q=0.1: certified accuracy at 2 flips 0.333
	// q=0.4: certified accuracy at 2 flips 0.667
}
