"""Pooling, activations and flatten against torch and Keras."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.reference import ops

pool_cases = st.fixed_dictionaries({
    "kernel": st.integers(1, 4),
    "stride": st.one_of(st.none(), st.integers(1, 3)),
    "pad": st.integers(0, 2),
    "ceil_mode": st.booleans(),
    "size": st.tuples(st.integers(4, 11), st.integers(4, 11)),
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=80, deadline=None)
@given(case=pool_cases)
def test_max_pool_matches_torch(case):
    k, pad = case["kernel"], min(case["pad"], case["kernel"] // 2)
    x = np.random.default_rng(case["seed"]).normal(size=(2, 3, *case["size"])).astype(np.float32)
    expected = F.max_pool2d(torch.from_numpy(x), k, case["stride"], pad, ceil_mode=case["ceil_mode"])
    out = ops.max_pool2d(x, kernel_size=k, stride=case["stride"], padding=pad, ceil_mode=case["ceil_mode"])
    np.testing.assert_array_equal(out, expected.numpy())


@settings(max_examples=60, deadline=None)
@given(case=pool_cases, count_include_pad=st.booleans())
def test_avg_pool_matches_torch(case, count_include_pad):
    k, pad = case["kernel"], min(case["pad"], case["kernel"] // 2)
    x = np.random.default_rng(case["seed"]).normal(size=(2, 3, *case["size"])).astype(np.float32)
    expected = F.avg_pool2d(torch.from_numpy(x), k, case["stride"], pad,
                            count_include_pad=count_include_pad)
    out = ops.avg_pool2d(x, kernel_size=k, stride=case["stride"], padding=pad,
                         count_include_pad=count_include_pad)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_pooling_matches_keras():
    keras = pytest.importorskip("keras")

    x = np.random.default_rng(0).normal(size=(2, 9, 7, 3)).astype(np.float32)
    nchw = x.transpose(0, 3, 1, 2)
    cases = [
        (keras.layers.MaxPooling2D(3, strides=2), ops.max_pool2d(nchw, kernel_size=3, stride=2)),
        (keras.layers.AveragePooling2D(2), ops.avg_pool2d(nchw, kernel_size=2)),
        (keras.layers.GlobalAveragePooling2D(), ops.global_avg_pool2d(nchw)),
    ]
    for layer, ours in cases:
        expected = np.asarray(layer(x))
        got = ours.transpose(0, 2, 3, 1) if ours.ndim == 4 else ours
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_activations_match_torch_and_keras():
    keras = pytest.importorskip("keras")

    x = np.random.default_rng(1).normal(scale=30, size=(4, 7)).astype(np.float32)
    t = torch.from_numpy(x)
    pairs = [
        (ops.relu(x), torch.relu(t), keras.activations.relu(x)),
        (ops.leaky_relu(x, negative_slope=0.2), F.leaky_relu(t, 0.2),
         keras.activations.leaky_relu(x, negative_slope=0.2)),
        (ops.sigmoid(x), torch.sigmoid(t), keras.activations.sigmoid(x)),
        (ops.tanh(x), torch.tanh(t), keras.activations.tanh(x)),
        (ops.softmax(x, axis=1), torch.softmax(t, 1), keras.activations.softmax(x, axis=1)),
    ]
    for ours, from_torch, from_keras in pairs:
        np.testing.assert_allclose(ours, from_torch.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours, np.asarray(from_keras), rtol=1e-5, atol=1e-6)


def test_sigmoid_and_softmax_do_not_overflow():
    x = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise"):
        assert ops.sigmoid(x).tolist() == [0.0, 0.5, 1.0]
        np.testing.assert_allclose(ops.softmax(x), [0.0, 0.0, 1.0])


def test_flatten_follows_the_layout():
    keras = pytest.importorskip("keras")

    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    # channels-first flattens as torch does
    np.testing.assert_array_equal(ops.flatten(x), torch.flatten(torch.from_numpy(x), 1).numpy())
    # channels-last flattens as Keras does; the two orders differ
    nhwc = x.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(ops.flatten(nhwc), np.asarray(keras.layers.Flatten()(nhwc)))
    assert not np.array_equal(ops.flatten(nhwc), ops.flatten(x))


@pytest.mark.parametrize("call,message", [
    (lambda: ops.max_pool2d(np.ones((1, 1, 4, 4)), kernel_size=0), "kernel_size must be a positive int; 0 is out of range"),
    (lambda: ops.max_pool2d(np.ones((1, 1, 4, 4)), kernel_size=2, padding=2), "at most half the kernel"),
    (lambda: ops.avg_pool2d(np.ones((1, 1, 2, 2)), kernel_size=3), "larger than the padded input"),
    (lambda: ops.max_pool2d(np.ones((4, 4)), kernel_size=2), "x must have 4 dimensions"),
    (lambda: ops.flatten(np.ones((2, 3)), start_dim=2), "start_dim must be below"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
