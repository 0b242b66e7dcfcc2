"""Public tests of the gan assignment: students get these with the starter code."""

import pytest


@pytest.mark.points(8)
def test_discriminator_loss(harness, check, public_cases, reference):
    """BCE of the real logits against 1 plus that of the fake logits against 0."""
    real, fake = public_cases["logits"]["real"], public_cases["logits"]["fake"]
    got = harness.losses(real, fake, 1.0)["d"]
    check.close(got, reference.losses(real, fake, 1.0)["d"], "discriminator_loss",
          check.d_loss_hint(got, real, fake, 1.0))


@pytest.mark.points(8)
def test_generator_loss(harness, check, public_cases, reference):
    """The non-saturating loss -log D(G(z))."""
    real, fake = public_cases["logits"]["real"], public_cases["logits"]["fake"]
    got = harness.losses(real, fake, 1.0)["g"]
    check.close(got, reference.losses(real, fake, 1.0)["g"], "generator_loss", check.g_loss_hint(got, fake))


@pytest.mark.points(8)
def test_discriminator_step(harness, check, public_cases, reference):
    """One discriminator update from fresh networks matches the reference."""
    case = public_cases["step"]
    real, z = case["real"][0, 0], case["noise"][0, 0]
    got = harness.d_step(case["seed"], real, z, 1.0, False)
    check.same_weights(got["d_after"], reference.d_step(case["seed"], real, z, 1.0)["d_after"],
                 "discriminator_step", "the discriminator's weights differ from the reference "
                 "(check the loss: real images against 1, detached fakes against 0)")


@pytest.mark.points(8)
def test_generator_step(harness, check, public_cases, reference):
    """One generator update from fresh networks matches the reference."""
    case = public_cases["step"]
    z = case["noise"][0, 2]
    got = harness.g_step(case["seed"], z, False)
    check.same_weights(got["g_after"], reference.g_step(case["seed"], z)["g_after"], "generator_step",
                 "the generator's weights differ from the reference (check the generator loss: "
                 "the fakes against the label 1)")


@pytest.mark.points(8)
def test_train_step(harness, check, public_cases, reference):
    """One alternating step with two discriminator steps matches the reference."""
    case = public_cases["step"]
    reals, noises = case["real"][:1], case["noise"][:1]
    got = harness.train(case["seed"], reals, noises, 1.0)
    expected = reference.train(case["seed"], reals, noises, 1.0)
    check.same_weights(got["d_after"], expected["d_after"], "train_step (discriminator)",
                 "the discriminator ends elsewhere: are its gradients zeroed before each "
                 "backward pass, and is it stepped only in its own steps?")
    check.same_weights(got["g_after"], expected["g_after"], "train_step (generator)",
                 "the generator ends elsewhere than the reference")
