"""Classification heads for a convolutional base (``cnnlab.reference.build(..., include_top=False)``).

Both heads start with a pooling of the base's feature map and end with a dense layer of
``num_classes`` units; the lecture head has two hidden layers between::

    linear   pooling -> Dense C
    lecture  pooling -> Dense 1024, ReLU -> Dropout 0.5 -> Dense 512, ReLU -> Dense C

The pooling is a global average (the lecture's, and keras.applications' ``pooling="avg"``) or a
flatten, for small bases whose last map still has a useful layout (LeNet's 5x5). The Keras head
ends in a softmax, as in the lecture (train it with sparse categorical cross-entropy); the torch
head ends in logits, since ``nn.CrossEntropyLoss`` applies the softmax itself. Layers with weights
carry the same names in both (``head.2``, ``head.5``, ``head.7``), so ``cnnlab.reference.porting``
ports a model with its head.
"""

from __future__ import annotations

import importlib

from cnnlab.errors import UsageError

from .._validation import check_pair
from ..frameworks import framework_of

__all__ = ["HEADS", "POOLINGS", "with_head", "linear_head", "lecture_head"]

#: Layers between the pooling and the output layer: ("dense", units), ("relu", None) or
#: ("dropout", rate). Layer i of the table is ``head.{i + 2}`` (``head.0`` pools, ``head.1``
#: flattens).
HEADS = {
    "linear": (),
    "lecture": (("dense", 1024), ("relu", None), ("dropout", 0.5), ("dense", 512), ("relu", None)),
}
POOLINGS = ("avg", "flatten")


def _check(head: str, num_classes, pooling: str) -> None:
    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; valid heads: {', '.join(HEADS)}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise UsageError(f"num_classes must be a positive int, got {num_classes!r}")
    if pooling not in POOLINGS:
        raise UsageError(f"unknown pooling {pooling!r}; valid poolings: {', '.join(POOLINGS)}")


def with_head(base, num_classes: int, *, head: str = "lecture", pooling: str = "avg",
              input_size=None):
    """Put a classification head on a convolutional base.

    Parameters
    ----------
    base : torch.nn.Module or keras.Model
        A base whose output is a feature map: torch ``(N, C, H, W)``, Keras ``(N, H, W, C)``.
        Its trainable state is left as it is, so a frozen base stays frozen.
    num_classes : int
        Units of the output layer.
    head : {"lecture", "linear"}, default="lecture"
        The layers of :data:`HEADS`.
    pooling : {"avg", "flatten"}, default="avg"
        Global average pooling, or a flatten of the whole map.
    input_size : int or (int, int), optional
        The input size the torch base will see; a flatten's width depends on it, so
        ``pooling="flatten"`` needs it for a torch base. (A Keras base knows its input size.)

    Returns
    -------
    torch.nn.Module or keras.Model
        Torch: a module with ``base`` and ``head`` children, returning logits. Keras: a
        functional model on the base's input (the base's layers are shared, not copied),
        returning class probabilities.

    Raises
    ------
    ValueError
        For an unknown head or pooling, a ``num_classes`` that is not a positive int, a base
        whose output is not a feature map, or a torch base with ``pooling="flatten"`` and no
        ``input_size``.
    """
    _check(head, num_classes, pooling)
    size = None if input_size is None else check_pair(input_size, name="input_size", low=1)
    framework = framework_of(base)
    if framework == "torch" and pooling == "flatten" and size is None:
        raise UsageError("pooling='flatten' on a torch base needs input_size: the flattened "
                         "width depends on the size of the input")
    module = importlib.import_module(f"._{framework}", __package__)
    return module.with_head(base, num_classes, HEADS[head], pooling=pooling, name=head,
                            input_size=size)


def linear_head(base, num_classes: int, *, pooling: str = "avg", input_size=None):
    """``with_head(base, num_classes, head="linear")``: pooling, then one dense layer."""
    return with_head(base, num_classes, head="linear", pooling=pooling, input_size=input_size)


def lecture_head(base, num_classes: int, *, pooling: str = "avg", input_size=None):
    """``with_head(base, num_classes, head="lecture")``: pooling, Dense 1024, ReLU, Dropout
    0.5, Dense 512, ReLU, Dense ``num_classes``."""
    return with_head(base, num_classes, head="lecture", pooling=pooling, input_size=input_size)
