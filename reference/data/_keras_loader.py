"""The Keras side of :func:`cnnlab.reference.data.loaders.loader`; twin of ``_torch_loader``."""

from __future__ import annotations

import keras


class KerasBatches(keras.utils.PyDataset):
    """``ArrayBatches`` as a ``PyDataset``: batch ``i`` of the current epoch, NHWC."""

    def __init__(self, batches):
        super().__init__()
        self.batches, self.epochs_done = batches, 0

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches.batch(self.epochs_done, index)

    def on_epoch_end(self):
        self.epochs_done += 1


def loader(batches) -> KerasBatches:
    return KerasBatches(batches)
