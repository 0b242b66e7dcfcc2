"""Prove that the PyTorch and the Keras build of an architecture compute the same function.

Random weights are drawn in one framework (BatchNorm statistics randomised too, so a mistake in
porting them cannot hide behind the defaults of mean 0 and variance 1), ported into the other,
and both models run on the same input. Layer-by-layer activations locate the first divergence.
The comparison of a whole architecture, and its record, is the ``cnnlab compare`` job
(:mod:`cnnlab.bench.jobs.compare`); these are its primitives.
"""

from __future__ import annotations

import numpy as np

from .frameworks import framework_of
from .layer_names import torch_path
from .summary import first_output, keras_leaf_layers

#: Largest max-abs difference of float32 logits accepted as "the same function".
ATOL = 1e-4


def randomize_batchnorm(model, *, seed: int = 0) -> None:
    """Give every BatchNorm layer random gamma, beta, mean and variance (in place)."""
    rng = np.random.default_rng(seed)
    if framework_of(model) == "torch":
        import torch

        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    n = module.num_features
                    values = _bn_values(rng, n)
                    if module.weight is not None:
                        module.weight.copy_(torch.from_numpy(values["gamma"]))
                    if module.bias is not None:
                        module.bias.copy_(torch.from_numpy(values["beta"]))
                    if module.running_mean is not None:
                        module.running_mean.copy_(torch.from_numpy(values["moving_mean"]))
                        module.running_var.copy_(torch.from_numpy(values["moving_variance"]))
        return
    for layer in keras_leaf_layers(model):
        if type(layer).__name__ == "BatchNormalization":
            values = _bn_values(rng, int(layer.moving_mean.shape[0]))
            for var in layer.weights:
                var.assign(values[var.name.split("/")[-1]])


def _bn_values(rng, n):
    return {
        "gamma": rng.uniform(0.5, 1.5, n).astype(np.float32),
        "beta": rng.uniform(-0.2, 0.2, n).astype(np.float32),
        "moving_mean": rng.uniform(-0.2, 0.2, n).astype(np.float32),
        "moving_variance": rng.uniform(0.5, 1.5, n).astype(np.float32),
    }


def torch_forward(model, x_nchw: np.ndarray) -> np.ndarray:
    import torch

    model.eval()
    with torch.no_grad():
        return first_output(model(torch.from_numpy(x_nchw))).numpy()


def keras_forward(model, x_nhwc: np.ndarray) -> np.ndarray:
    import keras

    if keras.backend.backend() == "jax":
        # eager JAX compiles op by op: DenseNet-121 at 32x32 took 20 s called eagerly, 3 s as one
        # jitted predict (the same inference-mode graph)
        return np.asarray(first_output(model.predict(x_nhwc, verbose=0, batch_size=len(x_nhwc))))
    return np.asarray(keras.ops.convert_to_numpy(first_output(model(x_nhwc, training=False))))


def to_nhwc(array: np.ndarray) -> np.ndarray:
    return array.transpose(0, 2, 3, 1) if array.ndim == 4 else array


def layer_differences(torch_model, keras_model, x_nchw: np.ndarray) -> list[tuple[str, float]]:
    """``(name, max |torch - keras| / max(1, max |torch|))`` per layer, in torch's order.

    The difference is relative to the activation's scale: random BatchNorm statistics can make
    activations of deep networks without residuals large, and float32 keeps 7 digits of them.

    Compared: every layer with weights, and weightless layers whose output is a feature map.

    Torch activations are cloned in the hook because in-place ReLUs overwrite them afterwards.
    """
    import keras

    keras_names = {torch_path(layer.name): layer.name for layer in keras_leaf_layers(keras_model)}
    modules = [(n, m) for n, m in torch_model.named_modules() if n and n in keras_names]
    seen: dict[str, np.ndarray] = {}

    def make_hook(name):
        def hook(_module, _inputs, output):
            if name not in seen:
                seen[name] = first_output(output).detach().clone().numpy()

        return hook

    handles = [m.register_forward_hook(make_hook(n)) for n, m in modules]
    try:
        torch_forward(torch_model, x_nchw)
    finally:
        for h in handles:
            h.remove()
    # A flat vector between a Flatten and the first Dense is in C,H,W order in torch and H,W,C in
    # Keras, so weightless layers are compared only where they output a feature map.
    weighted = {n for n, m in modules if any(True for _ in m.parameters(recurse=False))}
    names = [n for n, _ in modules if n in seen and (n in weighted or seen[n].ndim == 4)]
    probe = keras.Model(keras_model.inputs, [keras_model.get_layer(keras_names[n]).output for n in names])
    outs = probe(to_nhwc(x_nchw), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    diffs = []
    for name, out in zip(names, outs, strict=True):
        ref = to_nhwc(seen[name])
        got = np.asarray(keras.ops.convert_to_numpy(out))
        if ref.shape != got.shape and ref.size == got.size:
            # torch AdaptiveAvgPool2d keeps (N, C, 1, 1) where Keras GlobalAveragePooling2D gives (N, C)
            if ref.squeeze().shape == got.squeeze().shape:
                ref = ref.reshape(got.shape)
        if ref.shape != got.shape:
            diffs.append((name, float("inf")))
        else:
            scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
            diffs.append((name, float(np.max(np.abs(ref - got))) / scale if ref.size else 0.0))
    return diffs


def first_divergent_layer(diffs: list[tuple[str, float]], *, atol: float = ATOL) -> str | None:
    """The first layer whose activations differ by more than ``atol`` relative to their scale."""
    for name, diff in diffs:
        if not diff <= atol:
            return name
    return None


DIRECTIONS = ("keras->torch", "torch->keras")


def reset_torch_weights(model, seed: int) -> None:
    """Draw fresh torch-native weights, so a direction never starts from the other's port."""
    import torch

    torch.manual_seed(seed)
    for module in model.modules():
        if hasattr(module, "reset_parameters") and module is not model:
            module.reset_parameters()
