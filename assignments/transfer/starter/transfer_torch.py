"""Transfer learning in PyTorch. Implement the four functions; see README.md."""

import torch  # noqa: F401
from torch import nn  # noqa: F401


def freeze(model):
    """Freeze every weight of ``model`` so that training changes nothing in it, BatchNorm
    statistics included (they must not move in ``model.train()``). Return the model."""
    raise NotImplementedError


def unfreeze_last(model, n):
    """Make the last ``n`` layers of ``model`` trainable again (a layer is a module that owns
    parameters or buffers, or a pooling module); leave the others as they are. Return the model."""
    raise NotImplementedError


def count_trainable(model):
    """The number of parameters the optimizer updates (an int)."""
    raise NotImplementedError


def add_head(base, num_classes):
    """A model that runs ``base`` and then the lecture's head: global average pooling, Linear 1024
    + ReLU, Dropout 0.5, Linear 512 + ReLU, Linear ``num_classes`` (logits)."""
    raise NotImplementedError
