"""Train / validation / test splits, stratified by class, and few-labels-per-class samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_int
from .labeled import LabeledImages

__all__ = ["Split", "split_indices", "train_val_test_split", "per_class_indices"]


@dataclass(frozen=True)
class Split:
    """Three disjoint parts of a dataset."""

    train: LabeledImages
    val: LabeledImages
    test: LabeledImages


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise UsageError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return float(value)


def _labels(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise UsageError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    return labels


def split_indices(labels, *, val: float = 0.15, test: float = 0.15, seed: int = 0,
                  stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the train, validation and test parts.

    Parameters
    ----------
    labels : array of shape (N,)
    val, test : float, default=0.15
        Fractions of the samples (of each class, when stratified) for validation and test;
        each part gets ``round(fraction * count)`` of a class's samples.
    seed : int, default=0
    stratify : bool, default=True
        Split every class in the same proportions; otherwise split the shuffled whole.

    Returns
    -------
    (train, val, test) : three sorted int arrays, disjoint, together all indices.

    Raises
    ------
    ValueError
        For fractions outside [0, 1) or adding up to 1 or more.
    """
    labels = _labels(labels)
    val, test = _fraction(val, "val"), _fraction(test, "test")
    if val + test >= 1:
        raise UsageError(f"val + test must leave samples to train on, got {val} + {test}")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if stratify else [np.arange(len(labels))]
    parts = ([], [], [])
    for group in groups:
        group = rng.permutation(group)
        n_test, n_val = round(test * len(group)), round(val * len(group))
        parts[2].append(group[:n_test])
        parts[1].append(group[n_test:n_test + n_val])
        parts[0].append(group[n_test + n_val:])
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)


def train_val_test_split(data: LabeledImages, *, val: float = 0.15, test: float = 0.15,
                         seed: int = 0, stratify: bool = True) -> Split:
    """:func:`split_indices` applied to a dataset."""
    train, valid, held_out = split_indices(data.labels, val=val, test=test, seed=seed, stratify=stratify)
    return Split(data.subset(train), data.subset(valid), data.subset(held_out))


def per_class_indices(labels, *, n: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` samples drawn at random from each class: a few-labels training set.

    Raises
    ------
    ValueError
        If ``n`` is not a positive int or a class has fewer than ``n`` samples.
    """
    labels = _labels(labels)
    n = check_int(n, name="n", low=1)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        group = np.flatnonzero(labels == c)
        if len(group) < n:
            raise UsageError(f"class {c.item()!r} has {len(group)} samples, fewer than n={n}")
        picked.append(rng.choice(group, size=n, replace=False))
    return np.sort(np.concatenate(picked)).astype(np.int64)
