"""Training a GAN in PyTorch: the two losses and one alternating step.

Discriminators here return *logits* (one per image, shape (N, 1)); D(x) = sigmoid(logit).
Use a binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits):
it is the numerically safe form of -[t log D(x) + (1 - t) log(1 - D(x))].
"""

import torch  # noqa: F401
import torch.nn.functional as F  # noqa: F401


def discriminator_loss(real_logits, fake_logits, *, real_label=1.0):
    """Binary cross-entropy of real images against ``real_label`` plus that of fakes against 0,
    each averaged over its batch. Returns a scalar tensor."""
    raise NotImplementedError


def generator_loss(fake_logits):
    """The non-saturating generator loss: the fakes' cross-entropy against the label *real*
    (that is -log D(G(z)), averaged). Returns a scalar tensor."""
    raise NotImplementedError


def discriminator_step(generator, discriminator, d_opt, real, z, *, real_label=1.0):
    """Update the discriminator once on ``real`` (N, C, H, W) and on fakes made from ``z``
    (N, nz). Leave the generator alone. Returns the loss as a float."""
    raise NotImplementedError


def generator_step(generator, discriminator, g_opt, z):
    """Update the generator once so that the discriminator calls its fakes of ``z`` real. Leave
    the discriminator alone. Returns the loss as a float."""
    raise NotImplementedError


def train_step(generator, discriminator, g_opt, d_opt, reals, noises, *, real_label=1.0):
    """One alternating step: a discriminator step for each batch of ``reals`` (k of them, with
    noise ``noises[i]``), then one generator step with ``noises[-1]``. Returns
    ``(mean discriminator loss, generator loss)`` as floats."""
    raise NotImplementedError
