package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"flipcert/atomicfile"
	"flipcert/dataset"
	"flipcert/nn"

	"gonum.org/v1/gonum/mat"
)

// embedderArch names the embedder's architecture and training code in the
// cache key; change it whenever either changes, so stale weights are not reused.
const embedderArch = "pytorch-mnist-example-cnn/v1"

// cnnFeatures embeds the train and test images with the paper's CNN, trained
// on the MNIST digits that are not in data.classes (so it never sees a label
// of the two classes being certified, docs/science.md §2). The trained weights are
// cached under the user cache directory, keyed by architecture, schedule,
// seed and training data.
func cnnFeatures(c Config, in *inputs, env runEnv) (train, test *mat.Dense, info *EmbedderInfo, err error) {
	x, labels, digits := embedderData(c, in.mnistTrain)
	tx, tlabels, _ := embedderData(c, in.mnistTest)
	cfg := nn.EmbedderConfig{Dim: c.Features.Dim, Epochs: c.Features.Epochs, Seed: c.Seed}
	key := embedderKey(cfg, c.Data.Classes, in.mnistTrain)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "flipcert", "embedder-"+key+".bin")
	info = &EmbedderInfo{Digits: digits, Epochs: cfg.Epochs, Cache: path}
	emb, err := readCachedEmbedder(path)
	if c.Features.Retrain || err != nil {
		stage := env.progress.Start(fmt.Sprintf("train embedder on digits %v", digits), 1)
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
	info.TestAccuracy = emb.Accuracy(tx, tlabels)
	train, test = emb.Embed(in.train.X), emb.Embed(in.test.X)
	stage.Add(1)
	env.stageDone("embed images", stage.Finish())
	return train, test, info, nil
}

// embedderData is the embedder's share of an MNIST split: every image of the
// digits not in data.classes, labelled 0..7 in digit order.
func embedderData(c Config, split dataset.Digits) (x *mat.Dense, labels []int, digits []int) {
	return split.Others(c.Data.Classes...)
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
// architecture, the schedule and seed, and the training data (the MNIST
// training split and the classes held out of it).
func embedderKey(cfg nn.EmbedderConfig, heldOut []int, train dataset.Digits) string {
	h := sha256.New()
	meta, _ := json.Marshal(struct {
		Arch    string
		Cfg     nn.EmbedderConfig
		HeldOut []int
	}{embedderArch, cfg, heldOut})
	h.Write(meta)
	h.Write(train.Pixels)
	h.Write(train.Labels)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
