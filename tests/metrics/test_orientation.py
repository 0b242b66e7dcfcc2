"""``confusion_matrix(rows="predicted")``: the layout of the "CNN – II" lecture's slide (predicted
classes in rows: TP, FP on the first row; FN, TN on the second, positive class first).

Oracle: scikit-learn's confusion_matrix (true classes in rows), transposed.
"""

import numpy as np
import pytest
from sklearn import metrics as skm

from cnnlab.reference import metrics


def test_binary_slide_layout():
    # 50 positives (40 found), 50 negatives (45 rejected); the positive class listed first
    y_true = np.array([1] * 50 + [0] * 50)
    y_pred = np.array([1] * 40 + [0] * 10 + [1] * 5 + [0] * 45)
    slide = metrics.confusion_matrix(y_true, y_pred, labels=[1, 0], rows="predicted")
    (tp, fp), (fn, tn) = slide
    assert (tp, fp, fn, tn) == (40, 5, 10, 45)
    np.testing.assert_array_equal(slide, skm.confusion_matrix(y_true, y_pred, labels=[1, 0]).T)


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_predicted_rows_are_the_transpose_for_every_normalisation(normalize):
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    ours = metrics.confusion_matrix(y_true, y_pred, normalize=normalize, rows="predicted")
    np.testing.assert_allclose(ours, skm.confusion_matrix(y_true, y_pred, normalize=normalize).T)


def test_unknown_orientation_lists_the_choices():
    with pytest.raises(ValueError, match="rows must be one of 'true', 'predicted'; got 'columns'"):
        metrics.confusion_matrix([0, 1], [1, 1], rows="columns")
