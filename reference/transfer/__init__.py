"""Transfer learning for torch modules and Keras models alike: freezing and unfreezing, trainable
summaries, classification heads and the two-phase recipe (feature extraction, then fine-tuning).

Importing this package imports no framework; each function imports the one its model comes
from.

>>> from cnnlab.reference import build
>>> from cnnlab.reference.transfer import freeze, unfreeze, trainable_summary
>>> base = build("vgg16", "torch", include_top=False)     # doctest: +SKIP
>>> unfreeze(freeze(base), last=4)                          # doctest: +SKIP
>>> trainable_summary(base).trainable                       # doctest: +SKIP
7079424
"""

from __future__ import annotations

from .freezing import conv_layer_names, freeze, layer_names, trainable_summary, unfreeze
from .heads import HEADS, lecture_head, linear_head, with_head
from .recipe import (
    FINETUNE_COUNTS,
    EpochRecord,
    Recipe,
    TransferHistory,
    evaluate,
    fit,
    predict,
    two_phase,
)
from .summary import LayerState, TrainableSummary

__all__ = [
    "FINETUNE_COUNTS",
    "HEADS",
    "conv_layer_names",
    "EpochRecord",
    "LayerState",
    "Recipe",
    "TrainableSummary",
    "TransferHistory",
    "evaluate",
    "fit",
    "freeze",
    "layer_names",
    "lecture_head",
    "linear_head",
    "predict",
    "trainable_summary",
    "two_phase",
    "unfreeze",
    "with_head",
]
