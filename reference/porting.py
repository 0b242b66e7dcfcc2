"""Port weights between a PyTorch model and its Keras twin, in either direction.

The mapping is by name: every Keras layer that carries weights is named with the dotted path of
its torch module (see ``docs/CONVENTIONS.md``). For each pair the porter checks the kinds of layer
agree and converts the layouts:

* convolution kernels: torch ``(out, in/groups, kh, kw)`` <-> Keras ``(kh, kw, in/groups, out)``;
* depthwise kernels: torch ``(C, 1, kh, kw)`` <-> Keras ``(kh, kw, C, 1)``;
* transposed convolution kernels: torch ``ConvTranspose2d`` ``(in, out, kh, kw)`` <-> Keras
  ``Conv2DTranspose`` ``(kh, kw, out, in)`` (the same axis permutation as a convolution, because
  both store the kernel of the convolution they are the transpose of);
* dense kernels: transposed; for the first dense layer after a Flatten of a feature map the rows
  are permuted too, because torch flattens ``C, H, W`` and Keras ``H, W, C``;
* BatchNorm: gamma, beta, moving mean and variance; the epsilons must agree, or the two models
  would compute different functions with the same weights.

The conversions themselves are :mod:`cnnlab.reference.layouts` (shared with the architectures
grader). Anything that does not fit raises :class:`PortError` naming the first layer at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from . import layouts
from .frameworks import framework_of
from .layer_names import torch_path
from .summary import keras_leaf_layers
from .weights import (
    check_keras_weights_file,
    load_keras_weights,
    load_torch_state_dict,
    read_torch_state_dict,
)

__all__ = [
    "PortError",
    "PortReport",
    "port_weights",
    "torch_to_keras",
    "keras_to_torch",
    "convert_checkpoint",
]

# torch module class -> the Keras layer classes that can be its twin
_TWINS = {
    "Conv2d": ("Conv2D", "DepthwiseConv2D"),
    "ConvTranspose2d": ("Conv2DTranspose",),
    "Linear": ("Dense",),
    "BatchNorm2d": ("BatchNormalization",),
    "BatchNorm1d": ("BatchNormalization",),
}
# Layers that pass a flat vector through unchanged, between a Flatten and the Dense that reads it.
_PASS_THROUGH = ("Dropout", "Activation", "ReLU", "Identity")


class PortError(UsageError):
    """The source and destination models do not have the same structure."""


@dataclass
class PortReport:
    """What :func:`port_weights` did: layer names in order and the flatten permutations."""

    layers: list[str] = field(default_factory=list)
    permuted_dense: list[str] = field(default_factory=list)
    values: int = 0


def _torch_layers(model) -> dict:
    """Modules that own parameters or buffers, by dotted path, in registration order."""
    found = {}
    for name, module in model.named_modules():
        own = list(module.named_parameters(recurse=False)) + [
            (n, b) for n, b in module.named_buffers(recurse=False) if n != "num_batches_tracked"
        ]
        if own:
            found[name] = module
    return found


def _keras_layers(model) -> dict:
    """Layers that own weights, by the torch path their name stands for, looking inside nested
    models."""
    return {torch_path(layer.name): layer for layer in keras_leaf_layers(model) if layer.weights}


def _flatten_source_shape(layer):
    """(H, W, C) of the feature map a Keras Dense layer reads through a Flatten, else None."""
    try:
        tensor = layer.input
    except (AttributeError, ValueError):
        return None
    while True:
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return None
        producer = history[0]
        kind = type(producer).__name__
        if kind == "Flatten":
            shape = producer.input.shape
            return tuple(int(d) for d in shape[1:]) if len(shape) == 4 else None
        if kind in _PASS_THROUGH:
            tensor = producer.input
            continue
        return None


def _check_pairs(torch_layers: dict, keras_layers: dict, src_is_torch: bool) -> list[str]:
    src, dst = (torch_layers, keras_layers) if src_is_torch else (keras_layers, torch_layers)
    src_name, dst_name = ("torch", "keras") if src_is_torch else ("keras", "torch")
    for name in src:
        if name not in dst:
            hint = _closest(name, dst)
            raise PortError(
                f"layer {name!r} of the {src_name} model has no {dst_name} layer of the same name"
                + (f" (nearest: {hint!r})" if hint else "")
            )
    for name in dst:
        if name not in src:
            raise PortError(f"layer {name!r} of the {dst_name} model has no {src_name} twin")
    order = list(torch_layers)
    for name in order:
        tkind = type(torch_layers[name]).__name__
        kkind = type(keras_layers[name]).__name__
        allowed = _TWINS.get(tkind)
        if allowed is None:
            raise PortError(f"layer {name!r}: cannot port a torch {tkind}")
        if kkind not in allowed:
            raise PortError(f"layer {name!r}: torch {tkind} cannot be the twin of Keras {kkind}")
    return order


def _closest(name: str, candidates) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, list(candidates), n=1)
    return match[0] if match else None


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _keras_vars(layer) -> dict:
    return {v.name.split("/")[-1]: v for v in layer.weights}


def _torch_tensors(module) -> dict:
    out = dict(module.named_parameters(recurse=False))
    out.update({n: b for n, b in module.named_buffers(recurse=False) if n != "num_batches_tracked"})
    return out


def _conv_pairs(module, layer):
    """(torch name, keras name, torch->keras fn, keras->torch fn) for a convolution."""
    if type(layer).__name__ == "DepthwiseConv2D":
        pairs = [("weight", "kernel", layouts.depthwise_to_keras, layouts.depthwise_to_torch)]
    else:
        pairs = [("weight", "kernel", layouts.conv_to_keras, layouts.conv_to_torch)]
    pairs.append(("bias", "bias", None, None))
    return pairs


def _conv_transpose_pairs(module, layer, name: str):
    """(torch name, keras name, torch->keras fn, keras->torch fn) for a transposed convolution.

    torch ``(in, out, kh, kw)`` -> Keras ``(kh, kw, out, in)``. The padding rules differ too
    (torch crops ``padding`` / ``padding - output_padding`` rows, Keras ``"same"`` decides by
    itself), so the Keras twin must run ``"valid"`` and crop as torch does; a ``"same"`` twin
    would compute a shifted image with the right weights.
    """
    if module.groups != 1 or tuple(module.dilation) != (1, 1):
        raise PortError(f"layer {name!r}: only ungrouped, undilated ConvTranspose2d can be ported")
    if getattr(layer, "padding", "valid") != "valid":
        raise PortError(
            f"layer {name!r}: the Keras Conv2DTranspose uses padding={layer.padding!r}; torch's "
            "padding rule is 'valid' plus a crop (Keras 'same' can shift the output by a pixel)"
        )
    return [("weight", "kernel", layouts.conv_transpose_to_keras, layouts.conv_transpose_to_torch),
            ("bias", "bias", None, None)]


def _dense_pairs(module, layer, report: PortReport, name: str):
    source = _flatten_source_shape(layer)
    chw = None
    if source is not None:
        h, w, c = source
        if module.weight.shape[1] != h * w * c:
            raise PortError(
                f"layer {name!r}: torch Linear takes {module.weight.shape[1]} inputs, the Keras "
                f"Flatten before it gives {h}x{w}x{c} = {h * w * c}"
            )
        report.permuted_dense.append(name)
        chw = (c, h, w)

    def to_k(weight):
        return layouts.dense_to_keras(weight, flatten_from=chw)

    def to_t(kernel):
        return layouts.dense_to_torch(kernel, flatten_from=chw)

    return [("weight", "kernel", to_k, to_t), ("bias", "bias", None, None)]


def _bn_pairs(module, layer, name: str):
    if not np.isclose(float(module.eps), float(layer.epsilon), rtol=1e-6, atol=0):
        raise PortError(
            f"layer {name!r}: BatchNorm epsilon differs (torch {module.eps:g}, Keras "
            f"{layer.epsilon:g}); the ported model would compute another function"
        )
    return [
        ("weight", "gamma", None, None),
        ("bias", "beta", None, None),
        ("running_mean", "moving_mean", None, None),
        ("running_var", "moving_variance", None, None),
    ]


def _pairs_for(name, module, layer, report):
    kind = type(module).__name__
    if kind == "Conv2d":
        return _conv_pairs(module, layer)
    if kind == "ConvTranspose2d":
        return _conv_transpose_pairs(module, layer, name)
    if kind == "Linear":
        return _dense_pairs(module, layer, report, name)
    return _bn_pairs(module, layer, name)


def port_weights(src, dst) -> PortReport:
    """Copy the weights of ``src`` into ``dst``; one must be torch and the other Keras.

    Parameters
    ----------
    src, dst : torch.nn.Module or keras.Model
        Models of the same architecture. ``dst`` is modified in place.

    Returns
    -------
    PortReport
        The layers ported, in the torch model's order, and the dense layers whose rows were
        permuted to undo the flatten-order difference.

    Raises
    ------
    PortError
        Naming the first layer that has no twin, is of another kind, or whose shapes differ.
    """
    frameworks = (framework_of(src), framework_of(dst))
    if frameworks not in (("torch", "keras"), ("keras", "torch")):
        raise PortError(f"port_weights needs one torch and one Keras model, got {frameworks[0]} and {frameworks[1]}")
    src_is_torch = frameworks[0] == "torch"
    torch_model, keras_model = (src, dst) if src_is_torch else (dst, src)
    tl, kl = _torch_layers(torch_model), _keras_layers(keras_model)
    order = _check_pairs(tl, kl, src_is_torch)
    report = PortReport()
    import torch

    for name in order:
        module, layer = tl[name], kl[name]
        tvals, kvars = _torch_tensors(module), _keras_vars(layer)
        pairs = _pairs_for(name, module, layer, report)
        used_t, used_k = set(), set()
        for tname, kname, to_k, to_t in pairs:
            if (tname in tvals) != (kname in kvars):
                have, lack = ("torch", "Keras") if tname in tvals else ("Keras", "torch")
                raise PortError(f"layer {name!r}: the {have} layer has {tname}/{kname}, the {lack} layer has not")
            if tname not in tvals:
                continue
            used_t.add(tname)
            used_k.add(kname)
            tensor, var = tvals[tname], kvars[kname]
            if src_is_torch:
                value = _to_numpy(tensor)
                value = to_k(value) if to_k else value
                if tuple(value.shape) != tuple(var.shape):
                    raise PortError(
                        f"layer {name!r}: torch {tname} {tuple(tensor.shape)} does not fit Keras "
                        f"{kname} {tuple(var.shape)}"
                    )
                var.assign(value.astype(np.float32))
            else:
                value = _to_numpy(var.value)
                value = to_t(value) if to_t else value
                if tuple(value.shape) != tuple(tensor.shape):
                    raise PortError(
                        f"layer {name!r}: Keras {kname} {tuple(var.shape)} does not fit torch "
                        f"{tname} {tuple(tensor.shape)}"
                    )
                with torch.no_grad():
                    tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)).to(tensor.dtype))
            report.values += int(np.prod(value.shape))
        left = (set(tvals) - used_t) | {f"keras:{k}" for k in set(kvars) - used_k}
        if left:
            raise PortError(f"layer {name!r}: nothing to port {sorted(left)} to or from")
        report.layers.append(name)
    return report


def torch_to_keras(torch_model, keras_model) -> PortReport:
    """:func:`port_weights` from torch to Keras."""
    return port_weights(torch_model, keras_model)


def keras_to_torch(keras_model, torch_model) -> PortReport:
    """:func:`port_weights` from Keras to torch."""
    return port_weights(keras_model, torch_model)


def convert_checkpoint(arch: str, src: str | Path, dst: str | Path, *, variant: str = "default", num_classes: int = 1000) -> PortReport:
    """Convert a torch ``state_dict`` file into a Keras ``.weights.h5`` file, or the reverse.

    The direction follows the file names: ``src`` ending in ``.pt``/``.pth`` with ``dst`` ending
    in ``.weights.h5`` converts torch to Keras; the other way round converts Keras to torch.
    """
    from . import build

    src, dst = Path(src), Path(dst)
    torch_suffixes = (".pt", ".pth")
    if src.suffix in torch_suffixes and dst.name.endswith(".weights.h5"):
        direction = "torch->keras"
    elif src.name.endswith(".weights.h5") and dst.suffix in torch_suffixes:
        direction = "keras->torch"
    else:
        raise UsageError(
            "convert between a torch state_dict (.pt/.pth) and a Keras .weights.h5 file; "
            f"got {src.name!r} -> {dst.name!r}"
        )
    # the source is read (or checked) before the models are built: a missing or foreign file
    # is answered before TensorFlow loads
    if direction == "torch->keras":
        state = read_torch_state_dict(src)
    else:
        check_keras_weights_file(src)
    torch_model = build(arch, "torch", num_classes, variant=variant)
    keras_model = build(arch, "keras", num_classes, variant=variant)
    if direction == "torch->keras":
        load_torch_state_dict(torch_model, src, state=state)
        report = port_weights(torch_model, keras_model)
        keras_model.save_weights(str(dst))
    else:
        load_keras_weights(keras_model, src)
        report = port_weights(keras_model, torch_model)
        import torch

        torch.save(torch_model.state_dict(), dst)
    return report
