"""Fixtures of the gan assignment's tests: the public cases, the harness that runs the student's
functions on a small DCGAN pair in the sandbox (cnnlab's ``gan_harness`` helper), and the
reference results (``cnnlab.reference.gan._torch``) on the same networks, built here from the same
seed by the same harness module.

Each failure message names the mistake its numbers point to; its first line is all a hidden test
shows.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlab.bench.judges.cases import load_cases
from cnnlab.bench.judges.helpers import gan_harness as H
from cnnlab.reference.gan import _torch as R

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def public_cases():
    return load_cases(FIXTURES / "public" / "cases.npz")


@pytest.fixture(scope="session")
def drawn():
    """Seeds, logits, images and noise drawn now, at grading time."""
    rng = np.random.default_rng()
    return {
        "logits/real": rng.normal(3.0, 2.0, (32, 1)).astype(np.float32),  # a confident D
        "logits/fake": rng.normal(-4.0, 2.0, (32, 1)).astype(np.float32),
        "step/seed": int(rng.integers(1, 2**31 - 1)),
        "step/real": rng.uniform(-1, 1, (2, 2, 5, 1, 8, 8)).astype(np.float32),
        "step/noise": rng.standard_normal((2, 3, 5, 8)).astype(np.float32),
    }


@pytest.fixture
def harness(student):
    """``harness.<function>(...)`` runs cnnlab's ``gan_harness`` in the sandbox."""
    return student.gan_harness


def _nhwc(x):
    return np.asarray(x, np.float32).transpose(0, 2, 3, 1)


def _bce(logits, target):
    t = torch.from_numpy(np.asarray(logits, np.float32))
    return float(F.binary_cross_entropy_with_logits(t, torch.full_like(t, target)))


class Reference:
    """The reference results on the harness's networks (built here, in the grader)."""

    def losses(self, real, fake, real_label):
        r, f = torch.from_numpy(real), torch.from_numpy(fake)
        return {"d": float(R.discriminator_loss(r, f, real_label=real_label)),
                "g": float(R.generator_loss(f))}

    def d_step(self, seed, real, z, real_label):
        g, d = H.models(seed)
        _, d_opt = H.optimizers(g, d)
        loss, _, _ = R.discriminator_step(g, d, d_opt, _nhwc(real), z, real_label=real_label)
        return {"loss": loss, "d_after": H.weights(d)}

    def g_step(self, seed, z):
        g, d = H.models(seed)
        g_opt, _ = H.optimizers(g, d)
        loss = R.generator_step(g, d, g_opt, z)
        return {"loss": loss, "g_after": H.weights(g)}

    def train(self, seed, reals, noises, real_label):
        g, d = H.models(seed)
        g_opt, d_opt = H.optimizers(g, d)
        out = []
        for step_reals, step_noises in zip(reals, noises, strict=True):
            s = R.train_step(g, d, g_opt, d_opt, [_nhwc(r) for r in step_reals], list(step_noises),
                             real_label=real_label)
            out.append([s.d_loss, s.g_loss])
        return {"losses": out, "g_after": H.weights(g), "d_after": H.weights(d)}


@pytest.fixture(scope="session")
def reference():
    return Reference()


def same_weights(got, expected, what, hint):
    assert isinstance(got, list) and len(got) == len(expected), f"{what}: the harness sent no weights"
    worst = max(float(np.max(np.abs(np.asarray(g) - e))) for g, e in zip(got, expected, strict=True))
    assert worst <= 1e-5, f"{what}: {hint}\nlargest weight difference from the reference {worst:.3g}"


def close(got, expected, what, hint):
    assert isinstance(got, float) and np.isfinite(got), f"{what}: expected a finite number, got {got!r}"
    assert abs(got - expected) <= 1e-4 * max(1.0, abs(expected)), \
        f"{what}: {hint}\ngot {got:.6g}, expected {expected:.6g}"


def d_loss_hint(got, real, fake, real_label):
    """Name the mistake a wrong discriminator loss points to."""
    swapped = _bce(real, 0.0) + _bce(fake, real_label)
    if abs(got - swapped) <= 1e-4 * max(1.0, abs(swapped)):
        return ("real and fake labels are swapped: real images are the positives (label 1 or "
                "real_label), fakes the negatives (label 0)")
    if abs(got - (_bce(real, 1.0) + _bce(fake, 0.0))) <= 1e-4 and real_label != 1.0:
        return "real_label is ignored: the real images' target must be real_label (label smoothing)"
    return "wrong value: BCE(real logits, real_label) + BCE(fake logits, 0), each a batch mean"


def g_loss_hint(got, fake):
    """Name the mistake a wrong generator loss points to."""
    saturating = float(torch.log1p(-torch.sigmoid(torch.from_numpy(fake).double())).mean())
    if abs(got - saturating) <= 1e-4 * max(1.0, abs(saturating)):
        return ("this is the saturating loss log(1 - D(G(z))): when D rejects the fakes its "
                "gradient vanishes; minimise -log D(G(z)), the BCE of the fakes against label 1")
    if abs(got + _bce(fake, 1.0)) <= 1e-4 * max(1.0, _bce(fake, 1.0)):
        return "the sign is wrong: minimise -log D(G(z)) (a positive number)"
    return "wrong value: the BCE of the fake logits against the label 1 (-log D(G(z)))"


class Checks:
    close = staticmethod(close)
    same_weights = staticmethod(same_weights)
    d_loss_hint = staticmethod(d_loss_hint)
    g_loss_hint = staticmethod(g_loss_hint)


@pytest.fixture(scope="session")
def check():
    """``check.close``, ``check.same_weights`` and the hints that name a mistake."""
    return Checks()
