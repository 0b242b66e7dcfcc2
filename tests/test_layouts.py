"""cnnlab.reference.layouts: the torch <-> Keras kernel layouts, checked against the frameworks'
documented semantics written out in numpy (no framework is imported).

Independent definitions used as the expected values:
- torch ``Conv2d`` (docs): ``out[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x[n, c, i + u, j + v]``
  on ``N, C, H, W`` input with an ``(out, in, kh, kw)`` weight;
- Keras ``Conv2D`` (docs): the same correlation on ``N, H, W, C`` input with a ``(kh, kw, in, out)``
  kernel;
- torch ``Linear``: ``y = x W^T`` with ``W`` ``(out, in)``, ``x`` flattened ``C, H, W``
  (``torch.flatten(x, 1)``); Keras ``Dense``: ``y = x K`` with ``K`` ``(in, out)``, ``x`` flattened
  ``H, W, C`` (``layers.Flatten()`` on channels-last maps).
"""

import numpy as np
import pytest

from cnnlab.errors import UsageError
from cnnlab.reference import layouts

RNG = np.random.default_rng(0)


def _torch_conv(x_nchw, weight):
    kh, kw = weight.shape[2:]
    h, w = x_nchw.shape[2] - kh + 1, x_nchw.shape[3] - kw + 1
    out = np.zeros((x_nchw.shape[0], weight.shape[0], h, w))
    for u in range(kh):
        for v in range(kw):
            out += np.einsum("nchw,oc->nohw", x_nchw[:, :, u:u + h, v:v + w], weight[:, :, u, v])
    return out


def _keras_conv(x_nhwc, kernel):
    kh, kw = kernel.shape[:2]
    h, w = x_nhwc.shape[1] - kh + 1, x_nhwc.shape[2] - kw + 1
    out = np.zeros((x_nhwc.shape[0], h, w, kernel.shape[3]))
    for u in range(kh):
        for v in range(kw):
            out += np.einsum("nhwc,co->nhwo", x_nhwc[:, u:u + h, v:v + w, :], kernel[u, v])
    return out


def test_conv_kernels_compute_the_same_function_in_both_layouts():
    x = RNG.standard_normal((2, 3, 7, 6))
    weight = RNG.standard_normal((4, 3, 3, 2))  # (out, in, kh, kw), non-square to catch swapped axes
    kernel = layouts.conv_to_keras(weight)
    assert kernel.shape == (3, 2, 3, 4)
    got = _keras_conv(x.transpose(0, 2, 3, 1), kernel).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, _torch_conv(x, weight), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(layouts.conv_to_torch(kernel), weight)
    assert layouts.kernel_shape_to_torch(kernel.shape, kind="conv") == weight.shape


def test_depthwise_and_transposed_kernels_round_trip_with_their_documented_shapes():
    depthwise = RNG.standard_normal((5, 1, 3, 2))  # torch (C, 1, kh, kw)
    keras_dw = layouts.depthwise_to_keras(depthwise)
    assert keras_dw.shape == (3, 2, 5, 1)  # Keras DepthwiseConv2D (kh, kw, C, multiplier)
    assert keras_dw[1, 0, 4, 0] == depthwise[4, 0, 1, 0]
    np.testing.assert_array_equal(layouts.depthwise_to_torch(keras_dw), depthwise)
    transposed = RNG.standard_normal((6, 4, 3, 2))  # torch ConvTranspose2d (in, out, kh, kw)
    keras_t = layouts.conv_transpose_to_keras(transposed)
    assert keras_t.shape == (3, 2, 4, 6)  # Keras Conv2DTranspose (kh, kw, out, in)
    assert keras_t[2, 1, 3, 5] == transposed[5, 3, 2, 1]
    np.testing.assert_array_equal(layouts.conv_transpose_to_torch(keras_t), transposed)
    assert layouts.kernel_shape_to_torch(keras_t.shape, kind="conv_transpose") == transposed.shape


def test_a_dense_layer_after_a_flatten_computes_the_same_function_in_both_orders():
    c, h, w, out = 3, 4, 5, 7
    maps = RNG.standard_normal((2, c, h, w))
    weight = RNG.standard_normal((out, c * h * w))  # torch, columns in C, H, W order
    kernel = layouts.dense_to_keras(weight, flatten_from=(c, h, w))
    keras_y = maps.transpose(0, 2, 3, 1).reshape(2, -1) @ kernel  # Keras flattens H, W, C
    np.testing.assert_allclose(keras_y, maps.reshape(2, -1) @ weight.T, rtol=1e-12)
    np.testing.assert_array_equal(layouts.dense_to_torch(kernel, flatten_from=(c, h, w)), weight)
    # a Keras model that permutes to channels first before Flatten holds torch's order: no reorder
    np.testing.assert_array_equal(layouts.dense_to_torch(weight.T), weight)
    np.testing.assert_array_equal(layouts.chw_to_hwc(layouts.hwc_to_chw(kernel, (c, h, w)), (c, h, w)), kernel)


def test_bad_layouts_name_what_is_valid():
    with pytest.raises(UsageError, match="conv, depthwise, conv_transpose, dense"):
        layouts.kernel_to_torch(np.zeros((1, 1, 1, 1)), kind="conv3d")
    with pytest.raises(UsageError, match="4 axes"):
        layouts.conv_to_torch(np.zeros((3, 3)))
    with pytest.raises(UsageError, match="cannot read a flattened 16x5x5 map"):
        layouts.dense_to_torch(np.zeros((399, 120)), flatten_from=(16, 5, 5))
