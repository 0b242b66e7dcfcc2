"""``freeze``, ``unfreeze`` and ``trainable_summary`` for torch modules and Keras models alike.

Each function finds the model's framework from its class and imports only that framework's
twin (``_torch`` or ``_keras``). What counts as a layer is defined in
:mod:`cnnlab.reference.transfer.selection`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from cnnlab.errors import UsageError

from ..frameworks import framework_of
from .selection import select
from .summary import TrainableSummary

__all__ = ["layer_names", "conv_layer_names", "freeze", "unfreeze", "trainable_summary"]

#: Base classes of convolution layers: torch's ``_ConvNd``, Keras' ``BaseConv`` and
#: ``BaseDepthwiseConv`` (checked by class name, so this module imports no framework).
_CONV_BASES = {"_ConvNd", "BaseConv", "BaseDepthwiseConv"}


def _is_conv(layer) -> bool:
    return any(cls.__name__ in _CONV_BASES for cls in type(layer).__mro__)


def _twin(model):
    framework = framework_of(model)
    return framework, importlib.import_module(f"._{framework}", __package__)


def layer_names(model) -> list[str]:
    """Names of the layers ``unfreeze`` counts and selects: those with weights, or pooling.

    Torch names are module paths (``features.28``, ``layer4.2.bn3``), Keras names layer names.
    """
    _, twin = _twin(model)
    return [name for name, _ in twin.units(model)]


def conv_layer_names(model) -> list[str]:
    """Names of the convolution layers of ``model``, in the order :func:`layer_names` lists them."""
    _, twin = _twin(model)
    return [name for name, layer in twin.units(model) if _is_conv(layer)]


def freeze(model):
    """Freeze every weight of ``model``, BatchNorm statistics included.

    Torch: no parameter requires a gradient, and every BatchNorm stays in evaluation mode through
    ``model.train()``, so its running statistics do not move. Keras: ``model.trainable = False``,
    under which a BatchNorm runs in inference mode.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model

    Returns
    -------
    The same model, frozen in place.
    """
    _, twin = _twin(model)
    return twin.freeze(model)


def unfreeze(
    model,
    *,
    last: int | None = None,
    last_convs: int | None = None,
    from_layer: str | None = None,
    names: Sequence[str] | None = None,
):
    """Make layers of ``model`` trainable again; the other layers keep their state.

    "Unfreeze the last 4 layers" has two readings in the lectures, and both are here:

    * ``last=4`` counts every layer with weights *and every pooling layer*, as Keras'
      ``base.layers[-4:]`` does: for VGG16's base, block 5's three convolutions and its pooling,
      7,079,424 trainable parameters;
    * ``last_convs=4`` counts convolutions only ("the last 4 convolution layers"): for VGG16,
      ``block4_conv3`` and block 5's three, 9,439,232 trainable parameters.

    Unfrozen BatchNorm layers use batch statistics in training again.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
    last : int, optional
        The last ``last`` layers, counting only layers with weights and pooling layers (see
        :mod:`cnnlab.reference.transfer.selection`).
    last_convs : int, optional
        The last ``last_convs`` convolution layers (torch ``Conv*d``, Keras ``Conv*D`` and
        depthwise convolutions); other layers between them stay as they are.
    from_layer : str, optional
        This layer and all after it; a block name such as ``"layer4"`` starts at its first layer.
    names : list of str, optional
        These layers or blocks.

    With none of the four, every layer is unfrozen.

    Returns
    -------
    The same model, changed in place.

    Raises
    ------
    ValueError
        If more than one selection is given, ``last`` or ``last_convs`` is out of range, or a
        name matches no layer (the message suggests close names).
    """
    _, twin = _twin(model)
    found = twin.units(model)
    if last_convs is not None:
        others = [k for k, v in (("last", last), ("from_layer", from_layer), ("names", names))
                  if v is not None]
        if others:
            raise UsageError(f"give at most one of last, last_convs, from_layer, names; got "
                             f"last_convs, {', '.join(others)}")
        convs = [i for i, (_, layer) in enumerate(found) if _is_conv(layer)]
        if isinstance(last_convs, bool) or not isinstance(last_convs, int) \
                or not 0 <= last_convs <= len(convs):
            raise UsageError(f"last_convs must be an int in [0, {len(convs)}] (the model's "
                             f"convolution layers); got {last_convs!r}")
        picked = convs[len(convs) - last_convs:]
        return twin.unfreeze(model, [found[i][1] for i in picked])
    picked = select([name for name, _ in found], last=last, from_layer=from_layer, layers=names)
    return twin.unfreeze(model, [found[i][1] for i in picked])


def trainable_summary(model) -> TrainableSummary:
    """Per layer (with weights, or pooling): kind, parameters, trainable parameters, state and,
    for BatchNorm, whether it runs in inference mode; and the totals.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model

    Returns
    -------
    TrainableSummary
        ``str(summary)`` is a text table; ``summary.as_dict()`` plain data.

    Notes
    -----
    Keras' total counts BatchNorm moving statistics (as ``count_params`` does) and they are never
    trainable; torch's total counts parameters only (the statistics are buffers).
    """
    framework, twin = _twin(model)
    rows, total, trainable = twin.layer_states(model)
    return TrainableSummary(framework, tuple(rows), total, trainable)
