"""Framework-agnostic inspection of a built model: parameter counts, output shape, layer table.

Torch models are inspected on the ``meta`` device where possible, so counting the parameters of
VGG-19 allocates nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod

from .frameworks import framework_of


def count_params(model) -> tuple[int, int]:
    """``(total, trainable)`` parameters. Keras' total includes BatchNorm moving statistics."""
    if framework_of(model) == "torch":
        total = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        return int(total), int(trainable)
    trainable = sum(prod(int(d) for d in w.shape) for w in model.trainable_weights)
    return int(model.count_params()), int(trainable)


@dataclass
class LayerRow:
    name: str
    type: str
    output_shape: tuple
    params: int

    def as_dict(self):
        return asdict(self)


def keras_leaf_layers(model):
    """Every layer of a Keras model, looking inside nested functional or sequential models."""
    for layer in model.layers:
        if hasattr(layer, "layers") and type(layer).__name__ in ("Functional", "Sequential"):
            yield from keras_leaf_layers(layer)
        else:
            yield layer


def first_output(value):
    """The main output of a model call: the first of a tuple/list, or a namedtuple's logits."""
    if isinstance(value, (tuple, list)):
        return first_output(value[0]) if value else None
    if hasattr(value, "logits"):
        return value.logits
    return value


def torch_layer_table(model, input_shape) -> tuple[list[LayerRow], tuple]:
    """Run ``model`` on a ``meta`` tensor of ``input_shape`` (NCHW, batch included) and record
    every leaf module's output shape and own parameter count, in execution order."""
    import torch

    rows: list[LayerRow] = []
    names = {module: name for name, module in model.named_modules()}

    def hook(module, _inputs, output):
        out = first_output(output)
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(
            LayerRow(names.get(module, "?"), type(module).__name__, tuple(out.shape[1:]), int(own))
        )

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        device = next(model.parameters()).device if any(True for _ in model.parameters()) else None
        x = torch.empty(*input_shape, device=device or "cpu")
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = first_output(model(x))
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return rows, tuple(out.shape[1:])


def keras_layer_table(model) -> tuple[list[LayerRow], tuple]:
    """Every layer of a functional Keras model with its output shape and parameter count."""
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        out = layer.output
        shape = first_output(out).shape
        rows.append(LayerRow(layer.name, type(layer).__name__, tuple(shape[1:]), int(layer.count_params())))
    out_shape = first_output(model.outputs).shape
    return rows, tuple(out_shape[1:])
