"""PNG plots of evaluation records: confusion-matrix heatmaps and ROC curves.

The figures are built with matplotlib's object API on an Agg canvas, so they render headless and
leave pyplot's global state (and a notebook's backend) alone. The functions draw numbers they are
given (``cnnlab.reference.metrics.confusion_matrix``, ``cnnlab.reference.metrics.ovr_roc_curves``); they
compute no metric themselves and import no deep-learning framework.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

#: Above this many classes the cells carry no numbers and the axes no tick labels.
MAX_ANNOTATED_CLASSES = 30
MAX_TICK_LABELS = 50
#: Above this many classes the per-class ROC curves are drawn grey and left out of the legend.
MAX_LEGEND_CLASSES = 12


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path: str | Path | None) -> None:
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")


def _heatmap(ax, matrix: np.ndarray, labels: Sequence[str], title: str, *, integer: bool):
    n = matrix.shape[0]
    image = ax.imshow(matrix, cmap="Blues", interpolation="nearest", vmin=0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    if n <= MAX_TICK_LABELS:
        ax.set_xticks(
            range(n),
            labels,
            rotation=45 if max(map(len, labels)) > 3 else 0,
            ha="right" if max(map(len, labels)) > 3 else "center",
        )
        ax.set_yticks(range(n), labels)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if n <= MAX_ANNOTATED_CLASSES:
        # Dark cells get white text; the threshold is half the colour scale.
        middle = matrix.max() / 2.0 if matrix.size and matrix.max() > 0 else 0.5
        size = 10 if n <= 10 else 7
        for (i, j), value in np.ndenumerate(matrix):
            text = f"{int(value)}" if integer else f"{value:.2f}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=size,
                color="white" if value > middle else "black",
            )


def _check_matrix(matrix, labels, name: str) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise UsageError(f"{name} must be a square matrix, got shape {matrix.shape}")
    if len(labels) != matrix.shape[0]:
        raise UsageError(f"labels has {len(labels)} names but {name} has {matrix.shape[0]} classes")
    return matrix


def plot_confusion_matrix(
    counts,
    *,
    labels: Sequence,
    normalized=None,
    path: str | Path | None = None,
    title: str = "Confusion matrix",
):
    """Heatmap of a confusion matrix, with the row-normalised matrix beside it if given.

    Parameters
    ----------
    counts : array-like of shape (n_classes, n_classes)
        Counts, rows true classes and columns predicted classes.
    labels : sequence
        Class names, in row order.
    normalized : array-like of shape (n_classes, n_classes), optional
        The same matrix normalised (e.g. ``confusion_matrix(..., normalize="true")``); drawn in
        a second panel with two decimals.
    path : str or Path, optional
        Where to write the PNG (parent folders are created).
    title : str, default="Confusion matrix"

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = [str(label) for label in labels]
    counts = _check_matrix(counts, labels, "counts")
    panels = [(counts, f"{title} (counts)", True)]
    if normalized is not None:
        normalized = _check_matrix(normalized, labels, "normalized")
        panels.append((normalized, f"{title} (normalised by true class)", False))
    side = min(max(4.5, 0.45 * len(labels) + 2.5), 12.0)
    figure = _figure(side * len(panels) + 0.8 * len(panels), side)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (matrix, panel_title, integer) in zip(axes, panels, strict=True):
        _heatmap(ax, matrix, labels, panel_title, integer=integer)
    _save(figure, path)
    return figure


def plot_roc_curves(record: dict, *, path: str | Path | None = None, title: str = "ROC curves"):
    """ROC curves of every class, their micro and macro averages, with AUCs in the legend.

    Parameters
    ----------
    record : dict
        ``{"curves": [{"name", "fpr", "tpr", "auc"}, ...]}`` as returned by
        ``cnnlab.reference.metrics.ovr_roc_curves``; curves named ``"micro-average"`` and
        ``"macro-average"`` are drawn dashed and thick.
    path : str or Path, optional
        Where to write the PNG.
    title : str, default="ROC curves"

    Returns
    -------
    matplotlib.figure.Figure
    """
    curves = record.get("curves") if isinstance(record, dict) else None
    if not curves:
        raise UsageError(
            "record must be a dict with a non-empty 'curves' list (see ovr_roc_curves)"
        )
    averages = [c for c in curves if c["name"].startswith(("micro-average", "macro-average"))]
    classes = [c for c in curves if c not in averages]
    figure = _figure(7.0, 6.0)
    ax = figure.subplots()
    many = len(classes) > MAX_LEGEND_CLASSES
    for curve in classes:
        if many:
            ax.plot(curve["fpr"], curve["tpr"], color="0.75", linewidth=0.6)
        else:
            ax.plot(
                curve["fpr"],
                curve["tpr"],
                linewidth=1.4,
                label=f"{curve['name']} (AUC = {curve['auc']:.3f})",
            )
    if many:
        ax.plot([], [], color="0.75", label=f"{len(classes)} classes, one vs rest")
    for curve in averages:
        micro = curve["name"].startswith("micro")
        ax.plot(
            curve["fpr"],
            curve["tpr"],
            linestyle="--" if micro else ":",
            linewidth=2.6,
            color="black" if micro else "deeppink",
            label=f"{curve['name']} (AUC = {curve['auc']:.3f})",
        )
    ax.plot(
        [0, 1],
        [0, 1],
        color="0.5",
        linestyle=(0, (2, 4)),
        linewidth=1,
        label="chance (AUC = 0.500)",
    )
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    _save(figure, path)
    return figure
