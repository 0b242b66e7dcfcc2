"""The operations a CNN is built from, written out in numpy for teaching and grading.

Each function computes what its torch/Keras counterpart computes (the tests hold them to it),
channels first like torch: images are ``(N, C, H, W)``, kernels ``(C_out, C_in, kh, kw)``.
Nothing here imports a deep-learning framework.

>>> from cnnlab.reference import ops
>>> ops.convolve1d([3, 2, 1], [1, 2, 3, 4, 5]).tolist()
[3.0, 8.0, 14.0, 20.0, 26.0, 14.0, 5.0]
>>> ops.conv_params(in_channels=64, out_channels=128, kernel_size=5, bias=False)
204800
"""

from __future__ import annotations

from .activations import leaky_relu, relu, sigmoid, softmax, tanh
from .batchnorm import BatchNormOutput, batchnorm_forward
from .conv import conv1d, conv2d, convolve1d, correlate1d
from .dropout import dropout_forward, dropout_mask
from .early_stopping import EarlyStopping, StopDecision, early_stopping
from .flatten import flatten
from .formulas import (
    batchnorm_params,
    conv_output_size,
    conv_params,
    dense_params,
    depthwise_params,
    pointwise_params,
    pool_output_size,
    separable_params,
)
from .initializers import fans, glorot_normal, glorot_uniform, he_normal, he_uniform
from .layer_table import (
    LECTURE06_TABLES,
    LECTURE_TABLES,
    Erratum,
    LayerCheck,
    check_layer_table,
    lecture_errata,
    lecture_table,
)
from .penalties import l1_gradient, l1_penalty, l2_gradient, l2_penalty
from .pooling import avg_pool2d, global_avg_pool2d, max_pool2d
from .receptive import StackComparison, receptive_field, stack_vs_single

__all__ = [
    "convolve1d", "correlate1d", "conv1d", "conv2d",
    "max_pool2d", "avg_pool2d", "global_avg_pool2d",
    "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "flatten",
    "conv_output_size", "pool_output_size", "conv_params", "depthwise_params", "pointwise_params",
    "separable_params", "dense_params", "batchnorm_params",
    "LayerCheck", "check_layer_table", "lecture_table", "LECTURE_TABLES", "LECTURE06_TABLES",
    "Erratum", "lecture_errata", "receptive_field", "StackComparison", "stack_vs_single",
    "BatchNormOutput", "batchnorm_forward", "dropout_mask", "dropout_forward",
    "fans", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "l1_penalty", "l2_penalty", "l1_gradient", "l2_gradient",
    "EarlyStopping", "StopDecision", "early_stopping",
]
