"""The torch side of :func:`cnnlab.reference.data.loaders.loader`; twin of ``_keras_loader``."""

from __future__ import annotations

import torch


class TorchBatches:
    """Each iteration is the next epoch of ``ArrayBatches``, as NCHW float and int64 tensors."""

    def __init__(self, batches):
        self.batches, self.epochs_done = batches, 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        epoch, self.epochs_done = self.epochs_done, self.epochs_done + 1
        for images, labels in self.batches.epoch(epoch):
            yield (torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
                   torch.from_numpy(labels.astype("int64")))


def loader(batches) -> TorchBatches:
    return TorchBatches(batches)
