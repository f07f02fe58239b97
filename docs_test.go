package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scienceSections reads the sections of docs/science.md ("## §N title") and
// the subsections under each ("### title").
func scienceSections(t *testing.T) map[string]map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("docs/science.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]map[string]bool{}
	section := regexp.MustCompile(`^## §(\d+) `)
	current := ""
	for _, line := range strings.Split(string(doc), "\n") {
		if m := section.FindStringSubmatch(line); m != nil {
			current = m[1]
			sections[current] = map[string]bool{}
		} else if title, ok := strings.CutPrefix(line, "### "); ok && current != "" {
			sections[current][strings.TrimSpace(title)] = true
		}
	}
	if len(sections) == 0 {
		t.Fatal(`docs/science.md has no sections headed "## §N title"`)
	}
	return sections
}

// citation is one section a text cites, with the subsection it names.
type citation struct{ section, subsection string }

var (
	// A comment's line break inside a citation: the newline, the indent and
	// the comment marker of the next line.
	commentBreak = regexp.MustCompile(`\s*\n\s*(?://|#)?\s*`)
	// docs/science.md followed by one or more "§N", each optionally naming a
	// subsection in quotes, separated by commas or "and".
	citeRun  = regexp.MustCompile(`docs/science\.md((?:\s*(?:,|and)?\s*§\d+(?:,?\s*"[^"]+")?)+)`)
	citeItem = regexp.MustCompile(`§(\d+)(?:,?\s*"([^"]+)")?`)
)

// citations finds every section of docs/science.md that text cites, in any of
// the forms "docs/science.md §10 "Ridge conditioning"", "docs/science.md §5,
// §8" and "docs/science.md §3 and §12", also split across comment lines.
func citations(text string) []citation {
	flat := commentBreak.ReplaceAllString(text, " ")
	var out []citation
	for _, run := range citeRun.FindAllStringSubmatch(flat, -1) {
		for _, m := range citeItem.FindAllStringSubmatch(run[1], -1) {
			out = append(out, citation{m[1], m[2]})
		}
	}
	return out
}

// TestCitationForms checks the citation reader on the forms it must see.
func TestCitationForms(t *testing.T) {
	text := "// see docs/science.md §10, §11 and docs/science.md\n\t// §5 and §8; docs/science.md §10 \"Ridge conditioning\", §12.\n" +
		"# docs/science.md §3, §10\n# \"The radius table\""
	want := []citation{{"10", ""}, {"11", ""}, {"5", ""}, {"8", ""}, {"10", "Ridge conditioning"}, {"12", ""}, {"3", ""}, {"10", "The radius table"}}
	got := citations(text)
	if len(got) != len(want) {
		t.Fatalf("citations = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("citation %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestScienceCitations keeps the code's pointers into docs/science.md alive:
// every section cited in a Go file or the README exists, and every citation
// of §10, whose subsections are each about one method's arithmetic, names an
// existing subsection.
func TestScienceCitations(t *testing.T) {
	sections := scienceSections(t)
	cited := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "out") {
			return filepath.SkipDir
		}
		// This file's own examples of the forms are not citations.
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || path == "README.md") || path == "docs_test.go" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range citations(string(data)) {
			cited++
			subs, ok := sections[c.section]
			switch {
			case !ok:
				t.Errorf("%s cites docs/science.md §%s, which does not exist", path, c.section)
			case c.subsection != "" && !subs[c.subsection]:
				t.Errorf("%s cites docs/science.md §%s %q, which has no such subsection", path, c.section, c.subsection)
			case c.section == "10" && c.subsection == "":
				t.Errorf("%s cites docs/science.md §10 without naming its subsection", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited < 100 {
		t.Errorf("only %d citations of docs/science.md found: the walk or the reader is broken", cited)
	}
}
