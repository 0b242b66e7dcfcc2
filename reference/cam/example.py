"""The worked example of ``cnnlab explain``, made from what cnnlab ships: LeNet-5 trained on
scikit-learn's digits and one held-out digit as a PNG.

scikit-learn's digits ship inside its package, so the example needs no download: the 1,797
8x8 images are enlarged to LeNet-5's 32x32, 360 of them (36 per digit) are held out, and LeNet-5
is trained on the rest for a few seconds of CPU. The image written is the first held-out "2".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from ..frameworks import check_framework

__all__ = ["ExampleFiles", "make_example", "WEIGHTS_NAMES", "IMAGE_NAME"]

#: The files :func:`make_example` writes, by framework.
WEIGHTS_NAMES = {"torch": "lenet_digits.pt", "keras": "lenet_digits.weights.h5"}
IMAGE_NAME = "digit.png"
_SIZE = 32
_HELD_OUT_PER_DIGIT = 36
_DIGIT = 2


@dataclass(frozen=True)
class ExampleFiles:
    """What :func:`make_example` wrote and how well the network does on the held-out digits."""

    weights: Path
    image: Path
    framework: str
    epochs: int
    held_out: int
    accuracy: float


def _split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices: the last 36 images of each digit in scikit-learn's order."""
    held = np.concatenate(
        [np.flatnonzero(labels == d)[-_HELD_OUT_PER_DIGIT:] for d in range(10)]
    )
    train = np.setdiff1d(np.arange(len(labels)), held)
    return train, np.sort(held)


def _train_torch(x, y, *, epochs: int, seed: int):
    import torch
    import torch.nn.functional as F

    from .. import build

    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    model = build("lenet5", "torch")
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=order).split(32):
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval()


def _predict_torch(model, x) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).argmax(dim=1).numpy()


def _train_keras(x, y, *, epochs: int, seed: int):
    import keras

    from .. import build

    keras.utils.set_random_seed(seed)
    model = build("lenet5", "keras")
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, verbose=0)
    return model


def _predict_keras(model, x) -> np.ndarray:
    return np.asarray(model.predict(x, verbose=0)).argmax(axis=1)


def make_example(
    folder: str | Path, *, framework: str = "torch", epochs: int = 4, seed: int = 0
) -> ExampleFiles:
    """Train LeNet-5 on the digits and write its weights and a held-out digit into ``folder``.

    Parameters
    ----------
    folder : str or Path
        Created if missing; ``lenet_digits.pt`` (torch) or ``lenet_digits.weights.h5`` (Keras)
        and ``digit.png`` (32x32 grey) are written into it.
    framework : {"torch", "keras"}, default="torch"
    epochs : int, default=4
        Passes over the 1,437 training images (Adam, batches of 32).
    seed : int, default=0
        Seeds the initial weights and the order of the batches.

    Returns
    -------
    ExampleFiles
    """
    from PIL import Image

    from .._validation import check_int
    from ..data import load_digits

    check_framework(framework)
    epochs = check_int(epochs, name="epochs", low=1)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{str(folder)!r} is a file, not a folder")
    digits = load_digits(size=_SIZE)
    train, held = _split(digits.labels)
    x, y = digits.images, digits.labels.astype(np.int64)
    if framework == "torch":
        model = _train_torch(x[train], y[train], epochs=epochs, seed=seed)
        predicted = _predict_torch(model, x[held])
    else:
        model = _train_keras(x[train], y[train], epochs=epochs, seed=seed)
        predicted = _predict_keras(model, x[held])
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / WEIGHTS_NAMES[framework]
    if framework == "torch":
        import torch

        torch.save(model.state_dict(), weights)
    else:
        model.save_weights(str(weights))
    first = held[np.flatnonzero(y[held] == _DIGIT)[0]]
    image = folder / IMAGE_NAME
    pixels = np.clip(np.rint(x[first, :, :, 0] * 255), 0, 255).astype(np.uint8)
    Image.fromarray(pixels, mode="L").save(image)
    accuracy = float((predicted == y[held]).mean())
    return ExampleFiles(weights, image, framework, epochs, len(held), accuracy)
