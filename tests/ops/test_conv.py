"""cnnlab.reference.ops convolutions against the lecture examples, numpy, torch and Keras."""

import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.reference import ops
from cnnlab.reference.ops.layer_table import FIXTURES


def _vector(text):
    return [float(v) for v in text.split()]


def _lecture_rows():
    with open(FIXTURES / "conv1d_lecture.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", _lecture_rows(), ids=lambda r: f"{r['operation']}-{r['mode']}")
def test_lecture_examples(row):
    op = {"convolve": ops.convolve1d, "correlate": ops.correlate1d}[row["operation"]]
    signal, kernel = _vector(row["signal"]), _vector(row["kernel"])
    expected = _vector(row["expected"])
    assert op(signal, kernel, mode=row["mode"]).tolist() == expected
    # numpy's convolve/correlate agree with the lecture too
    numpy_op = {"convolve": np.convolve, "correlate": np.correlate}[row["operation"]]
    assert numpy_op(signal, kernel, row["mode"]).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 9), k=st.integers(1, 9), mode=st.sampled_from(["full", "valid", "same"]),
       seed=st.integers(0, 2**16))
def test_1d_matches_numpy(n, k, mode, seed):
    rng = np.random.default_rng(seed)
    a, v = rng.normal(size=n), rng.normal(size=k)
    np.testing.assert_allclose(ops.convolve1d(a, v, mode=mode), np.convolve(a, v, mode), atol=1e-12)
    np.testing.assert_allclose(ops.correlate1d(a, v, mode=mode), np.correlate(a, v, mode), atol=1e-12)


def test_convolution_flips_the_kernel():
    # convolving equals correlating with the reversed kernel; the two differ for an asymmetric one
    signal, kernel = [1, 2, 3, 4, 5], [3, 2, 1]
    assert ops.convolve1d(signal, kernel, mode="valid").tolist() == [14, 20, 26]
    assert ops.correlate1d(signal, kernel).tolist() == [10, 16, 22]  # 3+4+3, 6+6+4, 9+8+5
    assert ops.correlate1d(signal, kernel[::-1]).tolist() == [14, 20, 26]


def test_vertical_edge_detector():
    # the classic 6x6 example: bright left half, dark right half, kernel [1, 0, -1] in each row;
    # by hand, every window straddling the edge gives 3 * (10 - 0) = 30, the others 0
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)[None, None]
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)[None, None]
    out = ops.conv2d(image, kernel)[0, 0]
    assert out.tolist() == [[0, 30, 30, 0]] * 4


conv_cases = st.fixed_dictionaries({
    "groups": st.sampled_from([1, 2, 4]),
    "kernel": st.tuples(st.integers(1, 4), st.integers(1, 4)),
    "stride": st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    "padding": st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))),
    "dilation": st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2))),
    "bias": st.booleans(),
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=60, deadline=None)
@given(case=conv_cases)
def test_conv2d_matches_torch(case):
    rng = np.random.default_rng(case["seed"])
    g = case["groups"]
    x = rng.normal(size=(2, 4, 9, 8)).astype(np.float32)
    w = rng.normal(size=(8, 4 // g, *case["kernel"])).astype(np.float32)
    b = rng.normal(size=8).astype(np.float32) if case["bias"] else None
    kw = {k: case[k] for k in ("stride", "padding", "dilation")}
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                        groups=g, **kw).numpy()
    np.testing.assert_allclose(ops.conv2d(x, w, b, groups=g, **kw), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch pads a copy
@pytest.mark.parametrize("kernel,dilation", [((3, 3), 1), ((2, 4), 1), ((3, 2), 2)])
def test_conv2d_same_padding_matches_torch(kernel, dilation):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 3, 7, 6)).astype(np.float32)
    w = rng.normal(size=(5, 3, *kernel)).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same", dilation=dilation)
    out = ops.conv2d(x, w, padding="same", dilation=dilation)
    assert out.shape == (1, 5, 7, 6)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5)


def test_conv1d_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 20)).astype(np.float32)
    w = rng.normal(size=(6, 2, 3)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    for kw in ({"stride": 2, "padding": 1}, {"dilation": 3}, {"padding": "same"}):
        expected = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), groups=2, **kw)
        np.testing.assert_allclose(ops.conv1d(x, w, b, groups=2, **kw), expected.numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_conv2d_matches_keras():
    keras = pytest.importorskip("keras")

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 10, 9, 3)).astype(np.float32)  # Keras is channels-last
    layer = keras.layers.Conv2D(4, (3, 2), strides=2, dilation_rate=1, padding="valid")
    expected = np.asarray(layer(x))
    kernel, bias = (np.asarray(v) for v in layer.weights)
    out = ops.conv2d(x.transpose(0, 3, 1, 2), kernel.transpose(3, 2, 0, 1), bias, stride=2)
    np.testing.assert_allclose(out.transpose(0, 2, 3, 1), expected, rtol=1e-5, atol=1e-5)


def test_depthwise_matches_keras():
    keras = pytest.importorskip("keras")

    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 8, 8, 5)).astype(np.float32)
    layer = keras.layers.DepthwiseConv2D(3, use_bias=False)
    expected = np.asarray(layer(x))
    kernel = np.asarray(layer.weights[0])  # (kh, kw, C, 1)
    out = ops.conv2d(x.transpose(0, 3, 1, 2), kernel.transpose(2, 3, 0, 1), groups=5)
    np.testing.assert_allclose(out.transpose(0, 2, 3, 1), expected, rtol=1e-5, atol=1e-5)


def test_a_flipped_kernel_is_not_what_frameworks_compute():
    # the mistake the "flipped kernel" example submission makes
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 2, 6, 6))
    w = rng.normal(size=(3, 2, 3, 3))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    flipped = ops.conv2d(x, w[:, :, ::-1, ::-1])
    assert not np.allclose(flipped, expected, atol=1e-3)
    np.testing.assert_allclose(ops.conv2d(x, w), expected, atol=1e-10)


@pytest.mark.parametrize("call,message", [
    (lambda: ops.conv2d(np.ones((1, 4, 5, 5)), np.ones((2, 3, 3, 3))), "weight has 3 input channels"),
    (lambda: ops.conv2d(np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2), "groups=2 must divide"),
    (lambda: ops.conv2d(np.ones((4, 5, 5)), np.ones((2, 4, 3, 3))), "x must have 4 dimensions"),
    (lambda: ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=0), "stride must be a positive int; 0 is out of range"),
    (lambda: ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding="full"), "padding must be one of 'valid', 'same'"),
    (lambda: ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding="same"), "needs stride 1"),
    (lambda: ops.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), "larger than the padded input"),
    (lambda: ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.ones(3)), r"bias must have shape \(2,\)"),
    (lambda: ops.convolve1d([1, 2], [1], mode="circular"), "mode must be one of 'full', 'valid', 'same'"),
    (lambda: ops.correlate1d("abc", [1]), "signal must hold numbers"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
