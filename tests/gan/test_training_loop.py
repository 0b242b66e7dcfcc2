"""The GAN training loop as taught, PyTorch and Keras side by side.

Oracles: the losses are checked against their definitions written out in numpy here
(``-log sigmoid`` and ``-log(1 - sigmoid)`` of the logits), and the two frameworks against each
other: from the same weights (ported), the same real batches and the same noise, both loops give
the same losses step after step, and the same generator weights afterwards.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")  # after torch: the import order trap

from cnnlab.reference.gan import _keras as K
from cnnlab.reference.gan import _torch as T
from cnnlab.reference.gan.demo import build_pair
from cnnlab.reference.porting import port_weights

if keras.backend.backend() != "tensorflow":
    pytest.skip("the Keras GAN loop runs on the TensorFlow backend", allow_module_level=True)


def np_log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_losses_are_the_binary_cross_entropies_of_their_definition():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 3, (16, 1)), rng.normal(0, 3, (16, 1))
    smoothed = 0.9
    # D: -[t log s(r) + (1 - t) log(1 - s(r))] - log(1 - s(f)); log(1 - s(x)) = log s(-x)
    d_expected = (-(smoothed * np_log_sigmoid(real) + (1 - smoothed) * np_log_sigmoid(-real)).mean()
                  - np_log_sigmoid(-fake).mean())
    g_expected = -np_log_sigmoid(fake).mean()  # non-saturating: -log D(G(z))
    tr, tf_ = torch.tensor(real), torch.tensor(fake)
    assert float(T.discriminator_loss(tr, tf_, real_label=smoothed)) == pytest.approx(d_expected, rel=1e-6)
    assert float(T.generator_loss(tf_)) == pytest.approx(g_expected, rel=1e-6)
    kr, kf = real.astype(np.float32), fake.astype(np.float32)
    assert float(K.discriminator_loss(kr, kf, real_label=smoothed)) == pytest.approx(d_expected, rel=1e-5)
    assert float(K.generator_loss(kf)) == pytest.approx(g_expected, rel=1e-5)


def _twins(seed=0):
    tg, td = build_pair("torch", seed=seed)
    kg, kd = build_pair("keras", seed=seed + 7)  # other weights, overwritten by the port
    port_weights(tg, kg)
    port_weights(td, kd)
    return (tg, td), (kg, kd)


@pytest.mark.parametrize("k,real_label", [(1, 1.0), (2, 0.9)])
def test_both_frameworks_compute_the_same_steps(k, real_label):
    (tg, td), (kg, kd) = _twins()
    t_opt, k_opt = T.optimizers(tg, td), K.optimizers(kg, kd)
    rng = np.random.default_rng(1)
    for _ in range(2):  # two alternating steps: the second runs on the updated weights
        reals = [rng.uniform(-1, 1, (8, 32, 32, 1)).astype(np.float32) for _ in range(k)]
        noises = [rng.standard_normal((8, 32)).astype(np.float32) for _ in range(k + 1)]
        t = T.train_step(tg, td, *t_opt, reals, noises, real_label=real_label)
        kk = K.train_step(kg, kd, *k_opt, reals, noises, real_label=real_label)
        for name in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert getattr(kk, name) == pytest.approx(getattr(t, name), abs=1e-4), name


def test_both_frameworks_compute_the_same_gradients():
    """Weights after plain SGD steps agree to float32 noise.

    (After Adam steps they agree only to about 2 * lr on a few weights: Adam divides each
    gradient by its own magnitude, so a gradient that is 1e-9 in one framework and -1e-9 in the
    other moves its weight by +lr in one and -lr in the other. The losses above are unaffected.)
    """
    (tg, td), (kg, kd) = _twins()
    t_opt = (torch.optim.SGD(tg.parameters(), lr=0.1), torch.optim.SGD(td.parameters(), lr=0.1))
    k_opt = (keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(4)
    for _ in range(2):
        reals = [rng.uniform(-1, 1, (8, 32, 32, 1)).astype(np.float32)]
        noises = [rng.standard_normal((8, 32)).astype(np.float32) for _ in range(2)]
        T.train_step(tg, td, *t_opt, reals, noises)
        K.train_step(kg, kd, *k_opt, reals, noises)
    # the generator's and discriminator's weights moved the same way (Keras back in torch layout)
    for model, kmodel, path in ((tg, kg, "main.0"), (tg, kg, "main.9"), (td, kd, "main.2")):
        tw = dict(model.named_modules())[path].weight.detach().numpy()
        kw = keras.ops.convert_to_numpy(kmodel.get_layer(path).kernel)
        kw = kw.transpose(3, 2, 0, 1)
        assert np.max(np.abs(tw - kw)) <= 1e-5, (path, float(np.max(np.abs(tw - kw))))


def test_the_discriminator_step_leaves_the_generator_alone_and_vice_versa():
    (tg, td), (kg, kd) = _twins(seed=3)
    rng = np.random.default_rng(2)
    real = rng.uniform(-1, 1, (8, 32, 32, 1)).astype(np.float32)
    z = rng.standard_normal((8, 32)).astype(np.float32)
    g_before = [p.detach().clone() for p in tg.parameters()]
    d_before = [p.detach().clone() for p in td.parameters()]
    g_opt, d_opt = T.optimizers(tg, td)
    T.discriminator_step(tg, td, d_opt, real, z)
    assert all(torch.equal(a, b) for a, b in zip(g_before, tg.parameters(), strict=True))
    assert all(p.grad is None for p in tg.parameters())  # the fakes were detached
    d_after = [p.detach().clone() for p in td.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(d_before, d_after, strict=True))
    T.generator_step(tg, td, g_opt, z)
    assert all(torch.equal(a, b) for a, b in zip(d_after, td.parameters(), strict=True))
    kd_before = [keras.ops.convert_to_numpy(v).copy() for v in kd.trainable_variables]
    kg_opt, kd_opt = K.optimizers(kg, kd)
    K.generator_step(kg, kd, kg_opt, z)
    assert all(np.array_equal(a, keras.ops.convert_to_numpy(v))
               for a, v in zip(kd_before, kd.trainable_variables, strict=True))


def test_step_inputs_are_checked():
    (tg, td), _ = _twins()
    g_opt, d_opt = T.optimizers(tg, td)
    real = np.zeros((2, 32, 32, 1), np.float32)
    z = np.zeros((2, 32), np.float32)
    with pytest.raises(ValueError, match="need 2 noise batches"):
        T.train_step(tg, td, g_opt, d_opt, [real], [z])
    with pytest.raises(ValueError, match="real_label must be in"):
        T.train_step(tg, td, g_opt, d_opt, [real], [z, z], real_label=1.5)
