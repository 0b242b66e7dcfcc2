"""Hidden tests of the gan assignment: networks, logits, images and noise drawn at grading time;
label smoothing; gradients left over from an earlier backward pass; what each step must leave
alone; two consecutive alternating steps with two discriminator steps each."""

import pytest


@pytest.mark.points(8)
def test_discriminator_loss_hidden(harness, check, drawn, reference, credit):
    real, fake = drawn["logits/real"], drawn["logits/fake"]
    for label in (1.0, 0.9):
        with credit.part(1, f"real_label={label}"):
            got = harness.losses(real, fake, label)["d"]
            check.close(got, reference.losses(real, fake, label)["d"], f"discriminator_loss, real_label={label}",
                  check.d_loss_hint(got, real, fake, label))


@pytest.mark.points(8)
def test_generator_loss_hidden(harness, check, drawn, reference):
    real, fake = drawn["logits/real"], drawn["logits/fake"]  # a confident discriminator
    got = harness.losses(real, fake, 1.0)["g"]
    check.close(got, reference.losses(real, fake, 1.0)["g"], "generator_loss", check.g_loss_hint(got, fake))


@pytest.mark.points(10)
def test_discriminator_step_hidden(harness, check, drawn, reference, credit):
    seed, real, z = drawn["step/seed"], drawn["step/real"][0, 0], drawn["step/noise"][0, 0]
    expected = reference.d_step(seed, real, z, 0.9)["d_after"]
    with credit.part(1, "fresh gradients"):
        check.same_weights(harness.d_step(seed, real, z, 0.9, False)["d_after"], expected,
                     "discriminator_step", "the discriminator's weights differ from the reference")
    with credit.part(1, "left-over gradients"):
        check.same_weights(harness.d_step(seed, real, z, 0.9, True)["d_after"], expected,
                     "discriminator_step after an earlier backward pass",
                     "gradients are not zeroed: the parameters held gradients from an earlier "
                     "backward pass, and backward() adds to them; call d_opt.zero_grad() first")


@pytest.mark.points(8)
def test_discriminator_step_leaves_the_generator_alone(harness, check, drawn):
    seed, real, z = drawn["step/seed"], drawn["step/real"][0, 1], drawn["step/noise"][0, 1]
    got = harness.d_step(seed, real, z, 1.0, False)
    assert not got["g_changed"], "discriminator_step changed the generator's weights"
    assert not got["g_grad"], ("the fakes are not detached: the discriminator's loss sent gradients "
                               "into the generator (use generator(z).detach() or torch.no_grad())")


@pytest.mark.points(10)
def test_generator_step_hidden(harness, check, drawn, reference, credit):
    seed, z = drawn["step/seed"], drawn["step/noise"][1, 2]
    expected = reference.g_step(seed, z)["g_after"]
    with credit.part(1, "fresh gradients"):
        check.same_weights(harness.g_step(seed, z, False)["g_after"], expected, "generator_step",
                     "the generator's weights differ from the reference")
    with credit.part(1, "left-over gradients"):
        check.same_weights(harness.g_step(seed, z, True)["g_after"], expected,
                     "generator_step after an earlier backward pass",
                     "gradients are not zeroed: call g_opt.zero_grad() before backward()")


@pytest.mark.points(6)
def test_generator_step_leaves_the_discriminator_alone(harness, check, drawn):
    got = harness.g_step(drawn["step/seed"], drawn["step/noise"][1, 0], True)
    assert not got["d_changed"], ("generator_step changed the discriminator's weights: only the "
                                  "generator's optimizer may step in the generator step")


@pytest.mark.points(10)
def test_two_alternating_steps(harness, check, drawn, reference, credit):
    seed, reals, noises = drawn["step/seed"], drawn["step/real"], drawn["step/noise"]
    got = harness.train(seed, reals, noises, 0.9)
    expected = reference.train(seed, reals, noises, 0.9)
    with credit.part(1, "discriminator"):
        check.same_weights(got["d_after"], expected["d_after"], "train_step (discriminator)",
                     "the discriminator ends elsewhere: are its gradients zeroed before each "
                     "backward pass, and is it stepped only in its own steps?")
    with credit.part(1, "generator"):
        check.same_weights(got["g_after"], expected["g_after"], "train_step (generator)",
                     "the generator ends elsewhere than the reference")
