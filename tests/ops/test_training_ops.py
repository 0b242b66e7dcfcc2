"""BatchNorm, dropout, initialisers, penalties and early stopping against torch and Keras."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from torch import nn

from cnnlab.reference import ops

# --- BatchNorm ---------------------------------------------------------------------------------


def _torch_bn(x, gamma, beta, mean, var, momentum, eps):
    bn = (nn.BatchNorm2d if x.ndim == 4 else nn.BatchNorm1d)(x.shape[1], eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        bn.running_mean.copy_(torch.from_numpy(mean))
        bn.running_var.copy_(torch.from_numpy(var))
    return bn


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
def test_batchnorm_matches_torch(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=shape)
    c = shape[1]
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    mean, var = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    bn = _torch_bn(x, gamma, beta, mean, var, momentum=0.3, eps=1e-3)
    params = dict(gamma=gamma, beta=beta, running_mean=mean, running_var=var, momentum=0.3, eps=1e-3)

    bn.train()
    expected = bn(torch.from_numpy(x)).detach().numpy()
    out, new_mean, new_var = ops.batchnorm_forward(x, training=True, **params)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    np.testing.assert_allclose(new_mean, bn.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(new_var, bn.running_var.numpy(), atol=1e-12)  # unbiased update

    bn.eval()
    params.update(running_mean=new_mean, running_var=new_var)
    expected = bn(torch.from_numpy(x)).detach().numpy()
    out, same_mean, same_var = ops.batchnorm_forward(x, training=False, **params)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    np.testing.assert_array_equal(same_mean, new_mean)
    np.testing.assert_array_equal(same_var, new_var)


def test_batchnorm_matches_keras_channels_last():
    keras = pytest.importorskip("keras")

    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 2.0, size=(6, 4, 5, 3)).astype(np.float32)
    layer = keras.layers.BatchNormalization(momentum=0.8, epsilon=1e-3)
    layer.build(x.shape)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    layer.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    params = dict(gamma=gamma, beta=beta, running_mean=np.zeros(3), running_var=np.ones(3),
                  momentum=1 - 0.8, eps=1e-3, axis=-1, unbiased_running_var=False)

    expected = np.asarray(layer(x, training=True))
    out, new_mean, new_var = ops.batchnorm_forward(x, training=True, **params)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    moving_mean, moving_var = (np.asarray(w) for w in layer.get_weights()[2:])
    np.testing.assert_allclose(new_mean, moving_mean, atol=1e-6)
    np.testing.assert_allclose(new_var, moving_var, atol=1e-6)  # Keras: biased variance

    params.update(running_mean=new_mean, running_var=new_var)
    np.testing.assert_allclose(ops.batchnorm_forward(x, training=False, **params).out,
                               np.asarray(layer(x, training=False)), atol=1e-5)


def test_inference_does_not_depend_on_the_batch():
    # the bug the "batch statistics at test time" example submission has
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 3))
    params = dict(gamma=np.ones(3), beta=np.zeros(3), running_mean=np.zeros(3),
                  running_var=np.ones(3), training=False)
    alone = ops.batchnorm_forward(x[:1], **params).out
    in_batch = ops.batchnorm_forward(x, **params).out[:1]
    np.testing.assert_allclose(alone, in_batch)


@pytest.mark.parametrize("kwargs,message", [
    (dict(gamma=np.ones(2)), r"gamma must have shape \(3,\)"),
    (dict(momentum=1.5), r"momentum must be a number in \[0, 1\]"),
    (dict(eps=0.0), "eps must be positive"),
    (dict(axis=4), "axis must be a valid axis"),
])
def test_batchnorm_bad_input(kwargs, message):
    params = dict(gamma=np.ones(3), beta=np.zeros(3), running_mean=np.zeros(3),
                  running_var=np.ones(3), training=True)
    params.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ops.batchnorm_forward(np.ones((4, 3)), **params)


# --- dropout -----------------------------------------------------------------------------------


def test_dropout_replays_torch_and_keras_masks():
    keras = pytest.importorskip("keras")

    x = np.random.default_rng(3).uniform(0.5, 1.5, size=(64, 50)).astype(np.float32)
    torch.manual_seed(0)
    from_torch = nn.functional.dropout(torch.from_numpy(x), p=0.3, training=True).numpy()
    from_keras = np.asarray(keras.layers.Dropout(0.3, seed=0)(x, training=True))
    for expected in (from_torch, from_keras):
        ours = ops.dropout_forward(x, p=0.3, training=True, mask=expected != 0)
        np.testing.assert_allclose(ours, expected, rtol=1e-6)
    # inference is the identity in all three
    assert np.array_equal(ops.dropout_forward(x, p=0.3, training=False), x)
    assert np.array_equal(nn.functional.dropout(torch.from_numpy(x), 0.3, training=False).numpy(), x)


def test_dropout_keeps_the_expected_value():
    x = np.ones((400, 500))
    out = ops.dropout_forward(x, p=0.4, training=True, rng=0)
    kept = out != 0
    assert abs(kept.mean() - 0.6) < 0.01  # 200,000 draws: 1% is over 20 standard errors
    assert np.allclose(out[kept], 1 / 0.6)
    assert abs(out.mean() - 1.0) < 0.02
    # no rescaling would shrink the mean to 1 - p (the "no rescale" example submission's bug)
    assert ops.dropout_forward(x, p=1.0, training=True, rng=0).sum() == 0


def test_dropout_bad_input():
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        ops.dropout_forward(np.ones(3), p=-0.1, training=True)
    with pytest.raises(ValueError, match="mask must have the shape of x"):
        ops.dropout_forward(np.ones(3), p=0.5, training=True, mask=np.ones(4, bool))


# --- initialisers ------------------------------------------------------------------------------

SHAPE_TORCH = (64, 32, 3, 3)  # 18,432 weights: fan_in 288, fan_out 576
SHAPE_KERAS = (3, 3, 32, 64)


def _torch_sample(init, **kwargs):
    w = torch.empty(SHAPE_TORCH)
    torch.manual_seed(0)
    init(w, **kwargs)
    return w.numpy().ravel()


def _keras_sample(name):
    keras = pytest.importorskip("keras")

    return np.asarray(keras.initializers.get({"class_name": name, "config": {"seed": 0}})(SHAPE_KERAS)).ravel()


def test_fans_match_torch():
    # torch.nn.init's fan computation, read through the bound of kaiming_uniform_ and
    # xavier_uniform_: sqrt(6 / fan_in) and sqrt(6 / (fan_in + fan_out))
    fan_in, fan_out = ops.fans(SHAPE_TORCH)
    assert (fan_in, fan_out) == (32 * 9, 64 * 9) == ops.fans(SHAPE_KERAS, layout="keras")
    he = _torch_sample(nn.init.kaiming_uniform_, nonlinearity="relu")
    glorot = _torch_sample(nn.init.xavier_uniform_)
    assert math.sqrt(6 / fan_in) * 0.99 < np.abs(he).max() <= math.sqrt(6 / fan_in)
    assert math.sqrt(6 / (fan_in + fan_out)) * 0.99 < np.abs(glorot).max() <= math.sqrt(6 / (fan_in + fan_out))


@pytest.mark.parametrize("ours,torch_init,torch_kwargs,keras_name,keras_kwargs", [
    (ops.glorot_uniform, nn.init.xavier_uniform_, {}, "GlorotUniform", {}),
    (ops.glorot_normal, nn.init.xavier_normal_, {}, "GlorotNormal", {"truncated": True}),
    (ops.he_uniform, nn.init.kaiming_uniform_, {"nonlinearity": "relu"}, "HeUniform", {}),
    (ops.he_normal, nn.init.kaiming_normal_, {"nonlinearity": "relu"}, "HeNormal", {"truncated": True}),
])
def test_initialisers_draw_the_frameworks_distribution(ours, torch_init, torch_kwargs, keras_name,
                                                       keras_kwargs):
    # two-sample Kolmogorov-Smirnov: same distribution as the framework's own draw
    from_torch = _torch_sample(torch_init, **torch_kwargs)
    assert stats.ks_2samp(ours(SHAPE_TORCH, rng=1).ravel(), from_torch).pvalue > 1e-3
    from_keras = _keras_sample(keras_name)
    mine = ours(SHAPE_KERAS, rng=1, layout="keras", **keras_kwargs).ravel()
    assert stats.ks_2samp(mine, from_keras).pvalue > 1e-3
    # the test can tell schemes apart: He is not Glorot, and Keras' normals are truncated
    other = ops.glorot_uniform if ours is not ops.glorot_uniform else ops.he_uniform
    assert stats.ks_2samp(other(SHAPE_TORCH, rng=1).ravel(), from_torch).pvalue < 1e-6
    if keras_kwargs:
        untruncated = ours(SHAPE_KERAS, rng=1, layout="keras").ravel()
        assert stats.ks_2samp(untruncated, from_keras).pvalue < 1e-3


def test_truncated_normal_constant():
    # the standard deviation of N(0, 1) cut at +-2, which Keras writes as .87962566103423978
    assert ops.initializers.TRUNCATED_STD == pytest.approx(0.87962566103423978, abs=1e-12)
    assert ops.initializers.TRUNCATED_STD == pytest.approx(stats.truncnorm(-2, 2).std(), abs=1e-12)


def test_initialiser_bad_input():
    with pytest.raises(ValueError, match="layout must be one of 'torch', 'keras'"):
        ops.he_normal((3, 3), layout="tf")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ops.glorot_uniform((10,))


# --- penalties ---------------------------------------------------------------------------------


def test_penalties_match_keras_regularizers():
    keras = pytest.importorskip("keras")

    rng = np.random.default_rng(4)
    w = rng.normal(size=(3, 3, 4, 5)).astype(np.float32)
    assert ops.l1_penalty(w, lam=0.01) == pytest.approx(float(keras.regularizers.L1(0.01)(w)), rel=1e-5)
    assert ops.l2_penalty(w, lam=0.01) == pytest.approx(float(keras.regularizers.L2(0.01)(w)), rel=1e-5)
    both = [w, w[0]]
    assert ops.l2_penalty(both, lam=0.5) == pytest.approx(
        sum(float(keras.regularizers.L2(0.5)(v)) for v in both), rel=1e-5)


def test_l2_gradient_is_torch_weight_decay():
    # SGD(weight_decay=wd) steps along wd * w: the gradient of lam * sum(w**2) when wd = 2 * lam
    w0 = np.random.default_rng(5).normal(size=(6, 4))
    param = nn.Parameter(torch.from_numpy(w0.copy()))
    opt = torch.optim.SGD([param], lr=0.1, weight_decay=2 * 0.03)
    param.grad = torch.zeros_like(param)
    opt.step()
    np.testing.assert_allclose(param.detach().numpy(), w0 - 0.1 * ops.l2_gradient(w0, lam=0.03))


def test_gradients_match_autograd():
    w0 = np.array([[-1.5, 0.0, 2.0], [0.3, -0.2, 4.0]])
    w = torch.from_numpy(w0).requires_grad_(True)
    (0.2 * w.abs().sum() + 0.7 * (w**2).sum()).backward()
    np.testing.assert_allclose(ops.l1_gradient(w0, lam=0.2) + ops.l2_gradient(w0, lam=0.7),
                               w.grad.numpy())


def test_penalty_bad_input():
    with pytest.raises(ValueError, match="lam must be a non-negative number"):
        ops.l2_penalty(np.ones(3), lam=-1)
    with pytest.raises(ValueError, match="non-empty list"):
        ops.l1_penalty([], lam=0.1)


# --- early stopping ----------------------------------------------------------------------------


def _keras_stops(history, *, patience, min_delta, mode):
    """Drive keras.callbacks.EarlyStopping over a history; (stopped epoch or None, best epoch)."""
    keras = pytest.importorskip("keras")

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback = keras.callbacks.EarlyStopping(monitor="val", patience=patience, min_delta=min_delta,
                                             mode=mode)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for epoch, value in enumerate(history):
        callback.on_epoch_end(epoch, {"val": value})
        if model.stop_training:
            return epoch, callback.best_epoch
    return None, callback.best_epoch


@settings(max_examples=40, deadline=None)
@given(history=st.lists(st.floats(0, 1, allow_nan=False).map(lambda v: round(v, 2)), min_size=1,
                        max_size=15),
       patience=st.integers(1, 4), min_delta=st.sampled_from([0.0, 0.05]),
       mode=st.sampled_from(["min", "max"]))
def test_early_stopping_matches_keras(history, patience, min_delta, mode):
    ours = ops.early_stopping(history, patience=patience, min_delta=min_delta, mode=mode)
    assert (ours.stopped_epoch, ours.best_epoch) == _keras_stops(history, patience=patience,
                                                                 min_delta=min_delta, mode=mode)


def test_early_stopping_lecture_example():
    # loss falls until epoch 3, then rises for two epochs: patience 2 stops after epoch 5
    decision = ops.early_stopping([1.0, 0.8, 0.7, 0.65, 0.66, 0.7], patience=2)
    assert decision == (5, 3, 0.65)
    assert ops.early_stopping([3, 2, 1], patience=1).stopped_epoch is None


def test_early_stopping_bad_input():
    with pytest.raises(ValueError, match="mode must be one of 'min', 'max'"):
        ops.EarlyStopping(patience=2, mode="lowest")
    with pytest.raises(ValueError, match="patience must be an int >= 0"):
        ops.EarlyStopping(patience=1.5)
