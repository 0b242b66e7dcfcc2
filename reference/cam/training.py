"""Train the small GAP network of :mod:`cnnlab.reference.cam._torch` on a shapes dataset (PyTorch).

A few epochs on a couple of thousand 32x32 images take seconds on a CPU and give a network whose
class activation maps can be checked against the objects' boxes.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

__all__ = ["train_gap_net", "accuracy"]


def train_gap_net(dataset, *, epochs: int = 6, batch_size: int = 32, lr: float = 3e-3,
                  width: int = 16, seed: int = 0):
    """Fit :func:`~cnnlab.reference.cam._torch.build_gap_net` with Adam and cross-entropy.

    Parameters
    ----------
    dataset : reference.data.ShapesDataset
        Made with ``layout="nchw"``.
    epochs, batch_size, lr : int, int, float
        The training schedule.
    width : int, default=16
        Channels of the first convolution.
    seed : int, default=0
        Seeds the initial weights and the order of the batches.

    Returns
    -------
    torch.nn.Module
        The trained network, in eval mode.
    """
    import torch
    import torch.nn.functional as F

    from ._torch import build_gap_net

    images = np.asarray(dataset.images)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise UsageError(f"dataset images must be (N, C, H, W) (make_shapes(layout='nchw')), "
                         f"got shape {images.shape}")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = build_gap_net(num_classes=len(dataset.class_names), in_channels=images.shape[1],
                          width=width)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = torch.from_numpy(images), torch.from_numpy(np.asarray(dataset.labels))
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval()


def accuracy(model, dataset) -> float:
    """Fraction of ``dataset`` that ``model`` classifies correctly."""
    import torch

    with torch.no_grad():
        predicted = model(torch.from_numpy(np.asarray(dataset.images))).argmax(dim=1).numpy()
    return float((predicted == np.asarray(dataset.labels)).mean())
