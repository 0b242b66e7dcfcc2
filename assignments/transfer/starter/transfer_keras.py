"""Transfer learning in Keras. Implement the four functions; see README.md."""

import keras  # noqa: F401
from keras import layers  # noqa: F401


def freeze(model):
    """Freeze every weight of ``model`` so that training changes nothing in it, BatchNorm
    statistics included. Return the model."""
    raise NotImplementedError


def unfreeze_last(model, n):
    """Make the last ``n`` layers of ``model`` trainable again (a layer is an entry of
    ``model.layers`` that has weights, or a pooling layer); leave the others as they are.
    Return the model."""
    raise NotImplementedError


def count_trainable(model):
    """The number of weights the optimizer updates (an int)."""
    raise NotImplementedError


def add_head(base, num_classes):
    """A model from ``base``'s input through ``base`` and the lecture's head: global average
    pooling, Dense 1024 ReLU, Dropout 0.5, Dense 512 ReLU, Dense ``num_classes`` softmax."""
    raise NotImplementedError
