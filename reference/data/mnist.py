"""MNIST from local IDX files (LeCun's format); nothing is downloaded.

An IDX file starts with a 4-byte magic number: two zero bytes, a type code and the number of
dimensions; then one big-endian uint32 per dimension, then the values, big-endian, in C order.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. MNIST's
images are ``idx3-ubyte`` (N, 28, 28) and its labels ``idx1-ubyte`` (N,). Files may be gzipped.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice
from .labeled import LAYOUTS, LabeledImages, to_layout

__all__ = ["IDX_TYPES", "MNIST_FILES", "read_idx", "load_mnist"]

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: File names of the two splits, as distributed (``.gz`` versions are found too).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path) -> np.ndarray:
    """The array stored in one IDX file (plain or gzipped).

    Raises
    ------
    ValueError
        If the file is not IDX: bad magic number, unknown type code, or a size that does not
        match its header.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise UsageError(f"{path.name} is not an IDX file (its magic number does not start with two zero bytes)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise UsageError(f"{path.name}: unknown IDX type code 0x{code:02X}; valid: "
                         + ", ".join(f"0x{c:02X}" for c in IDX_TYPES))
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UsageError(f"{path.name}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise UsageError(f"{path.name}: header says {shape} of {dtype.name} ({expected} bytes), "
                         f"the file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"MNIST file {name} (or {name}.gz) not found in {folder}; put the "
                            "IDX files of the MNIST distribution there")


def load_mnist(folder, *, split: str = "train", layout: str = "nhwc") -> LabeledImages:
    """One split of MNIST from the IDX files in ``folder``.

    Parameters
    ----------
    folder : path
        Holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each possibly ``.gz``).
    split : {"train", "test"}, default="train"
    layout : {"nhwc", "nchw"}, default="nhwc"

    Returns
    -------
    LabeledImages
        Images float32 in [0, 1] (pixel / 255), (N, 28, 28, 1); labels 0-9.

    Raises
    ------
    FileNotFoundError
        Naming the missing file and the folder.
    ValueError
        For a file that is not IDX, images that are not 3-D uint8, or counts that differ.
    """
    check_choice(split, name="split", choices=tuple(MNIST_FILES))
    check_choice(layout, name="layout", choices=LAYOUTS)
    folder = Path(folder)
    image_file, label_file = (_find(folder, name) for name in MNIST_FILES[split])
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise UsageError(f"{image_file.name}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise UsageError(f"{label_file.name}: expected {len(images)} labels, got shape {labels.shape}")
    pixels = (images.astype(np.float32) / 255.0)[..., None]
    return LabeledImages(to_layout(pixels, layout), labels.astype(np.int64),
                         tuple(str(d) for d in range(10)))
