package experiments

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"flipcert/atomicfile"
	"flipcert/dataset"
	"flipcert/nn"

	"gonum.org/v1/gonum/mat"
)

// Architecture names of the embedders in their cache keys; change one
// whenever its architecture or training code changes, so stale weights are
// not reused.
const (
	embedderArch    = "pytorch-mnist-example-cnn/v1"
	contrastiveArch = "simclr-cnn/v1"
)

// cnnFeatures embeds the train and test images with the paper's CNN, trained
// on images the attacker does not control (docs/science.md §2): the held-out
// split when data.holdout is set, else the MNIST digits that are not in
// data.classes. The trained weights are cached under the user cache
// directory, keyed by architecture, schedule, seed and training images.
func cnnFeatures(c Config, in *inputs, env runEnv) (train, test *mat.Dense, info *EmbedderInfo, err error) {
	x, labels, digits := in.embed.train.X, in.embed.train.Y, in.embed.digits
	cfg := nn.EmbedderConfig{Dim: c.Features.Dim, Epochs: c.Features.Epochs, Seed: c.Seed}
	info = &EmbedderInfo{Kind: "cnn", Digits: digits, Holdout: c.Data.Holdout, Images: len(labels), Epochs: cfg.Epochs}
	key := cacheKey(embedderArch, struct {
		Cfg    nn.EmbedderConfig
		Digits []int
	}{cfg, digits}, x, labels)
	emb, err := cachedModel(key, c.Features.Retrain, info, nn.ReadEmbedder, func() (*nn.Embedder, error) {
		stage := env.progress.Start(fmt.Sprintf("train embedder on %d images of digits %v", len(labels), digits), 1)
		emb, err := nn.TrainEmbedder(x, labels, len(digits), cfg, stage.Callback())
		env.stageDone("train embedder", stage.Finish())
		return emb, err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := cachedEmbedding(info, in, env, func() embedding {
		e := embedding{Train: emb.Embed(in.train.X), Test: emb.Embed(in.test.X)}
		if t := in.embed.test; t.Len() > 0 {
			acc := emb.Accuracy(t.X, t.Y)
			e.TestAccuracy = &acc
		}
		return e
	})
	info.TestAccuracy = e.TestAccuracy
	return e.Train, e.Test, info, err
}

// contrastiveFeatures embeds the train and test images with a label-free
// encoder (docs/science.md §15) trained by contrastive learning on every
// training image of the data — attacked, held out or validation, since the
// attacker changes labels, never images — and never on a label or a test
// image. Its weights are cached like the CNN embedder's, keyed by
// architecture, schedule, seed and the exact images; the manifest keeps the
// loss of every epoch.
func contrastiveFeatures(c Config, in *inputs, env runEnv) (train, test *mat.Dense, info *EmbedderInfo, err error) {
	f := c.Features
	cfg := nn.ContrastiveConfig{Dim: f.Dim, Channels: f.Channels, Epochs: f.Epochs, BatchSize: f.Batch,
		Temperature: f.Temperature, LearningRate: f.LearningRate, Seed: c.Seed}
	images := in.unlabeled.RawMatrix().Rows
	info = &EmbedderInfo{Kind: "contrastive", Images: images, Epochs: cfg.Epochs}
	key := cacheKey(contrastiveArch, cfg, in.unlabeled, nil) // no label
	enc, err := cachedModel(key, f.Retrain, info, nn.ReadEncoder, func() (*nn.Encoder, error) {
		stage := env.progress.Start(fmt.Sprintf("train label-free encoder on %d images", images), 1)
		enc, losses, err := nn.TrainContrastive(in.unlabeled, cfg, stage.Callback())
		env.stageDone("train label-free encoder", stage.Finish())
		info.Losses = losses
		return enc, err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := cachedEmbedding(info, in, env, func() embedding {
		return embedding{Train: enc.Embed(in.train.X), Test: enc.Embed(in.test.X)}
	})
	return e.Train, e.Test, info, err
}

// embedding is what an embedder computes for a run: the features of its
// training and test images and, for the CNN, its accuracy on the images it
// is scored on.
type embedding struct {
	Train, Test  *mat.Dense
	TestAccuracy *float64
}

// cachedEmbedding returns the embedding of the run's images by the model
// cached at info.Cache, read from beside that model when an earlier run
// computed it for the same images, else computed and stored there: a sweep
// over q or λ then pays for the network's forward passes once. The file is
// keyed by the model and the exact images (train, test and those the CNN is
// scored on); a model trained in this run is always applied afresh.
func cachedEmbedding(info *EmbedderInfo, in *inputs, env runEnv, compute func() embedding) (embedding, error) {
	stage := env.progress.Start("embed images", 1)
	defer func() { env.stageDone("embed images", stage.Finish()) }()
	h := sha256.New()
	h.Write([]byte(info.Cache))
	hashRows(h, in.train.X, nil)
	hashRows(h, in.test.X, nil)
	hashRows(h, in.embed.test.X, in.embed.test.Y)
	info.Features = strings.TrimSuffix(info.Cache, ".bin") + "-features-" + hex.EncodeToString(h.Sum(nil))[:16] + ".gob"
	var e embedding
	if !info.Trained {
		if f, err := os.Open(info.Features); err == nil {
			err = gob.NewDecoder(f).Decode(&e)
			f.Close()
			if err == nil && e.Train != nil && e.Test != nil {
				stage.Add(1)
				return e, nil
			}
		}
	}
	e = compute()
	stage.Add(1)
	if err := atomicfile.Write(info.Features, func(w io.Writer) error { return gob.NewEncoder(w).Encode(e) }); err != nil {
		return e, fmt.Errorf("embedder cache: %w", err)
	}
	return e, nil
}

// cachedModel returns the model cached under key in the user cache
// directory, or, when there is none or retrain is set, trains one and caches
// it; info records the cache file and whether it trained. A cached
// contrastive encoder keeps its losses beside it, in the key's .json file.
func cachedModel[M io.WriterTo](key string, retrain bool, info *EmbedderInfo, read func(io.Reader) (M, error), train func() (M, error)) (M, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	info.Cache = filepath.Join(dir, "flipcert", key+".bin")
	meta := strings.TrimSuffix(info.Cache, ".bin") + ".json"
	if !retrain {
		if m, err := readModel(info.Cache, read); err == nil {
			if data, err := os.ReadFile(meta); err == nil {
				_ = json.Unmarshal(data, &info.Losses) // losses are a description; a damaged file loses only them
			}
			return m, nil
		}
	}
	m, err := train()
	if err != nil {
		return m, err
	}
	info.Trained = true
	if err := os.MkdirAll(filepath.Dir(info.Cache), 0o755); err != nil {
		return m, fmt.Errorf("embedder cache: %w", err)
	}
	if info.Losses != nil {
		data, _ := json.Marshal(info.Losses)
		if err := atomicfile.WriteBytes(meta, data); err != nil {
			return m, fmt.Errorf("embedder cache: %w", err)
		}
	}
	if err := atomicfile.Write(info.Cache, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	}); err != nil {
		return m, fmt.Errorf("embedder cache: %w", err)
	}
	return m, nil
}

func readModel[M any](path string, read func(io.Reader) (M, error)) (M, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero M
		return zero, err
	}
	defer f.Close()
	return read(f)
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

// cacheKey names a trained model after everything its weights depend on:
// the architecture, the schedule, seed and classes (meta), and the exact
// images (and labels) it learns from.
func cacheKey(arch string, meta any, images *mat.Dense, labels []int) string {
	h := sha256.New()
	m, _ := json.Marshal(struct {
		Arch string
		Meta any
	}{arch, meta})
	h.Write(m)
	hashRows(h, images, labels)
	prefix := "embedder-"
	if arch == contrastiveArch {
		prefix = "contrastive-"
	}
	return prefix + hex.EncodeToString(h.Sum(nil))[:16]
}

// hashRows writes to h the exact values of each row of x followed by its
// label y[i], or 0 when y is nil (images hashed without labels); a nil x
// writes nothing.
func hashRows(h io.Writer, x *mat.Dense, y []int) {
	if x == nil {
		return
	}
	var buf []byte
	for i := range x.RawMatrix().Rows {
		buf = buf[:0]
		for _, v := range x.RawRowView(i) {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		label := 0
		if y != nil {
			label = y[i]
		}
		h.Write(binary.LittleEndian.AppendUint64(buf, uint64(label)))
	}
}
