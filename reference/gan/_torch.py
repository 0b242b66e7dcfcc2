"""The GAN training loop as taught, in PyTorch (twin of ``_keras.py``).

One alternating step: ``k`` discriminator steps, each on a real batch (target 1, or the smoothed
``real_label``) and on fakes from fresh noise that are *detached* (target 0), then one generator
step that asks the discriminator to call new fakes real (the non-saturating loss
``-log D(G(z))``). Each optimizer steps only its own network; gradients are zeroed before each
backward pass. Discriminators return logits; every loss is a binary cross-entropy on logits.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._common import ADAM, INIT_STD, StepLosses, check_step_inputs


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *,
                       real_label: float = 1.0) -> torch.Tensor:
    """``BCE(D(x), real_label) + BCE(D(G(z)), 0)``, each averaged over its batch.

    Parameters
    ----------
    real_logits, fake_logits : torch.Tensor
        Discriminator logits on real images and on generated ones.
    real_label : float, default=1.0
        Target of the real images; 0.9 is one-sided label smoothing.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ``BCE(D(G(z)), 1) = -mean log sigmoid(logit)``.

    Parameters
    ----------
    fake_logits : torch.Tensor
        Discriminator logits on generated images.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def _noise(z: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32))[:, :, None, None]


def _images(x: np.ndarray) -> torch.Tensor:
    """NHWC numpy (the framework-free layout of cnnlab's data) to an NCHW tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(x, np.float32).transpose(0, 3, 1, 2)))


def discriminator_step(generator, discriminator, d_opt, real, z, *, real_label: float = 1.0):
    """One update of the discriminator; the generator is not changed.

    Returns
    -------
    (float, float, float)
        The loss, and the mean ``D(x)`` and ``D(G(z))`` probabilities before the update.
    """
    d_opt.zero_grad(set_to_none=True)
    with torch.no_grad():  # detached fakes: no gradient flows into the generator
        fake = generator(_noise(z))
    real_logits = discriminator(_images(real))
    fake_logits = discriminator(fake)
    loss = discriminator_loss(real_logits, fake_logits, real_label=real_label)
    loss.backward()
    d_opt.step()
    return (loss.item(), torch.sigmoid(real_logits).mean().item(),
            torch.sigmoid(fake_logits).mean().item())


def generator_step(generator, discriminator, g_opt, z):
    """One update of the generator through a fixed discriminator.

    The discriminator's parameters receive gradients here but are not stepped (``g_opt`` holds
    only the generator's); the next discriminator step zeroes them.
    """
    g_opt.zero_grad(set_to_none=True)
    loss = generator_loss(discriminator(generator(_noise(z))))
    loss.backward()
    g_opt.step()
    return loss.item()


def train_step(generator, discriminator, g_opt, d_opt, reals, noises, *, real_label: float = 1.0):
    """One alternating step: ``len(reals)`` discriminator steps, then one generator step.

    Parameters
    ----------
    generator, discriminator : torch.nn.Module
        In training mode.
    g_opt, d_opt : torch.optim.Optimizer
        Over the generator's and the discriminator's parameters.
    reals : sequence of ndarray
        ``k`` real batches, NHWC float32 in [-1, 1].
    noises : sequence of ndarray
        ``k + 1`` noise batches ``(N, nz)``: one per discriminator step and one for the generator.
    real_label : float, default=1.0

    Returns
    -------
    StepLosses
    """
    check_step_inputs(reals, noises, real_label)
    d_losses, d_real, d_fake = [], [], []
    for real, z in zip(reals, noises[:-1], strict=True):
        loss, p_real, p_fake = discriminator_step(generator, discriminator, d_opt, real, z,
                                                  real_label=real_label)
        d_losses.append(loss)
        d_real.append(p_real)
        d_fake.append(p_fake)
    g_loss = generator_step(generator, discriminator, g_opt, noises[-1])
    return StepLosses(d_loss=float(np.mean(d_losses)), g_loss=g_loss,
                      d_real=float(np.mean(d_real)), d_fake=float(np.mean(d_fake)))


def optimizers(generator, discriminator, *, lr: float = ADAM["lr"]):
    """Adam(lr, betas=(0.5, 0.999)) for each network (the DCGAN paper's settings)."""
    make = lambda m: torch.optim.Adam(m.parameters(), lr=lr, betas=(ADAM["beta_1"], ADAM["beta_2"]),  # noqa: E731
                                      eps=ADAM["epsilon"])
    return make(generator), make(discriminator)


def init_weights(model, *, seed: int) -> None:
    """DCGAN initialisation (in place): kernels N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
                module.weight.normal_(0.0, INIT_STD, generator=gen)
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.normal_(1.0, INIT_STD, generator=gen)
                module.bias.zero_()


def generate(generator, z: np.ndarray) -> np.ndarray:
    """Images from noise ``(N, nz)`` in inference mode, as NHWC float32 in [-1, 1]."""
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        out = generator(_noise(z)).numpy().transpose(0, 2, 3, 1)
    generator.train(was_training)
    return np.ascontiguousarray(out)


def seed(value: int) -> None:
    """Seed torch's global generator (dropout-free models: only for reproducible builds)."""
    torch.manual_seed(value)
