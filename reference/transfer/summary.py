"""What ``trainable_summary`` returns: one row per layer and the totals, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["LayerState", "TrainableSummary"]


@dataclass(frozen=True)
class LayerState:
    """One layer (a unit with weights, or a pooling) of a model.

    Attributes
    ----------
    name : str
        Torch module path or Keras layer name.
    kind : str
        Class name, e.g. ``"Conv2d"`` or ``"BatchNormalization"``.
    params : int
        Values the layer holds: torch parameters; Keras weights, BatchNorm moving statistics
        included (as ``count_params`` counts them).
    trainable_params : int
        Of those, the ones the optimizer updates.
    state : str
        ``"trainable"``, ``"frozen"``, ``"partly"`` (torch: some of its parameters frozen) or
        ``"-"`` (nothing to train: a pooling).
    batch_norm : str
        ``""`` for other layers; for a BatchNorm ``"inference"`` where it normalises with its
        moving statistics whatever the training flag (frozen), else ``"batch statistics"``.
    """

    name: str
    kind: str
    params: int
    trainable_params: int
    state: str
    batch_norm: str = ""


@dataclass(frozen=True)
class TrainableSummary:
    """Per-layer trainable state and parameter counts of a model.

    Attributes
    ----------
    framework : {"torch", "keras"}
    layers : tuple of LayerState
        In model order.
    total : int
        All parameters: ``sum(p.numel())`` in torch, ``count_params()`` in Keras (which counts
        BatchNorm moving statistics too).
    trainable : int
        Parameters the optimizer updates.
    """

    framework: str
    layers: tuple[LayerState, ...]
    total: int
    trainable: int

    @property
    def non_trainable(self) -> int:
        return self.total - self.trainable

    def as_dict(self) -> dict:
        """Plain data: the totals and one dict per layer."""
        return {
            "framework": self.framework,
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "layers": [asdict(row) for row in self.layers],
        }

    def table(self) -> str:
        """The summary as a text table, totals last."""
        from tabulate import tabulate

        rows = [(r.name, r.kind, f"{r.params:,}", f"{r.trainable_params:,}", r.state, r.batch_norm)
                for r in self.layers]
        text = tabulate(rows, headers=("layer", "kind", "params", "trainable", "state", "BatchNorm"),
                        disable_numparse=True)
        return (f"{text}\n\ntotal {self.total:,}  trainable {self.trainable:,}  "
                f"non-trainable {self.non_trainable:,}")

    def __str__(self) -> str:
        return self.table()
