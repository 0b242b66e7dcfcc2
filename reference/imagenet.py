"""Using ImageNet-pretrained models the way the lectures do, offline: the 1,000 class names,
``decode_predictions(preds, top=k)``, and the input preprocessing of the frameworks' pretrained
weights (``preprocess_input`` modes).

The class names ship as ``fixtures/imagenet/classes.json``, written by
``scripts/make_imagenet_classes.py`` from torchvision's weight metadata (keras.applications
downloads its class index at run time; torchvision and Keras use the same 1,000 classes in the
same order, but Keras also gives WordNet ids, which are not shipped here).

Preprocessing modes, as ``keras.applications.imagenet_utils.preprocess_input`` defines them, on
RGB pixel values in [0, 255]:

=====  =========================================================================================
caffe  RGB to BGR, then subtract the ImageNet mean per channel (103.939, 116.779, 123.68 in BGR
       order); no scaling. VGG16/VGG19 and ResNet50 in keras.applications.
tf     scale to [-1, 1]: ``x / 127.5 - 1``. MobileNetV2 and InceptionV3 in keras.applications.
torch  scale to [0, 1], subtract (0.485, 0.456, 0.406), divide by (0.229, 0.224, 0.225).
       torchvision's weights and DenseNet in keras.applications.
=====  =========================================================================================
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from cnnlab import paths
from cnnlab.errors import UsageError

__all__ = ["PREPROCESS_MODES", "class_names", "decode_predictions", "preprocess_input"]

PREPROCESS_MODES = ("caffe", "tf", "torch")
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@lru_cache(maxsize=1)
def _record() -> dict:
    path = paths.fixtures_dir() / "imagenet" / "classes.json"
    return json.loads(path.read_text(encoding="utf-8"))


def class_names() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names, by class index (0 "tench" ... 999 "toilet tissue")."""
    return tuple(_record()["classes"])


def decode_predictions(preds, *, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """The ``top`` classes of each row of ``preds``, best first.

    Parameters
    ----------
    preds : array-like of shape (N, 1000)
        Probabilities or logits (the order is the same), e.g. a model's output.
    top : int, default=5

    Returns
    -------
    list of list of (index, name, score)
        Keras returns ``(wordnet_id, name, score)``; cnnlab gives the class index instead. Ties
        keep the lower index first.

    Raises
    ------
    ValueError
        If ``preds`` is not (N, 1000) or ``top`` is not in [1, 1000].
    """
    scores = np.asarray(preds, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise UsageError(f"preds must have shape (N, 1000), got {scores.shape}")
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise UsageError(f"top must be an int in [1, 1000], got {top!r}")
    names = class_names()
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top]
    return [[(int(i), names[i], float(row[i])) for i in idx] for row, idx in zip(scores, order, strict=True)]


def preprocess_input(images, *, mode: str, data_format: str = "channels_last") -> np.ndarray:
    """Prepare RGB images in [0, 255] for pretrained weights, as keras.applications does.

    Parameters
    ----------
    images : array-like (..., H, W, 3) or (..., 3, H, W)
    mode : {"caffe", "tf", "torch"}
        See the module docstring.
    data_format : {"channels_last", "channels_first"}, default="channels_last"

    Returns
    -------
    ndarray of float32
        A new array (the input is not changed).
    """
    if mode not in PREPROCESS_MODES:
        raise UsageError(f"mode must be one of {', '.join(map(repr, PREPROCESS_MODES))}; got {mode!r}")
    if data_format not in ("channels_last", "channels_first"):
        raise UsageError(f"data_format must be 'channels_last' or 'channels_first'; got {data_format!r}")
    x = np.array(images, dtype=np.float32)
    axis = -1 if data_format == "channels_last" else -3
    if x.ndim < 3 or x.shape[axis] != 3:
        raise UsageError(f"images need 3 channels on the {data_format} axis, got shape {x.shape}")
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "tf":
        return x / np.float32(127.5) - np.float32(1.0)
    if mode == "torch":
        return (x / np.float32(255.0) - _TORCH_MEAN.reshape(shape)) / _TORCH_STD.reshape(shape)
    x = np.flip(x, axis=axis)
    return x - _CAFFE_MEAN_BGR.reshape(shape)
