"""The course CNNs in Keras 3.

The twin of ``cnnlab.reference.torch_models.course`` (see its docstring for the two
configurations, ``"course"`` and ``"exam"``). Layers carry the torch module paths as names.
"""

from __future__ import annotations

import keras
from keras import layers

from ..catalog.classic import course_cfg, feature_size
from ._layers import conv2d, input_layer, linear, max_pool2d


def course_cnn(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    cfg: str = "course",
) -> keras.Model:
    """Build a course CNN.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, H', W', C)``.
    input_size : (int, int)
        Input height and width; at least 4x4 (``"course"``) or 22x22 (``"exam"``).
    in_channels : int
        Input channels (1 for MNIST, 3 for CIFAR-10 and the exam network).
    cfg : {"course", "exam"}, default="course"
        The one-stage course CNN or the three-stage network of the exam question.

    Returns
    -------
    keras.Model
        Named ``"course_cnn"``; takes ``(N, H, W, in_channels)``; returns logits or the pooled
        maps.

    Raises
    ------
    ValueError
        If ``cfg`` is unknown or ``input_size`` is too small.
    """
    table, width, dropout = course_cfg(cfg)
    feature_size("course_cnn" if cfg == "course" else f"course_{cfg}", table, input_size)
    inputs = input_layer(input_size, in_channels)
    x, index = inputs, 0
    for filters, kernel, stride, _ in table:
        if filters == "M":
            x = max_pool2d(x, kernel, stride=stride, name=f"features.{index}")
            index += 1
        else:
            x = conv2d(x, filters, kernel, name=f"features.{index}")
            x = layers.ReLU(name=f"features.{index + 1}")(x)
            index += 2
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = linear(x, width, name="classifier.0")
        x = layers.ReLU(name="classifier.1")(x)
        index = 2
        if dropout:
            x = layers.Dropout(dropout, name="classifier.2")(x)
            index = 3
        x = linear(x, num_classes, name=f"classifier.{index}")
    return keras.Model(inputs, x, name="course_cnn")
