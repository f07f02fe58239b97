package experiments

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"flipcert/atomicfile"
	"flipcert/dataset"
	"flipcert/nn"

	"gonum.org/v1/gonum/mat"
)

// embedderArch names the embedder's architecture and training code in the
// cache key; change it whenever either changes, so stale weights are not reused.
const embedderArch = "pytorch-mnist-example-cnn/v1"

// cnnFeatures embeds the train and test images with the paper's CNN, trained
// on images the attacker does not control (docs/science.md §2): the held-out
// split when data.holdout is set, else the MNIST digits that are not in
// data.classes. The trained weights are cached under the user cache
// directory, keyed by architecture, schedule, seed and training images.
func cnnFeatures(c Config, in *inputs, env runEnv) (train, test *mat.Dense, info *EmbedderInfo, err error) {
	x, labels, digits := in.embed.train.X, in.embed.train.Y, in.embed.digits
	cfg := nn.EmbedderConfig{Dim: c.Features.Dim, Epochs: c.Features.Epochs, Seed: c.Seed}
	key := embedderKey(cfg, digits, in.embed.train)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "flipcert", "embedder-"+key+".bin")
	info = &EmbedderInfo{Digits: digits, Holdout: c.Data.Holdout, Images: len(labels), Epochs: cfg.Epochs, Cache: path}
	emb, err := readCachedEmbedder(path)
	if c.Features.Retrain || err != nil {
		stage := env.progress.Start(fmt.Sprintf("train embedder on %d images of digits %v", len(labels), digits), 1)
		emb, err = nn.TrainEmbedder(x, labels, len(digits), cfg, stage.Callback())
		if err != nil {
			return nil, nil, nil, err
		}
		env.stageDone("train embedder", stage.Finish())
		info.Trained = true
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, nil, nil, fmt.Errorf("embedder cache: %w", err)
		}
		if err := atomicfile.Write(path, func(w io.Writer) error {
			_, err := emb.WriteTo(w)
			return err
		}); err != nil {
			return nil, nil, nil, fmt.Errorf("embedder cache: %w", err)
		}
	}
	stage := env.progress.Start("embed images", 1)
	if t := in.embed.test; t.Len() > 0 {
		acc := emb.Accuracy(t.X, t.Y)
		info.TestAccuracy = &acc
	}
	train, test = emb.Embed(in.train.X), emb.Embed(in.test.X)
	stage.Add(1)
	env.stageDone("embed images", stage.Finish())
	return train, test, info, nil
}

// embedderSplits returns the MNIST images the embedder trains on and is
// scored on, and the digits it learns (labelled by position): with a
// held-out split, its images of data.classes, scored on the test split's
// images of the same digits; without one, every training image of the digits
// not in data.classes, scored on the test split's images of those. test is
// empty in validation mode.
func embedderSplits(c Config, train, test dataset.Digits) (embedTrain, embedTest dataset.Digits, digits []int) {
	if h := c.Data.Holdout; h > 0 {
		return train.Slice(train.Len()-h, train.Len()), test, c.Data.Classes
	}
	for d := range 10 {
		if !slices.Contains(c.Data.Classes, d) {
			digits = append(digits, d)
		}
	}
	return train, test, digits
}

func readCachedEmbedder(path string) (*nn.Embedder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return nn.ReadEmbedder(f)
}

// embedderKey hashes everything the trained weights depend on: the
// architecture, the schedule and seed, the digits learnt and the images they
// are drawn from.
func embedderKey(cfg nn.EmbedderConfig, digits []int, images dataset.Set) string {
	h := sha256.New()
	meta, _ := json.Marshal(struct {
		Arch   string
		Cfg    nn.EmbedderConfig
		Digits []int
	}{embedderArch, cfg, digits})
	h.Write(meta)
	hashSet(h, images)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// hashSet writes the exact values of a set's rows and labels to h.
func hashSet(h io.Writer, s dataset.Set) {
	var buf []byte
	for i := range s.Len() {
		buf = buf[:0]
		for _, v := range s.X.RawRowView(i) {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		buf = binary.LittleEndian.AppendUint64(buf, uint64(s.Y[i]))
		h.Write(buf)
	}
}
