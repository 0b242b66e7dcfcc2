"""Receptive fields (the "two 3x3 = one 5x5" argument) and the lecture's worked 2-D convolution.

Oracles: the receptive field is measured with torch autograd (the input pixels that one output
pixel's gradient reaches); parameter counts are torch's ``numel``; the 2-D example is summed by
hand in the test and computed by torch's and Keras' convolutions.
"""

import importlib.resources
import json

import numpy as np
import pytest

from cnnlab.reference import ops


def _measured_field(layers, side=41):
    torch = pytest.importorskip("torch")
    mods = []
    for kernel, stride in layers:
        conv = torch.nn.Conv2d(1, 1, kernel, stride=stride, bias=False)
        torch.nn.init.constant_(conv.weight, 1.0)
        mods.append(conv)
    x = torch.ones(1, 1, side, side, requires_grad=True)
    y = torch.nn.Sequential(*mods)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(dim=1))
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("layers", [[(3, 1)] * 2, [(3, 1)] * 3, [(11, 4), (3, 2), (5, 1)],
                                    [(3, 2), (3, 2)], [(7, 2), (3, 2), (3, 1)]])
def test_receptive_field_equals_what_autograd_reaches(layers):
    assert ops.receptive_field(layers) == _measured_field(layers, side=99)


def test_two_3x3_see_a_5x5_with_fewer_parameters():
    torch = pytest.importorskip("torch")
    two = ops.stack_vs_single(kernel_size=3, layers=2, channels=64)
    three = ops.stack_vs_single(kernel_size=3, layers=3, channels=64)
    assert (two.receptive_field, two.stacked_params, two.single_params) == (5, 73_728, 102_400)
    assert (three.receptive_field, three.stacked_params, three.single_params) == (7, 110_592, 200_704)
    assert two.saving == pytest.approx(1 - 18 / 25) and three.saving == pytest.approx(1 - 27 / 49)
    stacked = sum(torch.nn.Conv2d(64, 64, 3, bias=False).weight.numel() for _ in range(2))
    assert stacked == two.stacked_params
    assert torch.nn.Conv2d(64, 64, 5, bias=False).weight.numel() == two.single_params
    biased = ops.stack_vs_single(channels=64, bias=True)
    assert biased.stacked_params == 2 * (9 * 64 * 64 + 64)


@pytest.mark.parametrize("bad,message", [([(0, 1)], "kernel_size must be a positive int; 0 is out of range"),
                                         ([(3,)], r"layer 0 must be \(kernel_size, stride\)"),
                                         ([(3, 1.5)], "stride must be a positive int; got 1.5")])
def test_bad_layers_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        ops.receptive_field(bad)


def _lecture_example():
    path = importlib.resources.files("cnnlab.reference") / "fixtures" / "ops" / "conv2d_lecture.json"
    return json.loads(path.read_text())


def test_worked_2d_convolution_of_the_lecture():
    case = _lecture_example()
    image, kernel = np.array(case["image"], float), np.array(case["kernel"], float)
    by_hand = [[sum(image[i + u, j + v] * kernel[u, v] for u in range(3) for v in range(3))
                for j in range(3)] for i in range(3)]
    assert by_hand == case["expected"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    ours = ops.conv2d(image[None, None], kernel[None, None])
    np.testing.assert_array_equal(ours[0, 0], case["expected"])
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])
    np.testing.assert_array_equal(theirs[0, 0].numpy(), case["expected"])
    keras = pytest.importorskip("keras")
    layer = keras.layers.Conv2D(1, 3, use_bias=False)
    layer.build((1, 5, 5, 1))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    out = np.asarray(layer(image[None, :, :, None].astype("float32")))
    np.testing.assert_array_equal(out[0, :, :, 0], case["expected"])
