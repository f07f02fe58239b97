package dataset_test

import (
	"fmt"
	"log"

	"flipcert/dataset"
)

// Reading a data set in the layout of Keras' mnist.npz: the rows keep their
// image shape in RowShape, and ScalePixels brings uint8 pixels to [0, 1] as
// MNIST's are.
func ExampleReadNPZ() {
	d, err := dataset.ReadNPZ("testdata/keras.npz")
	if err != nil {
		log.Fatal(err)
	}
	rows, cols := d.Train.X.Dims()
	fmt.Println(rows, cols, d.Test.Len(), d.RowShape, d.IntegerX, dataset.IsImage28(d.RowShape))
	fmt.Println(d.Train.X.At(1, 0), d.Train.Y[:3])
	if err := d.ScalePixels(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f\n", d.Train.X.At(1, 0))
	// Output:
	// 6 12 3 [3 4] true false
	// 36 [0 1 2]
	// 0.1412
}
