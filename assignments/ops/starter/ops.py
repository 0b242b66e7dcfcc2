"""CNN operations by hand, with numpy only. Replace each ``raise NotImplementedError``.

Images are channels first: ``x`` has shape (N, C, H, W). See README.md for the exact definitions.
"""

import numpy as np  # noqa: F401  (numpy is all you need)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """The convolution layer of PyTorch and Keras (a cross-correlation: the kernel is not flipped).

    x: (N, C_in, H, W); weight: (C_out, C_in, kh, kw); bias: (C_out,) or None.
    ``padding`` zeros on every side, then windows ``stride`` apart.
    Returns (N, C_out, H_out, W_out) with H_out = (H + 2 * padding - kh) // stride + 1.
    """
    raise NotImplementedError


def max_pool2d(x, kernel_size, stride=None):
    """The maximum of each kernel_size x kernel_size window; stride defaults to kernel_size.
    No padding; windows that do not fit are left out. Returns (N, C, H_out, W_out)."""
    raise NotImplementedError


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Batch normalisation of x (N, C) or (N, C, H, W) per channel.

    Returns (out, new_running_mean, new_running_var); see README.md for the two modes.
    """
    raise NotImplementedError


def dropout_forward(x, p, training, mask=None):
    """Inverted dropout: while training, zero each value with probability p and divide the kept
    ones by 1 - p; use ``mask`` (True = keep) if it is given. Not training: return x."""
    raise NotImplementedError


def grad_cam(activations, gradients):
    """Grad-CAM maps from a layer's activations and the class score's gradients, both
    (N, C, h, w). Returns (N, h, w) maps scaled to [0, 1]; see README.md."""
    raise NotImplementedError
