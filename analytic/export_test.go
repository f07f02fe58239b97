package analytic

// LeftAtSharedPass returns how many rivals of cz's last K-class certificate
// kept the bound of the shared pass without its being certified within
// tolerance: the rivals left early as negligible.
func LeftAtSharedPass(cz *Certifier) int {
	left := 0
	for _, j := range cz.order[1:] {
		if p := cz.rivals[j].prog; p.passes == 1 && !(p.best-p.floor <= cz.pr.s.tol) {
			left++
		}
	}
	return left
}
