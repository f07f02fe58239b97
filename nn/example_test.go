package nn_test

import (
	"bytes"
	"fmt"

	"flipcert/nn"

	"gonum.org/v1/gonum/mat"
)

// ExampleTrainContrastive trains a small encoder on images alone (here 64
// synthetic bars at random angles), caches it and reads it back. Labels are
// never handed over: the features cannot depend on them.
func ExampleTrainContrastive() {
	x := mat.NewDense(64, nn.Pixels, nil)
	for i := range 64 {
		// A bar through the centre: row i·7 mod 20 + 4, or a column for odd i.
		k := i*7%20 + 4
		for t := 4; t < nn.Side-4; t++ {
			if i%2 == 0 {
				x.Set(i, k*nn.Side+t, 1)
			} else {
				x.Set(i, t*nn.Side+k, 1)
			}
		}
	}
	cfg := nn.ContrastiveConfig{Dim: 8, Channels: 4, Epochs: 3, BatchSize: 32, Temperature: 0.2, LearningRate: 1e-3, Seed: 1}
	enc, losses, err := nn.TrainContrastive(x, cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d epoch losses, falling: %v\n", len(losses), losses[2] < losses[0])

	var cache bytes.Buffer
	if _, err := enc.WriteTo(&cache); err != nil {
		fmt.Println(err)
		return
	}
	back, err := nn.ReadEncoder(&cache)
	if err != nil {
		fmt.Println(err)
		return
	}
	phi := back.Embed(x)
	r, c := phi.Dims()
	fmt.Printf("features: %d×%d, same after the round trip: %v\n", r, c, mat.Equal(phi, enc.Embed(x)))

	cfg.Temperature = 0
	_, _, err = nn.TrainContrastive(x, cfg, nil)
	fmt.Println(err)
	// Output:
	// 3 epoch losses, falling: true
	// features: 64×8, same after the round trip: true
	// nn: contrastive temperature = 0, want 0 < τ < ∞
}
