"""Hidden tests of the ops assignment: cases the public tests do not show (no bias, non-square
and 1x1 kernels, stride 3, overlapping and ragged pooling, 4-D BatchNorm with other momentum and
epsilon, dropout drawing its own mask, a Grad-CAM with nothing positive)."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def cases(load_cases):
    return load_cases("hidden")


@pytest.mark.points(15)
def test_conv2d_hidden(student, cases, check, credit):
    for name in ("conv_multi", "conv_1x1", "conv_stride3"):
        case = cases[name]
        with credit.part(1, name):
            got = student.ops.conv2d(case["x"], case["weight"], case.get("bias"),
                                     stride=case["stride"], padding=case["padding"])
            check.conv2d(got, case, name)


@pytest.mark.points(10)
def test_max_pool2d_hidden(student, cases, check, credit):
    with credit.part(1, "overlapping windows"):
        case = cases["pool_overlap"]
        got = student.ops.max_pool2d(case["x"], case["kernel_size"], stride=case["stride"])
        check.max_pool2d(got, case, "overlapping windows")
    with credit.part(1, "a size the kernel does not divide"):
        case = cases["pool_ragged"]
        check.max_pool2d(student.ops.max_pool2d(case["x"], case["kernel_size"]), case, "ragged")


@pytest.mark.points(10)
def test_batchnorm_hidden(student, cases, check, credit):
    case = cases["bn4d"]
    for training in (True, False):
        what = "training" if training else "inference"
        with credit.part(1, f"4-D input, {what}"):
            got = student.ops.batchnorm_forward(case["x"], case["gamma"], case["beta"],
                                                case["running_mean"], case["running_var"],
                                                training, momentum=case["momentum"], eps=case["eps"])
            check.batchnorm(got, case, training, f"4-D {what}")


@pytest.mark.points(10)
def test_dropout_hidden(student, cases, check, credit):
    x, p = cases["dropout_big"]["x"], cases["dropout_big"]["p"]
    with credit.part(1, "inference is the identity"):
        check.close(student.ops.dropout_forward(x, p, False), x.astype(np.float64), "inference")
    out = None
    with credit.part(1, "kept values are divided by 1 - p"):
        out = student.ops.dropout_forward(x, p, True)
        assert isinstance(out, np.ndarray) and out.shape == x.shape, "expected an array shaped like x"
        kept = out != 0
        check.close(out[kept], x[kept] / (1 - p), "rescaling")
    with credit.part(1, "a fraction p is dropped"):
        assert out is not None and out.shape == x.shape, "expected an array shaped like x"
        # 40,000 draws: the standard error of the fraction is 0.0023
        assert abs(1 - (out != 0).mean() - p) < 0.015, "the fraction of dropped values is not p"


@pytest.mark.points(15)
def test_grad_cam_hidden(student, cases, check, credit):
    for name in ("grad_cam_shapes", "grad_cam_negative"):
        case = cases[name]
        with credit.part(1, name):
            check.grad_cam(student.ops.grad_cam(case["activations"], case["gradients"]), case, name)
