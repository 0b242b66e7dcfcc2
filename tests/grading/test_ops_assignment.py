"""The ops assignment: the instructor's solution agrees with torch and the grad-cam package
(independent implementations) on every fixture case, the points add up, the hidden cases cover
what the public ones do not, and the example submissions lose exactly the points of their bugs.

Points table (tests/public and tests/hidden): lecture example 5, conv2d 10 (2 parts), max_pool2d
5, BN training 5, BN inference 5, dropout with mask 5, grad_cam 5; hidden conv2d 15 (3 parts),
max_pool2d 10 (2), BN 10 (2: training, inference), dropout 10 (3), grad_cam 15 (2).
"""

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F

from cnnlab import paths
from cnnlab.bench.grading import grade

from ..conftest import load_module
from .conftest import FAST_LIMITS, marked_points

OPS = paths.bundled_assignments() / "ops"
EXAMPLES = paths.examples_dir() / "ops"




def _cases(kind):
    with np.load(OPS / "fixtures" / kind / "cases.npz", allow_pickle=False) as data:
        cases = {}
        for key in data.files:
            case, name = key.split("/")
            value = data[key]
            cases.setdefault(case, {})[name] = value.item() if value.ndim == 0 else value
    return cases


PUBLIC, HIDDEN = _cases("public"), _cases("hidden")
ALL_CASES = {f"public/{k}": v for k, v in PUBLIC.items()} | {f"hidden/{k}": v for k, v in HIDDEN.items()}


@pytest.fixture(scope="module")
def solution():
    return load_module(OPS / "solution" / "ops.py", "ops_solution")


def _t(array):
    return torch.from_numpy(np.asarray(array, dtype=np.float64))


@pytest.mark.parametrize("name", sorted(n for n in ALL_CASES if "/conv" in n))
def test_conv2d_solution_agrees_with_torch(solution, name):
    case = ALL_CASES[name]
    bias = case.get("bias")
    expected = F.conv2d(_t(case["x"]), _t(case["weight"]), None if bias is None else _t(bias),
                        stride=case["stride"], padding=case["padding"]).numpy()
    got = solution.conv2d(case["x"], case["weight"], bias, stride=case["stride"], padding=case["padding"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(n for n in ALL_CASES if "/pool" in n))
def test_max_pool2d_solution_agrees_with_torch(solution, name):
    case = ALL_CASES[name]
    stride = case.get("stride")
    expected = F.max_pool2d(_t(case["x"]), case["kernel_size"], stride).numpy()
    np.testing.assert_array_equal(solution.max_pool2d(case["x"], case["kernel_size"], stride), expected)


@pytest.mark.parametrize("name", ["public/bn", "hidden/bn4d"])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_solution_agrees_with_torch(solution, name, training):
    case = ALL_CASES[name]
    x = case["x"]
    bn = (torch.nn.BatchNorm2d if x.ndim == 4 else torch.nn.BatchNorm1d)(
        x.shape[1], eps=case["eps"], momentum=case["momentum"], dtype=torch.float64)
    with torch.no_grad():
        for attribute, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "running_mean"),
                               ("running_var", "running_var")):
            getattr(bn, attribute).copy_(_t(case[key]))
    bn.train(training)
    expected = bn(_t(x)).detach().numpy()
    out, mean, var = solution.batchnorm_forward(x, case["gamma"], case["beta"], case["running_mean"],
                                                case["running_var"], training,
                                                momentum=case["momentum"], eps=case["eps"])
    np.testing.assert_allclose(out, expected, atol=1e-10)
    np.testing.assert_allclose(mean, bn.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(var, bn.running_var.numpy(), atol=1e-12)


def test_dropout_solution_replays_torch(solution):
    x = PUBLIC["dropout"]["x"]
    torch.manual_seed(0)
    expected = F.dropout(_t(x), p=0.25, training=True).numpy()
    np.testing.assert_allclose(solution.dropout_forward(x, 0.25, True, mask=expected != 0), expected)
    out = solution.dropout_forward(HIDDEN["dropout_big"]["x"], 0.3, True)
    assert abs((out == 0).mean() - 0.3) < 0.015


@pytest.mark.parametrize("name", sorted(n for n in ALL_CASES if "grad_cam" in n))
def test_grad_cam_solution_agrees_with_the_package(solution, name):
    cam = pytest.importorskip("pytorch_grad_cam", reason="the oracle comes with the test-full extra")
    from pytorch_grad_cam.utils.image import scale_cam_image

    GradCAM = cam.GradCAM
    case = ALL_CASES[name]
    layer = torch.nn.Conv2d(1, 1, 1)
    package = GradCAM(model=torch.nn.Sequential(layer), target_layers=[layer])
    raw = package.get_cam_image(None, layer, None, case["activations"], case["gradients"])
    expected = scale_cam_image(np.maximum(raw, 0))  # the package's own steps, at layer size
    np.testing.assert_allclose(solution.grad_cam(case["activations"], case["gradients"]), expected,
                               atol=1e-5)


def test_points_add_up_to_the_assignment_total():
    public = marked_points(OPS / "tests" / "public" / "test_public.py")
    hidden = marked_points(OPS / "tests" / "hidden" / "test_hidden.py")
    assert sum(public.values()) == 40 and sum(hidden.values()) == 60  # as README.md says


def test_hidden_cases_cover_what_public_ones_do_not():
    conv_public = [c for n, c in PUBLIC.items() if n.startswith("conv")]
    assert all("bias" in c and c["weight"].shape[2] == c["weight"].shape[3] > 1 for c in conv_public)
    assert "bias" not in HIDDEN["conv_multi"]  # no bias
    assert HIDDEN["conv_multi"]["weight"].shape[2:] == (3, 4)  # non-square
    assert HIDDEN["conv_1x1"]["weight"].shape[2:] == (1, 1)
    assert HIDDEN["conv_stride3"]["stride"] == 3 > max(c["stride"] for c in conv_public)
    assert HIDDEN["pool_overlap"]["stride"] < HIDDEN["pool_overlap"]["kernel_size"]
    assert HIDDEN["pool_ragged"]["x"].shape[2] % HIDDEN["pool_ragged"]["kernel_size"]
    assert HIDDEN["bn4d"]["x"].ndim == 4 and PUBLIC["bn"]["x"].ndim == 2
    assert "mask" not in HIDDEN["dropout_big"]
    negative = HIDDEN["grad_cam_negative"]
    assert (np.einsum("nc,nchw->nhw", negative["gradients"].mean(axis=(2, 3)), negative["activations"]) < 0).all()


def test_starter_raises_not_implemented():
    starter = load_module(OPS / "starter" / "ops.py", "ops_starter")
    x = np.zeros((1, 1, 2, 2))
    for call in (lambda: starter.conv2d(x, x), lambda: starter.max_pool2d(x, 2),
                 lambda: starter.batchnorm_forward(x, [1], [0], [0], [1], True),
                 lambda: starter.dropout_forward(x, 0.5, True), lambda: starter.grad_cam(x, x)):
        with pytest.raises(NotImplementedError):
            call()


# Points each example loses, test by test, from its one bug (see the module docstring's table):
# a flipped kernel fails every convolution except the 1x1 one, which flipping leaves unchanged;
# dropout without rescaling fails the masked test and the rescaling part of the hidden one;
# batch statistics at inference fail the two inference checks.
EXPECTED_LOSSES = {
    "correct": {},
    "flipped_kernel": {"test_conv2d_lecture_example": 5, "test_conv2d": 10, "test_conv2d_hidden": 10},
    "dropout_no_rescale": {"test_dropout_with_mask": 5, "test_dropout_hidden": 10 / 3},
    "bn_batch_stats_at_test": {"test_batchnorm_inference": 5, "test_batchnorm_hidden": 5},
}


def test_examples_solution_and_starter_are_graded_as_designed(tmp_path):
    subs = tmp_path / "subs"
    for name in EXPECTED_LOSSES:
        shutil.copytree(EXAMPLES / name, subs / name)
    for name in ("solution", "starter"):
        shutil.copytree(OPS / name, subs / name)
    summary = grade("ops", subs, tmp_path / "out", jobs=2, limits=FAST_LIMITS, write_reports=False)
    records = {r["student"]: r for r in summary.records}
    assert (records["solution"]["score"], records["starter"]["score"]) == (100, 0)
    for name, losses in EXPECTED_LOSSES.items():
        lost = {t["test"]: t["max_points"] - t["points"] for t in records[name]["tests"]
                if t["points"] < t["max_points"]}
        assert lost == pytest.approx(losses), name
        assert records[name]["score"] == pytest.approx(100 - sum(losses.values()))
