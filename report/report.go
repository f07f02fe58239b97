package report

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strconv"

	"flipcert/results"
)

// reportFigure is one figure of the report, referenced by the names of its sibling files.
type reportFigure struct {
	Title, SVG, PNG, Caption string
}

// reportTable is a table of text cells; Numeric marks the columns to right-align.
type reportTable struct {
	Caption string
	Header  []string
	Rows    [][]string
	Numeric []bool
}

// reportNote is a paragraph; an alert states a failed check and is shown loudly.
type reportNote struct {
	Text  string
	Alert bool
}

// reportImage is a picture of the output folder, by its path relative to the report.
type reportImage struct {
	Src, Caption string
}

// reportSection is one headed section of the report; Links are sibling files it offers.
type reportSection struct {
	Title   string
	Notes   []reportNote
	Figures []reportFigure
	Tables  []reportTable
	Images  []reportImage
	Links   []string
}

type reportData struct {
	Name          string
	NTrain, NTest int
	MaxFlips      int
	Sections      []reportSection
	Manifest      string
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flipcert: {{.Name}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif;
       color: #1a1a1a; background: #fff; max-width: 64rem; margin: 2rem auto; padding: 0 1.5rem;
       line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
p.meta { color: #555; margin-top: 0; }
p.alert { color: #fff; background: #c00; font-weight: 700; padding: 0.5rem 0.8rem; }
figure { margin: 1.5rem 0; }
figure img { display: block; width: 100%; max-width: 44rem; height: auto; border: 1px solid #eee; }
figure.pic img { width: auto; max-width: 100%; }
figcaption { font-size: 0.9rem; color: #333; margin-top: 0.5rem; max-width: 46rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
caption { caption-side: top; text-align: left; font-size: 0.85rem; color: #333; padding-bottom: 0.4rem;
          max-width: 46rem; white-space: normal; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e3e3e3; white-space: nowrap; }
th { background: #f4f4f4; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #fafafa; }
.scroll { overflow-x: auto; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
</style>
</head>
<body>
<h1>flipcert: {{.Name}}</h1>
<p class="meta">{{.NTrain}} training points, {{.NTest}} test points; curves up to {{.MaxFlips}} flipped labels.</p>
{{range .Sections}}
<h2>{{.Title}}</h2>
{{range .Notes}}<p{{if .Alert}} class="alert"{{end}}>{{if .Alert}}⚠ {{end}}{{.Text}}</p>
{{end}}{{range .Figures}}<figure>
<img src="{{.SVG}}" alt="{{.Title}}">
<figcaption>{{.Caption}} Also as <a href="{{.PNG}}">PNG</a>.</figcaption>
</figure>
{{end}}{{with .Links}}<p>Also as {{range $i, $l := .}}{{if $i}}, {{end}}<a href="{{$l}}">{{$l}}</a>{{end}}.</p>
{{end}}{{range .Tables}}{{template "table" .}}
{{end}}{{range .Images}}<figure class="pic">
<img src="{{.Src}}" alt="{{.Caption}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{end}}
<h2>Manifest</h2>
<pre>{{.Manifest}}</pre>
</body>
</html>
{{define "table"}}<div class="scroll"><table>
<caption>{{.Caption}}</caption>
<thead><tr>{{range $i, $h := .Header}}<th{{if index $.Numeric $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $.Numeric $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>{{end}}
`))

// newReportTable shows a derived table, every column but the first right-aligned.
func newReportTable(t results.Table) reportTable {
	recs := t.Records
	out := reportTable{Caption: t.Caption, Header: recs[0], Rows: recs[1:], Numeric: make([]bool, len(recs[0]))}
	for i := 1; i < len(out.Numeric); i++ {
		out.Numeric[i] = true
	}
	return out
}

// baselineTable shows the undefended network's accuracy under attack, aggregated over seeds.
func baselineTable(stats []results.BaselineStat, nTrain int) *reportTable {
	if len(stats) == 0 {
		return nil
	}
	t := &reportTable{
		Caption: "Empirical test accuracy of the undefended network under each attack, over seeds: " +
			"mean, minimum and maximum.",
		Header:  []string{"attack", "flips", "% of training set", "seeds", "mean accuracy", "min", "max"},
		Numeric: []bool{false, true, true, true, true, true, true},
	}
	for _, b := range stats {
		t.Rows = append(t.Rows, []string{b.Attack, strconv.Itoa(b.Flips),
			fmtPercent(b.Flips, nTrain), strconv.Itoa(b.Seeds),
			results.FormatShort(b.Mean), results.FormatShort(b.Min), results.FormatShort(b.Max)})
	}
	return t
}

// renderReport executes the report template; the manifest is re-indented, keeping its key order.
func renderReport(d reportData, rawManifest []byte) ([]byte, error) {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, rawManifest, "", "  "); err != nil {
		return nil, err
	}
	d.Manifest = pretty.String()
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
