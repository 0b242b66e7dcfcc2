"""Public tests of the ops assignment: students get these with the starter code."""

import numpy as np
import pytest


@pytest.mark.points(5)
def test_conv2d_lecture_example(student, check):
    """The 6x6 vertical-edge example: bright left half, dark right half, kernel [1, 0, -1] per row.
    Worked by hand: windows across the edge give 3 * (10 - 0) = 30, the others 0."""
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)[None, None]
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)[None, None]
    got = student.ops.conv2d(image, kernel)
    check.close(got, np.array([[[[0, 30, 30, 0]] * 4]], dtype=float), "edge example")


@pytest.mark.points(10)
def test_conv2d(student, public_cases, check, credit):
    """Channels, bias, padding and stride, against reference.ops.conv2d."""
    for name in ("conv_basic", "conv_stride"):
        case = public_cases[name]
        with credit.part(1, name):
            got = student.ops.conv2d(case["x"], case["weight"], case["bias"], stride=case["stride"],
                                     padding=case["padding"])
            check.conv2d(got, case, name)


@pytest.mark.points(5)
def test_max_pool2d(student, public_cases, check):
    """2x2 max pooling with the default stride (the kernel size)."""
    case = public_cases["pool"]
    check.max_pool2d(student.ops.max_pool2d(case["x"], case["kernel_size"]), case, "pool")


def _bn(student, case, training):
    return student.ops.batchnorm_forward(case["x"], case["gamma"], case["beta"],
                                         case["running_mean"], case["running_var"], training,
                                         momentum=case["momentum"], eps=case["eps"])


@pytest.mark.points(5)
def test_batchnorm_training(student, public_cases, check):
    """Training mode: batch statistics, and the running statistics moved towards them."""
    case = public_cases["bn"]
    check.batchnorm(_bn(student, case, True), case, True, "training")


@pytest.mark.points(5)
def test_batchnorm_inference(student, public_cases, check):
    """Inference mode: the running statistics, which stay as they are."""
    case = public_cases["bn"]
    check.batchnorm(_bn(student, case, False), case, False, "inference")


@pytest.mark.points(5)
def test_dropout_with_mask(student, public_cases, check):
    """Inverted dropout with a given keep-mask: kept values are divided by 1 - p."""
    case = public_cases["dropout"]
    got = student.ops.dropout_forward(case["x"], case["p"], True, mask=case["mask"])
    check.dropout(got, case, "dropout")


@pytest.mark.points(5)
def test_grad_cam(student, public_cases, check):
    """Grad-CAM maps from a trained network's activations and gradients."""
    case = public_cases["grad_cam"]
    check.grad_cam(student.ops.grad_cam(case["activations"], case["gradients"]), case, "grad_cam")
