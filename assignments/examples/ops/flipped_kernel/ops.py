"""Wrong: a true convolution. The kernel is flipped (rotated 180 degrees) first, as in
mathematics, but convolution layers slide it unflipped."""

import numpy as np


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """The convolution layer of PyTorch and Keras (a cross-correlation: the kernel is not flipped)."""
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    weight = np.asarray(weight, dtype=float)[:, :, ::-1, ::-1]  # wrong: layers do not flip
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, c_out, h_out, w_out))
    # one kernel tap at a time: shift the input under the tap and add its weighted channels
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride]
            out += np.einsum("nchw,oc->nohw", patch, weight[:, :, i, j])
    if bias is not None:
        out += np.asarray(bias, dtype=float)[None, :, None, None]
    return out


def max_pool2d(x, kernel_size, stride=None):
    """The maximum of each kernel_size x kernel_size window; stride defaults to kernel_size."""
    x = np.asarray(x, dtype=float)
    stride = kernel_size if stride is None else stride
    h_out = (x.shape[2] - kernel_size) // stride + 1
    w_out = (x.shape[3] - kernel_size) // stride + 1
    out = np.full(x.shape[:2] + (h_out, w_out), -np.inf)
    for i in range(kernel_size):
        for j in range(kernel_size):
            patch = x[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride]
            out = np.maximum(out, patch)
    return out


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Batch normalisation per channel (axis 1); returns (out, new_running_mean, new_running_var)."""
    x = np.asarray(x, dtype=float)
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
    shape = (1, -1) + (1,) * (x.ndim - 2)
    running_mean = np.asarray(running_mean, dtype=float)
    running_var = np.asarray(running_var, dtype=float)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        count = x.size // x.shape[1]
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * count / (count - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    out = np.asarray(gamma, dtype=float).reshape(shape) * out + np.asarray(beta, dtype=float).reshape(shape)
    return out, new_mean, new_var


def dropout_forward(x, p, training, mask=None):
    """Inverted dropout; ``mask`` (True = keep) replaces the random draw if given."""
    x = np.asarray(x, dtype=float)
    if not training:
        return x
    if mask is None:
        mask = np.random.default_rng().random(x.shape) >= p
    return np.where(mask, x / (1 - p), 0.0)


def grad_cam(activations, gradients):
    """Grad-CAM maps (N, h, w) in [0, 1] from activations and gradients (N, C, h, w)."""
    activations = np.asarray(activations, dtype=float)
    weights = np.asarray(gradients, dtype=float).mean(axis=(2, 3))  # one weight per channel
    maps = np.maximum(np.einsum("nc,nchw->nhw", weights, activations), 0.0)
    maps = maps - maps.min(axis=(1, 2), keepdims=True)
    return maps / (maps.max(axis=(1, 2), keepdims=True) + 1e-7)
