package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
)

// codeVersion identifies the code that computes units, so that a folder
// never mixes units of two versions: the VCS revision from the build info, or
// from git for builds without VCS stamping (go run, -buildvcs=false). A
// checkout with uncommitted changes to code (Go files, go.mod, go.sum) adds a
// hash of those changes, so two different edits never pass for one version;
// documentation changes leave it alone. Without either source it is
// "unknown", which matches only itself.
var codeVersion = sync.OnceValue(func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				// The build info does not say what changed: ask git when it can.
				if v, ok := gitVersion(); ok && strings.HasPrefix(v, rev) {
					return v
				}
				return rev + "-dirty"
			}
			return rev
		}
	}
	if v, ok := gitVersion(); ok {
		return v
	}
	return "unknown"
})

// gitVersion returns HEAD's commit, followed by "-dirty-" and a hash of the
// uncommitted code changes (tracked diffs and untracked Go files) if any.
func gitVersion() (string, bool) {
	git := func(args ...string) ([]byte, error) { return exec.Command("git", args...).Output() }
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return "", false
	}
	in := func(args ...string) ([]byte, error) {
		return git(append([]string{"-C", strings.TrimSpace(string(top))}, args...)...)
	}
	head, err := in("rev-parse", "HEAD")
	if err != nil {
		return "", false
	}
	code := []string{"--", "*.go", "go.mod", "go.sum"}
	diff, err := in(append([]string{"diff", "HEAD"}, code...)...)
	if err != nil {
		return "", false
	}
	untracked, err := in(append([]string{"ls-files", "--others", "--exclude-standard"}, code...)...)
	if err != nil {
		return "", false
	}
	rev := strings.TrimSpace(string(head))
	if len(diff) == 0 && len(untracked) == 0 {
		return rev, true
	}
	h := sha256.New()
	h.Write(diff)
	for _, name := range strings.Fields(string(untracked)) {
		h.Write([]byte(name))
		if data, err := in("hash-object", name); err == nil {
			h.Write(data)
		}
	}
	return rev + "-dirty-" + hex.EncodeToString(h.Sum(nil))[:12], true
}
