"""Where a Keras CNN looks: CAM, Grad-CAM, guided backpropagation and guided Grad-CAM.

Every function takes a functional or sequential ``keras.Model`` that maps ``(N, H, W, C)`` images
to ``(N, K)`` class scores and a batch of images, and returns numpy arrays: heat maps
``(N, H, W)`` in [0, 1], or input gradients shaped like the images. Scores are taken before a
final softmax, as Grad-CAM prescribes. The model runs in inference mode. Layers are named by
``layer.name`` (top-level layers of the model). Gradients come from ``tf.GradientTape``, so the
Keras backend must be TensorFlow.

Twin of :mod:`cnnlab.reference.cam._torch`: the same functions, in the same order.
"""

from __future__ import annotations

from contextlib import contextmanager

import keras
import numpy as np

from cnnlab.errors import UsageError

from ._maps import class_indices, finish, grad_cam_maps

__all__ = ["build_gap_net", "feature_layers", "cam", "grad_cam", "guided_backprop",
           "guided_grad_cam"]


def _tensorflow():
    if keras.backend.backend() != "tensorflow":
        raise UsageError(
            "cnnlab.reference.cam._keras needs the TensorFlow backend for its gradients; "
            f"KERAS_BACKEND is {keras.backend.backend()!r}")
    import tensorflow as tf

    return tf


def build_gap_net(*, num_classes: int = 4, in_channels: int = 1, width: int = 16) -> keras.Model:
    """Keras twin of :func:`cnnlab.reference.cam._torch.build_gap_net`.

    Layers carry the torch module paths as names (``features.0``, ``features.1``, ..., ``fc``), so
    :func:`cnnlab.reference.porting.port_weights` copies a trained torch network into it. The input's
    height and width are left open, as global average pooling allows.
    """
    from ..keras_models._layers import conv2d

    inputs = keras.Input(shape=(None, None, in_channels), name="input")
    w = width
    x = conv2d(inputs, w, 3, padding=1, name="features.0")
    x = keras.layers.ReLU(name="features.1")(x)
    x = conv2d(x, w, 3, padding=1, name="features.2")
    x = keras.layers.ReLU(name="features.3")(x)
    x = keras.layers.MaxPooling2D(2, name="features.4")(x)
    x = conv2d(x, 2 * w, 3, padding=2, dilation=2, name="features.5")
    x = keras.layers.ReLU(name="features.6")(x)
    x = conv2d(x, 4 * w, 3, padding=2, dilation=2, name="features.7")
    x = keras.layers.ReLU(name="features.8")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(num_classes, name="fc")(x)
    return keras.Model(inputs, outputs, name="gap_net")


def _as_batch(images) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4:
        raise UsageError(f"images must be a (N, H, W, C) batch, got shape {x.shape}")
    return x


def feature_layers(model: keras.Model, images) -> list[str]:
    """Names of the layers that output a spatial feature map ``(N, H, W, C)`` with ``H * W > 1``
    (or an open size), in the model's order; the last is the default layer of :func:`cam` and
    :func:`grad_cam`."""
    _as_batch(images)
    names = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = getattr(layer.output, "shape", None)
        if shape is not None and len(shape) == 4 and (None in shape[1:3] or shape[1] * shape[2] > 1):
            names.append(layer.name)
    return names


def _choose_layer(model: keras.Model, x: np.ndarray, layer: str | None) -> str:
    valid = feature_layers(model, x)
    if layer is None:
        if not valid:
            raise UsageError("the model has no layer with a spatial feature map to explain")
        return valid[-1]
    if layer not in valid:
        known = {each.name for each in model.layers}
        what = "is not a spatial feature map" if layer in known else "is unknown"
        raise UsageError(f"layer {layer!r} {what}; valid layers: {', '.join(valid)}")
    return layer


def _head(model: keras.Model):
    """The tensor holding the logits, or feeding a final softmax, and how to get logits from it."""
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and last.activation is not keras.activations.linear:
        def to_logits(z):
            logits = keras.ops.matmul(z, last.kernel)
            return logits + last.bias if last.use_bias else logits

        return last.input, to_logits
    if isinstance(last, (keras.layers.Activation, keras.layers.Softmax)):
        return last.input, lambda z: z
    return model.output, lambda z: z


def _check_logits(logits):
    if len(logits.shape) != 2:
        raise UsageError("the model must return (N, num_classes) scores")
    return logits


def _inputs(model: keras.Model):
    """The model's input tensor (its list, for several), as the model was built with it."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def _forward(model: keras.Model, x: np.ndarray, layer: str):
    """``layer``'s output and the logits, in one pass (inside a tape, both are watched)."""
    head, to_logits = _head(model)
    probe = keras.Model(_inputs(model), [model.get_layer(layer).output, head])
    activation, before = probe(x, training=False)
    return activation, _check_logits(to_logits(before))


def _selected_scores(tf, logits, class_index):
    chosen = class_indices(class_index, np.asarray(logits))
    return tf.reduce_sum(tf.gather(logits, chosen[:, None], axis=1, batch_dims=1))


def cam(model: keras.Model, images, *, layer: str | None = None, class_index=None) -> np.ndarray:
    """Class activation mapping (Zhou et al. 2016) for a global-average-pooling network.

    The map of class ``k`` is ``sum_c w[c, k] * A[..., c]`` with ``w`` the kernel of the model's
    last ``Dense`` layer; the model's logits must be that layer applied to the global average of
    ``layer``'s output, which is checked.

    Parameters
    ----------
    model : keras.Model
    images : array-like of shape (N, H, W, C)
    layer : str, optional
        The layer whose output is pooled; the last spatial feature map by default.
    class_index : None, int or sequence of int
        The class to explain per image; the predicted one by default.

    Returns
    -------
    ndarray of shape (N, H, W)
    """
    x = _as_batch(images)
    dense = [each for each in model.layers if isinstance(each, keras.layers.Dense)]
    if not dense:
        raise UsageError("CAM needs a model that ends in a Dense classifier; "
                         "use grad_cam (--method gradcam)")
    fc = dense[-1]
    name = _choose_layer(model, x, layer)
    activation, logits = (np.asarray(t) for t in _forward(model, x, name))
    kernel = np.asarray(fc.kernel)
    bias = np.asarray(fc.bias) if fc.use_bias else 0.0
    if activation.shape[-1] != kernel.shape[0]:
        raise UsageError(
            f"CAM needs the classifier {fc.name!r} to read the global average of {name!r}: it "
            f"takes {kernel.shape[0]} inputs, {name!r} has {activation.shape[-1]} channels; "
            "use grad_cam for this model or layer (--method gradcam)")
    pooled = activation.mean(axis=(1, 2)) @ kernel + bias
    if not np.allclose(pooled, logits, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(logits).max()))):
        raise UsageError(
            f"CAM needs the output to be {fc.name!r} applied to the global average of {name!r}, "
            "and something else sits between them; use grad_cam for this model or layer "
            "(--method gradcam)")
    chosen = class_indices(class_index, logits)
    raw = np.einsum("nc,nhwc->nhw", kernel.T[chosen], activation)
    return finish(raw, x.shape[1:3])


def grad_cam(model: keras.Model, images, *, layer: str | None = None, class_index=None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) for any layer with a spatial feature map.

    Parameters
    ----------
    model : keras.Model
    images : array-like of shape (N, H, W, C)
    layer : str, optional
        A name from :func:`feature_layers`; the last of them by default.
    class_index : None, int or sequence of int

    Returns
    -------
    ndarray of shape (N, H, W)
    """
    tf = _tensorflow()
    x = _as_batch(images)
    name = _choose_layer(model, x, layer)
    with tf.GradientTape() as tape:
        activation, logits = _forward(model, x, name)
        score = _selected_scores(tf, logits, class_index)
    gradient = tape.gradient(score, activation)
    channels_first = (np.moveaxis(np.asarray(t), -1, 1) for t in (activation, gradient))
    return grad_cam_maps(*channels_first, size=x.shape[1:3])


def _is_plain_relu(layer) -> bool:
    return (isinstance(layer, keras.layers.ReLU) and layer.max_value is None
            and not layer.negative_slope and not layer.threshold)


@contextmanager
def _guided_relus(model: keras.Model, tf):
    """Make every ReLU of ``model`` guided (positive gradients at positive inputs) for a while."""

    @tf.custom_gradient
    def guided_relu(x):
        def backward(dy):
            return dy * tf.cast(x > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

        return tf.nn.relu(x), backward

    patched = []
    for layer in model.layers:
        if _is_plain_relu(layer):
            patched.append((layer, "call"))
            layer.call = guided_relu
        elif getattr(layer, "activation", None) is keras.activations.relu:
            patched.append((layer, "activation"))
            layer.activation = guided_relu
    try:
        yield
    finally:
        for layer, attribute in patched:
            if attribute == "call":
                del layer.call  # the class's own call shows through again
            else:
                layer.activation = keras.activations.relu


def guided_backprop(model: keras.Model, images, *, class_index=None) -> np.ndarray:
    """Guided backpropagation (Springenberg et al. 2015): the class score's gradient with respect
    to the input, where every ReLU also blocks negative gradients on the way back.

    ReLUs are recognised as ``ReLU`` layers and as layers with ``activation="relu"``.

    Returns
    -------
    ndarray of shape (N, H, W, C)
    """
    tf = _tensorflow()
    x = tf.convert_to_tensor(_as_batch(images))
    head, to_logits = _head(model)
    probe = keras.Model(_inputs(model), head)
    with _guided_relus(model, tf), tf.GradientTape() as tape:
        tape.watch(x)
        logits = _check_logits(to_logits(probe(x, training=False)))
        score = _selected_scores(tf, logits, class_index)
    return tape.gradient(score, x).numpy()


def guided_grad_cam(model: keras.Model, images, *, layer: str | None = None,
                    class_index=None) -> np.ndarray:
    """Guided Grad-CAM: guided backpropagation masked by the Grad-CAM map.

    Returns
    -------
    ndarray of shape (N, H, W, C)
    """
    heat = grad_cam(model, images, layer=layer, class_index=class_index)
    return guided_backprop(model, images, class_index=class_index) * heat[..., None]
