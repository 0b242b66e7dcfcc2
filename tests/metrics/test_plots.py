"""The confusion-matrix heatmap and the ROC plot draw the numbers they are given."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread
from sklearn import metrics as skm

from cnnlab.reference import metrics
from cnnlab.reports.plots_metrics import plot_confusion_matrix, plot_roc_curves

Y_TRUE = np.array(["cat", "dog", "fox"] * 6)
Y_PRED = np.roll(Y_TRUE, 1)
Y_PRED[:9] = Y_TRUE[:9]
LABELS = ["cat", "dog", "fox"]


def _panel_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_confusion_heatmap_counts_and_normalised(tmp_path):
    counts = skm.confusion_matrix(Y_TRUE, Y_PRED)
    normalized = skm.confusion_matrix(Y_TRUE, Y_PRED, normalize="true")
    path = tmp_path / "sub" / "cm.png"
    figure = plot_confusion_matrix(counts, labels=LABELS, normalized=normalized, path=path)
    heatmaps = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in heatmaps] == [
        "Confusion matrix (counts)",
        "Confusion matrix (normalised by true class)",
    ]
    # one number per cell, row by row, as scikit-learn counted them
    assert _panel_texts(heatmaps[0]) == [str(v) for v in counts.ravel()]
    assert _panel_texts(heatmaps[1]) == [f"{v:.2f}" for v in normalized.ravel()]
    assert [t.get_text() for t in heatmaps[0].get_yticklabels()] == LABELS
    assert np.array_equal(heatmaps[0].images[0].get_array(), counts)
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > image.shape[0]


def test_large_matrices_skip_numbers_and_ticks():
    counts = np.diag(np.arange(1, 61))
    figure = plot_confusion_matrix(counts, labels=range(60))
    ax = figure.axes[0]
    assert len(ax.texts) == 0 and len(ax.get_xticks()) == 0


def test_roc_plot_legend_holds_each_auc(tmp_path):
    rng = np.random.default_rng(0)
    y_true = np.tile(np.arange(3), 20)
    scores = rng.dirichlet(np.ones(3), size=60) + 2 * np.eye(3)[y_true]
    scores /= scores.sum(axis=1, keepdims=True)
    record = metrics.ovr_roc_curves(y_true, scores)
    figure = plot_roc_curves(record, path=tmp_path / "roc.png")
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    aucs = skm.roc_auc_score(y_true, scores, multi_class="ovr", average=None)
    micro = skm.roc_auc_score(y_true, scores, multi_class="ovr", average="micro")
    macro = skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro")
    assert legend == [f"{c} (AUC = {a:.3f})" for c, a in enumerate(aucs)] + [
        f"micro-average (AUC = {micro:.3f})",
        f"macro-average (AUC = {macro:.3f})",
        "chance (AUC = 0.500)",
    ]
    fpr, tpr, _ = skm.roc_curve(y_true, scores[:, 0], pos_label=0)
    line = figure.axes[0].lines[0]
    assert np.allclose(line.get_xdata(), fpr) and np.allclose(line.get_ydata(), tpr)
    assert imread(tmp_path / "roc.png").shape[:2] == (600, 700)


def test_many_classes_are_grey_and_out_of_the_legend():
    curves = [{"name": str(i), "fpr": [0, 1], "tpr": [0, 1], "auc": 0.5} for i in range(20)]
    figure = plot_roc_curves({"curves": curves})
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["20 classes, one vs rest", "chance (AUC = 0.500)"]


def test_bad_records():
    with pytest.raises(ValueError, match=r"counts must be a square matrix, got shape \(2, 3\)"):
        plot_confusion_matrix(np.zeros((2, 3)), labels=["a", "b"])
    with pytest.raises(ValueError, match=r"labels has 3 names but counts has 2 classes"):
        plot_confusion_matrix(np.zeros((2, 2)), labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"non-empty 'curves' list"):
        plot_roc_curves({})
