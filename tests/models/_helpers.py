"""Helpers the architecture tests share: parameter counts and a closeness check."""

import numpy as np


def as_numpy(value):
    """A torch tensor, a TensorFlow tensor or an array, as a NumPy array."""
    if hasattr(value, "detach"):
        value = value.detach()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def assert_close(ours, theirs):
    """max |diff| <= 1e-5 * max(1, max |theirs|): float32 noise, not a different function."""
    ours, theirs = as_numpy(ours), as_numpy(theirs)
    assert ours.shape == theirs.shape
    bound = 1e-5 * max(1.0, float(np.abs(theirs).max()))
    assert float(np.abs(ours - theirs).max()) <= bound


def torch_count(module, *, trainable_only=False):
    """Parameters of a torch module (those that require gradients, with ``trainable_only``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def keras_counts(model):
    """(all, trainable) parameters of a Keras model; all includes BatchNorm moving statistics."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return model.count_params(), trainable


def random_weights(layer, rng):
    """Fresh random weights for a keras.applications layer, at a scale that keeps signals near 1.

    Keras' default Glorot kernels with identity BatchNorms shrink the logits of a deep random
    network towards zero (MobileNetV2's to about 1e-11), where a 1e-5 bound sees nothing; He-normal
    kernels and random BatchNorm statistics keep them near 1, so a misplaced pad or BN shows.
    """
    import keras

    shapes = [tuple(w.shape) for w in layer.weights]
    if isinstance(layer, keras.layers.BatchNormalization):
        gamma, beta, mean, var = shapes
        values = [rng.uniform(0.5, 1.5, gamma), rng.normal(0.0, 0.1, beta),
                  rng.normal(0.0, 0.1, mean), rng.uniform(0.5, 1.5, var)]  # fmt: skip
    else:
        kernel, *bias = shapes
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        fan_in = kernel[0] * kernel[1] if depthwise else int(np.prod(kernel[:-1]))
        values = [rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel)]
        values += [rng.normal(0.0, 0.1, shape) for shape in bias]
    return [v.astype("float32") for v in values]


def torch_output_shapes(model, x, names):
    """Run ``model`` on ``x``; return the output shape of each named child module, and the output."""
    shapes = {}

    def record(name):
        def hook(module, args, out):
            shapes[name] = tuple(out.shape)  # returns None: the output stays as it is

        return hook

    hooks = [getattr(model, name).register_forward_hook(record(name)) for name in names]
    try:
        out = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return shapes, out
