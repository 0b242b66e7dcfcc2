"""Which layers ``unfreeze`` selects: framework-free, on the list of layer names.

A *layer*, for freezing and unfreezing, is a unit that carries weights or pools: a torch module
that owns parameters or buffers, or a pooling module; a Keras layer that has weights, or a pooling
layer (nested models are looked into). Activations, padding, flatten, dropout and merge layers are
not layers in this sense. With this definition "the last 4 layers" of VGG16's convolutional base
are block 5's three convolutions and its pooling in keras.applications' model, in torchvision's
and in both of cnnlab's twins, although their ``model.layers`` / ``named_modules()`` lists differ
(keras.applications has an input layer, cnnlab's Keras twin padding layers, torch separate ReLU
modules).

The order is the model's own: ``named_modules()`` (registration) in torch, ``model.layers``
(the graph) in Keras. The two agree for VGG; in a ResNet block with a projection shortcut, Keras
lists the shortcut convolution before ``conv3``, torch after ``bn3``, so "the last N" can differ
between the twins only where N reaches into such a block.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from cnnlab.errors import UsageError

__all__ = ["select"]


def _matches(name: str, wanted: str) -> bool:
    """``wanted`` names the layer itself or a block that contains it: cnnlab's and torch's
    ``layer4`` holds ``layer4.0.conv1``, keras.applications' ``block5`` holds ``block5_conv1``."""
    return name == wanted or name.startswith((wanted + ".", wanted + "_"))


def _unknown(wanted: str, names: Sequence[str], argument: str) -> ValueError:
    close = difflib.get_close_matches(wanted, list(names), n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return ValueError(
        f"{argument}={wanted!r} names no layer of this model{hint} "
        f"(its {len(names)} layers with weights or pooling: {shown})"
    )


def select(
    names: Sequence[str],
    *,
    last: int | None = None,
    from_layer: str | None = None,
    layers: Sequence[str] | None = None,
) -> list[int]:
    """Indices into ``names`` of the layers one selection picks.

    Parameters
    ----------
    names : sequence of str
        Layer names in model order (see the module docstring for what counts as a layer).
    last : int, optional
        The last ``last`` layers; 0 selects none.
    from_layer : str, optional
        The named layer and every layer after it. A block name (``"layer4"``, ``"block5"``)
        starts at the block's first layer.
    layers : sequence of str, optional
        These layers (or blocks), in any order.

    Returns
    -------
    list of int
        Sorted indices. With no selection given, all layers.

    Raises
    ------
    ValueError
        If more than one selection is given, ``last`` is not an int in ``[0, len(names)]``, or
        a name matches no layer (the message lists close names).
    """
    given = [k for k, v in (("last", last), ("from_layer", from_layer), ("names", layers))
             if v is not None]
    if len(given) > 1:
        raise UsageError(f"give at most one of last, from_layer, names; got {', '.join(given)}")
    count = len(names)
    if last is not None:
        if isinstance(last, bool) or not isinstance(last, int) or not 0 <= last <= count:
            raise UsageError(f"last must be an int from 0 to {count} (the model's layers with "
                             f"weights or pooling), got {last!r}")
        return list(range(count - last, count))
    if from_layer is not None:
        if not isinstance(from_layer, str):
            raise UsageError(f"from_layer must be a layer name (str), got {from_layer!r}")
        for index, name in enumerate(names):
            if _matches(name, from_layer):
                return list(range(index, count))
        raise _unknown(from_layer, names, "from_layer")
    if layers is not None:
        if isinstance(layers, str) or not all(isinstance(n, str) for n in layers):
            raise UsageError(f"names must be a list of layer names, got {layers!r}")
        picked = set()
        for wanted in layers:
            hits = [i for i, name in enumerate(names) if _matches(name, wanted)]
            if not hits:
                raise _unknown(wanted, names, "names")
            picked.update(hits)
        return sorted(picked)
    return list(range(count))
