"""Writes strokes.npz, a small generated stand-in for an image data set kept
as NumPy arrays (the layout of Keras' mnist.npz): 28x28 uint8 grey-scale
images of three kinds of stroke (class 0 vertical, 1 horizontal, 2 diagonal)
at random places and widths with sparse noise, 240 for training and 60 for testing.
Run once with python3 and numpy; the file is committed."""
import numpy as np

rng = np.random.default_rng(17)


def stroke(kind):
    img = np.zeros((28, 28), dtype=np.float64)
    pos = rng.integers(11, 16)
    width = rng.integers(2, 4)
    lo, hi = rng.integers(3, 8), rng.integers(20, 25)
    if kind == 0:
        img[lo:hi, pos:pos + width] = 1
    elif kind == 1:
        img[pos:pos + width, lo:hi] = 1
    else:
        for t in range(lo, hi):
            img[t, max(0, t - 2 + pos - 14):t + width + pos - 14] = 1
    img += (rng.random(img.shape) < 0.03) * rng.uniform(0.2, 0.6, img.shape)
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def split(n):
    y = rng.integers(0, 3, n).astype(np.int64)
    x = np.stack([stroke(k) for k in y])
    return x, y


x_train, y_train = split(240)
x_test, y_test = split(60)
np.savez_compressed("strokes.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
