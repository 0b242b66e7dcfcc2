"""Reference solution of the gan assignment."""

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits, fake_logits, *, real_label=1.0):
    real_target = torch.full_like(real_logits, real_label)
    return (F.binary_cross_entropy_with_logits(real_logits, real_target)
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def discriminator_step(generator, discriminator, d_opt, real, z, *, real_label=1.0):
    d_opt.zero_grad()
    fake = generator(z).detach()
    loss = discriminator_loss(discriminator(real), discriminator(fake), real_label=real_label)
    loss.backward()
    d_opt.step()
    return loss.item()


def generator_step(generator, discriminator, g_opt, z):
    g_opt.zero_grad()
    loss = generator_loss(discriminator(generator(z)))
    loss.backward()
    g_opt.step()
    return loss.item()


def train_step(generator, discriminator, g_opt, d_opt, reals, noises, *, real_label=1.0):
    d_losses = [discriminator_step(generator, discriminator, d_opt, real, z, real_label=real_label)
                for real, z in zip(reals, noises[:-1], strict=True)]
    g_loss = generator_step(generator, discriminator, g_opt, noises[-1])
    return sum(d_losses) / len(d_losses), g_loss
