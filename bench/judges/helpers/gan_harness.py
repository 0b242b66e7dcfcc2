"""cnnlab's worker-side harness of the ``gan`` assignment (``[sandbox] helpers``).

Models cannot cross into the sandbox, only numbers and arrays. So this module builds a tiny
DCGAN pair there (seeded: the grader builds the same pair from the same seed with this very
module), calls the student's ``gan.py`` on it, and returns what the tests compare with
``cnnlab.reference.gan``: losses, the weights after a step, and whether gradients reached the
network a step must leave alone. It imports only numpy and torch, never cnnlab.

Networks (``models(seed)``): noise ``(N, 8)`` -> generator -> ``(N, 1, 8, 8)`` in [-1, 1];
image -> discriminator -> one logit ``(N, 1)``::

    G: ConvT(8, 16, 4, 1, 0) -> BN -> ReLU -> ConvT(16, 1, 4, 2, 1) -> tanh
    D: Conv(1, 8, 4, 2, 1) -> LReLU(0.2) -> Conv(8, 16, 3, 1, 1) -> BN -> LReLU(0.2)
       -> Conv(16, 1, 4, 1, 0) -> flatten
"""

import importlib

import numpy as np

NZ = 8
LR = 1e-2  # large enough that every mistake moves the weights visibly after one step
LEFTOVER = 0.5  # the value gradients left over from "an earlier backward pass" hold


def _student():
    return importlib.import_module("gan")


def models(seed):
    """The generator and discriminator with torch's default initialisation from ``seed``."""
    import torch
    from torch import nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                nn.ConvTranspose2d(16, 1, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, z):
            return self.main(z if z.dim() == 4 else z[:, :, None, None])

    torch.manual_seed(int(seed))
    generator = Generator()
    discriminator = nn.Sequential(
        nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(8, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
        nn.Conv2d(16, 1, 4, 1, 0, bias=False), nn.Flatten())
    return generator, discriminator


def optimizers(generator, discriminator):
    """Adam(lr=0.01, betas=(0.5, 0.999)), one per network."""
    import torch

    return (torch.optim.Adam(generator.parameters(), lr=LR, betas=(0.5, 0.999)),
            torch.optim.Adam(discriminator.parameters(), lr=LR, betas=(0.5, 0.999)))


def fill_grads(model):
    """Give every parameter a gradient of LEFTOVER, as an earlier backward pass would."""
    import torch

    for p in model.parameters():
        p.grad = torch.full_like(p, LEFTOVER)


def weights(model):
    """The parameters of ``model`` as float64 arrays, in registration order."""
    return [p.detach().numpy().astype(np.float64) for p in model.parameters()]


def _tensor(x):
    import torch

    return torch.from_numpy(np.ascontiguousarray(np.asarray(x, dtype=np.float32)))


def _scalar(value, what):
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError(f"{what} must return a scalar torch tensor, got {type(value).__name__}")
    return float(value.detach())


def losses(real_logits, fake_logits, real_label):
    """The student's ``discriminator_loss`` and ``generator_loss`` on these logits."""
    student = _student()
    real, fake = _tensor(real_logits), _tensor(fake_logits)
    return {"d": _scalar(student.discriminator_loss(real, fake, real_label=float(real_label)),
                         "discriminator_loss"),
            "g": _scalar(student.generator_loss(fake), "generator_loss")}


def _grad_reached(model):
    return any(p.grad is not None and bool((p.grad != 0).any()) for p in model.parameters())


def d_step(seed, real, z, real_label, leftover):
    """One student ``discriminator_step``; ``leftover`` fills D's gradients first."""
    generator, discriminator = models(seed)
    _, d_opt = optimizers(generator, discriminator)
    if leftover:
        fill_grads(discriminator)
    g_before = weights(generator)
    loss = _student().discriminator_step(generator, discriminator, d_opt, _tensor(real), _tensor(z),
                                         real_label=float(real_label))
    g_after = weights(generator)
    return {"loss": float(loss), "d_after": weights(discriminator),
            "g_changed": not all(np.array_equal(a, b) for a, b in zip(g_before, g_after, strict=True)),
            "g_grad": _grad_reached(generator)}


def g_step(seed, z, leftover):
    """One student ``generator_step``; ``leftover`` fills both networks' gradients first."""
    generator, discriminator = models(seed)
    g_opt, _ = optimizers(generator, discriminator)
    if leftover:
        fill_grads(generator)
        fill_grads(discriminator)
    d_before = weights(discriminator)
    loss = _student().generator_step(generator, discriminator, g_opt, _tensor(z))
    d_after = weights(discriminator)
    return {"loss": float(loss), "g_after": weights(generator),
            "d_changed": not all(np.array_equal(a, b) for a, b in zip(d_before, d_after, strict=True))}


def train(seed, reals, noises, real_label):
    """``len(reals)`` consecutive student ``train_step`` calls with the same two optimizers.

    ``reals`` is ``(steps, k, N, 1, 8, 8)`` and ``noises`` ``(steps, k + 1, N, 8)``.
    """
    generator, discriminator = models(seed)
    g_opt, d_opt = optimizers(generator, discriminator)
    out = []
    for step_reals, step_noises in zip(reals, noises, strict=True):
        result = _student().train_step(generator, discriminator, g_opt, d_opt,
                                       [_tensor(r) for r in step_reals],
                                       [_tensor(z) for z in step_noises],
                                       real_label=float(real_label))
        out.append([float(v) for v in result])
    return {"losses": out, "g_after": weights(generator), "d_after": weights(discriminator)}
