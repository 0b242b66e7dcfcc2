"""The gan assignment: the solution equals cnnlab's reference loop (itself tested against numpy
and against Keras in tests/gan), the points add up, and example submissions lose exactly the
points of their mistake.

Points (tests/public 40, tests/hidden 60): public D loss 8, G loss 8, D step 8, G step 8, train
step 8; hidden D loss 8 (2 parts), G loss 8, D step 10 (fresh / left-over gradients), D step
leaves G alone 8, G step 10 (2 parts), G step leaves D alone 6, two alternating steps 10 (2).

All six examples and their scores: correct 100, fakes_not_detached 92, g_step_updates_d 82,
grads_not_zeroed 72, labels_swapped 48, saturating_g_loss 48 (``cnnlab demo`` grades them all;
here four, to keep the sandbox's torch imports few).
"""

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnlab import paths
from cnnlab.bench.grading import grade
from cnnlab.bench.judges.helpers import gan_harness as H
from cnnlab.reference.gan import _torch as R

from ..conftest import load_module
from .conftest import marked_points

GAN = paths.bundled_assignments() / "gan"
EXAMPLES = paths.examples_dir() / "gan"




def test_points_add_up_to_the_assignment_total():
    public = marked_points(GAN / "tests" / "public" / "test_public.py")
    hidden = marked_points(GAN / "tests" / "hidden" / "test_hidden.py")
    assert sum(public.values()) == 40 and sum(hidden.values()) == 60  # as README.md says


def test_solution_steps_equal_the_reference_loop():
    solution = load_module(GAN / "solution" / "gan.py", "gan_solution")
    rng = np.random.default_rng(0)
    reals = [rng.uniform(-1, 1, (4, 1, 8, 8)).astype(np.float32) for _ in range(2)]
    noises = [rng.standard_normal((4, H.NZ)).astype(np.float32) for _ in range(3)]
    (g1, d1), (g2, d2) = H.models(7), H.models(7)
    opt1, opt2 = H.optimizers(g1, d1), H.optimizers(g2, d2)
    got = solution.train_step(g1, d1, *opt1, [torch.from_numpy(r) for r in reals],
                              [torch.from_numpy(z) for z in noises], real_label=0.9)
    ref = R.train_step(g2, d2, *opt2, [r.transpose(0, 2, 3, 1) for r in reals], noises, real_label=0.9)
    assert got == pytest.approx((ref.d_loss, ref.g_loss), rel=1e-6)
    for a, b in zip(H.weights(g1) + H.weights(d1), H.weights(g2) + H.weights(d2), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_starter_raises_not_implemented():
    starter = load_module(GAN / "starter" / "gan.py", "gan_starter")
    with pytest.raises(NotImplementedError):
        starter.generator_loss(torch.zeros(2, 1))


# Points each example loses, test by test (see the docstring's table).
EXPECTED_LOSSES = {
    "correct": {},
    # log(1 - D(G(z))): both G-loss tests, every G update, the alternating steps
    "saturating_g_loss": {"test_generator_loss": 8, "test_generator_step": 8, "test_train_step": 8,
                          "test_generator_loss_hidden": 8, "test_generator_step_hidden": 10,
                          "test_two_alternating_steps": 10},
    # only wasteful while gradients are zeroed: the weights are right, G receives gradient
    "fakes_not_detached": {"test_discriminator_step_leaves_the_generator_alone": 8},
    # fresh steps are right; left-over gradients and consecutive steps are not
    "grads_not_zeroed": {"test_train_step": 8, "test_discriminator_step_hidden": 5,
                         "test_generator_step_hidden": 5, "test_two_alternating_steps": 10},
}


def test_examples_are_graded_as_designed(tmp_path):
    subs = tmp_path / "subs"
    for name in EXPECTED_LOSSES:
        shutil.copytree(EXAMPLES / name, subs / name)
    summary = grade("gan", subs, tmp_path / "out", jobs=2, limits={"call_timeout_s": 60},
                    write_reports=False)
    records = {r["student"]: r for r in summary.records}
    for name, losses in EXPECTED_LOSSES.items():
        lost = {t["test"]: t["max_points"] - t["points"] for t in records[name]["tests"]
                if t["points"] < t["max_points"]}
        assert lost == pytest.approx(losses), name
        assert records[name]["score"] == pytest.approx(100 - sum(losses.values()))
    message = next(t["message"] for t in records["saturating_g_loss"]["tests"]
                   if t["test"] == "test_generator_loss")
    assert "saturating loss log(1 - D(G(z)))" in message
