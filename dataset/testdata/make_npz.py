"""Writes the NumPy fixtures of package dataset's tests with NumPy itself.

Run once with /usr/bin/python3 (NumPy 1.24); it writes next to itself. The
Go tests hard-code the formulas below: every value is fixed, none random.

keras.npz      the layout of Keras' mnist.npz, np.savez (stored entries):
               x_train (6, 3, 4) uint8, x[i, j, k] = 3 * (12i + 4j + k)
               y_train (6,) uint8, y[i] = i % 3
               x_test (3, 3, 4) uint8, x[i, j, k] = 255 - (12i + 4j + k)
               y_test (3,) uint8, y[i] = 2 - i
dtypes.npz     np.savez_compressed (deflated entries), one array per case:
               "<t><order>_C" for t in INTS and FLOATS in C order, and
               "<t><order>_F" for t in FORTRAN in Fortran order, shape
               (3, 2, 4), v[i, j, k] = 40i + 10j + k - 50 (signed),
               40i + 10j + k (unsigned), (40i + 10j + k - 50) / 4 (floats);
               "y<t><order>", t integer, shape (5,), y[i] = (3 * i) % 4;
               extremes, bad labels, unsupported dtypes and odd shapes as
               written at the end of this script.
pair/          four .npy files for the pair form, in header versions 1.0,
               2.0 and 3.0: x_train (4, 2, 3) >f4 Fortran order,
               x[i, j, k] = (6i + 3j + k) / 8; y_train (4,) >i2 = [1, 0, 1, 0];
               x_test (2, 2, 3) <f8 C order, x[i, j, k] = -(6i + 3j + k) / 2;
               y_test (2,) <u4 = [0, 1].
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

INTS = ["i1", "u1", "<i2", ">i2", "<u2", ">u2", "<i4", ">i4", "<u4", ">u4",
        "<i8", ">i8", "<u8", ">u8"]
FLOATS = ["<f2", ">f2", "<f4", ">f4", "<f8", ">f8"]
FORTRAN = ["u1", ">i2", "<u4", ">i8", "<f2", ">f4", "<f8"]


def name(t):
    """Entry name of dtype t: "<i2" -> "i2le", ">f4" -> "f4be", "u1" -> "u1"."""
    if t[0] == "<":
        return t[1:] + "le"
    if t[0] == ">":
        return t[1:] + "be"
    return t


def grid(t):
    i, j, k = np.meshgrid(np.arange(3), np.arange(2), np.arange(4), indexing="ij")
    v = 40 * i + 10 * j + k
    kind = np.dtype(t).kind
    if kind == "i":
        v = v - 50
    if kind == "f":
        v = (v - 50) / 4
    return v.astype(t)


def keras():
    i, j, k = np.meshgrid(np.arange(6), np.arange(3), np.arange(4), indexing="ij")
    x_train = (3 * (12 * i + 4 * j + k)).astype(np.uint8)
    y_train = (np.arange(6) % 3).astype(np.uint8)
    i, j, k = np.meshgrid(np.arange(3), np.arange(3), np.arange(4), indexing="ij")
    x_test = (255 - (12 * i + 4 * j + k)).astype(np.uint8)
    y_test = (2 - np.arange(3)).astype(np.uint8)
    np.savez(os.path.join(HERE, "keras.npz"), x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)


def dtypes():
    a = {}
    for t in INTS + FLOATS:
        a[name(t) + "_C"] = np.ascontiguousarray(grid(t))
    for t in FORTRAN:
        a[name(t) + "_F"] = np.asfortranarray(grid(t))
    for t in INTS:
        a["y" + name(t)] = ((3 * np.arange(5)) % 4).astype(t)
    a["i8extremes"] = np.array([[-2**63, 2**63 - 1]], dtype=">i8")
    a["u8extremes"] = np.array([[0, 2**64 - 1]], dtype="<u8")
    a["f2extremes"] = np.array([[2.0**-24, 65504.0, -0.0]], dtype="<f2")
    a["f8nan"] = np.array([[0.0, 1.0], [2.0, np.nan]], dtype="<f8")
    a["f4inf"] = np.asfortranarray(np.array([[0, 1, 2], [3, 4, -np.inf]], dtype=">f4"))
    a["yfloat"] = np.array([0.0, 1.0], dtype="<f8")
    a["ynegative"] = np.array([0, 1, -1], dtype="i1")
    a["yhuge"] = np.array([0, 2**63 + 5], dtype=">u8")
    a["ycolumn"] = np.array([[1], [0], [1]], dtype="<i8")
    a["complex"] = np.array([[1 + 2j]], dtype="<c8")
    a["bool"] = np.array([[True, False]])
    a["strings"] = np.array([["ab", "c"]])
    a["bytes"] = np.array([[b"ab"]])
    a["objects"] = np.array([[1, None]], dtype=object)
    a["dates"] = np.array([["2020-01-01"]], dtype="M8[D]")
    a["zerorows"] = np.zeros((0, 4), dtype="<f4")
    a["zerocols"] = np.zeros((3, 0), dtype="<f4")
    a["scalar"] = np.array(1.5)
    a["vector"] = np.arange(5, dtype="<f8")
    np.savez_compressed(os.path.join(HERE, "dtypes.npz"), **a)


def pair():
    d = os.path.join(HERE, "pair")
    os.makedirs(d, exist_ok=True)
    i, j, k = np.meshgrid(np.arange(4), np.arange(2), np.arange(3), indexing="ij")
    x_train = np.asfortranarray(((6 * i + 3 * j + k) / 8).astype(">f4"))
    i, j, k = np.meshgrid(np.arange(2), np.arange(2), np.arange(3), indexing="ij")
    x_test = (-(6 * i + 3 * j + k) / 2).astype("<f8")
    arrays = [
        ("x_train.npy", x_train, (1, 0)),
        ("y_train.npy", np.array([1, 0, 1, 0], dtype=">i2"), (2, 0)),
        ("x_test.npy", x_test, (3, 0)),
        ("y_test.npy", np.array([0, 1], dtype="<u4"), (1, 0)),
    ]
    for fname, a, version in arrays:
        with open(os.path.join(d, fname), "wb") as f:
            np.lib.format.write_array(f, a, version=version)


keras()
dtypes()
pair()
