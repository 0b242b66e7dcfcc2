"""The GAN training loop as taught, in Keras 3 (twin of ``_torch.py``).

Gradients are taken with ``tf.GradientTape`` inside a ``tf.function`` per step, so this loop
runs on the TensorFlow backend (the default); the networks themselves build on every backend. Each ``apply_gradients`` call sees
only its own network's variables, which is Keras' way of saying what torch says with one
optimizer per network; fakes for the discriminator step come from a forward pass outside the
tape, which is what ``.detach()`` does in torch.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnlab.errors import UsageError

from ._common import ADAM, INIT_STD, StepLosses, check_step_inputs


def _tf():
    if keras.backend.backend() != "tensorflow":
        raise UsageError("the Keras GAN loop needs KERAS_BACKEND=tensorflow (it uses "
                         f"tf.GradientTape); this process runs {keras.backend.backend()!r}")
    import tensorflow as tf

    return tf


def _bce_with_logits(logits, target: float):
    # max(l, 0) - l * t + log(1 + exp(-|l|)): the stable form torch uses too
    ops = keras.ops
    return ops.mean(ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))


def discriminator_loss(real_logits, fake_logits, *, real_label: float = 1.0):
    """``BCE(D(x), real_label) + BCE(D(G(z)), 0)``, each averaged over its batch.

    Parameters
    ----------
    real_logits, fake_logits : tensor
        Discriminator logits on real images and on generated ones.
    real_label : float, default=1.0
        Target of the real images; 0.9 is one-sided label smoothing.

    Returns
    -------
    tensor
        A scalar.
    """
    return _bce_with_logits(real_logits, real_label) + _bce_with_logits(fake_logits, 0.0)


def generator_loss(fake_logits):
    """The non-saturating generator loss ``BCE(D(G(z)), 1) = -mean log sigmoid(logit)``.

    Parameters
    ----------
    fake_logits : tensor
        Discriminator logits on generated images.

    Returns
    -------
    tensor
        A scalar.
    """
    return _bce_with_logits(fake_logits, 1.0)


def _noise(z):
    return np.ascontiguousarray(np.asarray(z, np.float32)[:, None, None, :])


def _compiled(kind, optimizer, generator, discriminator, real_label, make):
    """The ``tf.function`` of one step, kept on its optimizer for these very networks.

    Eager steps cost about 1 s each on a busy 2-core machine; compiled, a fraction of it. The
    cache entry holds the networks themselves and is reused only for the same objects.
    """
    tf = _tf()
    cache = optimizer.__dict__.setdefault("_cnnlab_gan_steps", {})
    entry = cache.get((kind, real_label))
    if entry is None or entry[0] is not generator or entry[1] is not discriminator:
        if not optimizer.built:
            trained = discriminator if kind == "d" else generator
            optimizer.build(trained.trainable_variables)
        entry = (generator, discriminator, tf.function(make(tf), reduce_retracing=True))
        cache[(kind, real_label)] = entry
    return entry[2]


def discriminator_step(generator, discriminator, d_opt, real, z, *, real_label: float = 1.0):
    """One update of the discriminator; the generator is not changed.

    Returns
    -------
    (float, float, float)
        The loss, and the mean ``D(x)`` and ``D(G(z))`` probabilities before the update.
    """
    def make(tf):
        def step(real, noise):
            fake = generator(noise, training=True)  # outside the tape: detached
            with tf.GradientTape() as tape:
                real_logits = discriminator(real, training=True)
                fake_logits = discriminator(fake, training=True)
                loss = discriminator_loss(real_logits, fake_logits, real_label=real_label)
            variables = discriminator.trainable_variables
            d_opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
            sig = keras.ops.sigmoid
            return loss, keras.ops.mean(sig(real_logits)), keras.ops.mean(sig(fake_logits))

        return step

    step = _compiled("d", d_opt, generator, discriminator, float(real_label), make)
    loss, p_real, p_fake = step(np.asarray(real, np.float32), _noise(z))
    return float(loss), float(p_real), float(p_fake)


def generator_step(generator, discriminator, g_opt, z):
    """One update of the generator through a fixed discriminator (only G's variables change)."""
    def make(tf):
        def step(noise):
            with tf.GradientTape() as tape:
                loss = generator_loss(discriminator(generator(noise, training=True), training=True))
            variables = generator.trainable_variables
            g_opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
            return loss

        return step

    return float(_compiled("g", g_opt, generator, discriminator, 1.0, make)(_noise(z)))


def train_step(generator, discriminator, g_opt, d_opt, reals, noises, *, real_label: float = 1.0):
    """One alternating step: ``len(reals)`` discriminator steps, then one generator step.

    Parameters
    ----------
    generator, discriminator : keras.Model
    g_opt, d_opt : keras.optimizers.Optimizer
        One per network.
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
    """Adam(lr, beta_1=0.5, epsilon=1e-8) for each network (the DCGAN paper's settings)."""
    def make():
        return keras.optimizers.Adam(learning_rate=lr, beta_1=ADAM["beta_1"],
                                     beta_2=ADAM["beta_2"], epsilon=ADAM["epsilon"])

    return make(), make()


def init_weights(model, *, seed: int) -> None:
    """DCGAN initialisation (in place): kernels N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("Conv2D", "Conv2DTranspose", "Dense"):
            layer.kernel.assign(rng.normal(0.0, INIT_STD, tuple(layer.kernel.shape)).astype(np.float32))
        elif kind == "BatchNormalization":
            layer.gamma.assign(rng.normal(1.0, INIT_STD, tuple(layer.gamma.shape)).astype(np.float32))
            layer.beta.assign(np.zeros(tuple(layer.beta.shape), np.float32))


def generate(generator, z: np.ndarray) -> np.ndarray:
    """Images from noise ``(N, nz)`` in inference mode, as NHWC float32 in [-1, 1]."""
    out = generator(_noise(z), training=False)
    return np.ascontiguousarray(keras.ops.convert_to_numpy(out), dtype=np.float32)


def seed(value: int) -> None:
    """Seed Keras' global generators (for reproducible builds)."""
    keras.utils.set_random_seed(value)
