"""CIFAR-10 from its local "python version" batches; nothing is downloaded.

The distribution's folder ``cifar-10-batches-py`` holds ``data_batch_1`` ... ``data_batch_5``
(the 50,000 training images), ``test_batch`` (10,000) and ``batches.meta``. Each batch is a pickled
dict (written by Python 2, so its keys are bytes) with ``b"data"``, a uint8 array (N, 3072) whose
rows hold the red, then the green, then the blue 32x32 plane in row-major order, and
``b"labels"``, a list of N ints 0-9. ``batches.meta`` has ``b"label_names"``.

Unpickling can run arbitrary code, so the batches are read with an unpickler that resolves only
the few globals a numpy array needs; anything else in a file is refused.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice
from .labeled import LAYOUTS, LabeledImages, to_layout

__all__ = ["CIFAR10_NAMES", "read_batch", "load_cifar10"]

CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")
_SPLITS = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("_codecs", "encode"), ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"), ("__builtin__", "object"), ("builtins", "object"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def _unpickle(path: Path):
    try:
        return _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path.name} is not a CIFAR batch: {exc}") from None


def _get(batch: dict, key: str):
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    raise KeyError(key)


def read_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one pickled batch.

    Raises
    ------
    ValueError
        If the file is not a CIFAR batch (it needs ``data`` of shape (N, 3072) and N ``labels``)
        or pickles anything but plain data and numpy arrays.
    """
    path = Path(path)
    batch = _unpickle(path)
    try:
        data, labels = np.asarray(_get(batch, "data")), np.asarray(_get(batch, "labels"))
    except (KeyError, TypeError):
        raise UsageError(f"{path.name} is not a CIFAR batch: it needs 'data' and 'labels'") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise UsageError(f"{path.name}: expected uint8 data (N, 3072) and N labels, got "
                         f"{data.dtype} {data.shape} and {labels.shape}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # R, G, B planes -> H, W, C
    return np.ascontiguousarray(images), labels.astype(np.int64)


def load_cifar10(folder, *, split: str = "train", layout: str = "nhwc") -> LabeledImages:
    """One split of CIFAR-10 from the python batches in ``folder``.

    Parameters
    ----------
    folder : path
        ``cifar-10-batches-py`` itself, or a folder that contains it.
    split : {"train", "test"}, default="train"
    layout : {"nhwc", "nchw"}, default="nhwc"

    Returns
    -------
    LabeledImages
        Images float32 in [0, 1] (pixel / 255), (N, 32, 32, 3); the label names of
        ``batches.meta`` where it is present, else :data:`CIFAR10_NAMES`.

    Raises
    ------
    FileNotFoundError
        Naming the missing batch files and the folder.
    ValueError
        For a file that is not a CIFAR batch.
    """
    check_choice(split, name="split", choices=tuple(_SPLITS))
    check_choice(layout, name="layout", choices=LAYOUTS)
    folder = Path(folder)
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    missing = [name for name in _SPLITS[split] if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"CIFAR-10 batch file(s) {', '.join(missing)} not found in "
                                f"{folder}; put the files of cifar-10-batches-py there")
    parts = [read_batch(folder / name) for name in _SPLITS[split]]
    images = np.concatenate([p[0] for p in parts]).astype(np.float32) / 255.0
    labels = np.concatenate([p[1] for p in parts])
    names = CIFAR10_NAMES
    meta = folder / "batches.meta"
    if meta.is_file():
        names = tuple(n.decode() if isinstance(n, bytes) else str(n)
                      for n in _get(_unpickle(meta), "label_names"))
    return LabeledImages(to_layout(images, layout), labels, names)
