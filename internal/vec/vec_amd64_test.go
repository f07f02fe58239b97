//go:build !purego

package vec

import "testing"

// TestPortableLoops runs the definitions' checks on the portable loops, which
// machines without AVX (and the purego build) use.
func TestPortableLoops(t *testing.T) {
	if !hasAVX {
		t.Skip("no AVX: TestMatchesDefinitions already ran the portable loops")
	}
	hasAVX = false
	defer func() { hasAVX = true }()
	checkDefinitions(t)
	checkRowsAndAdam(t)
}
