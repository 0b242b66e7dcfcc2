"""Bad input gives a ValueError that says what is wrong and with which argument."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.reference import metrics

Y3 = [0, 1, 2, 0, 1, 2]
P3 = np.full((6, 3), 1 / 3)


def test_mismatched_lengths_name_both_arguments():
    with pytest.raises(ValueError, match=r"y_true has 3 samples but y_pred has 2"):
        metrics.confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"y_true has 6 samples but scores has 5"):
        metrics.top_k_accuracy(Y3, P3[:5], k=1)
    with pytest.raises(ValueError, match=r"y_true has 6 samples but scores has 5"):
        metrics.roc_auc(Y3, P3[:5])
    with pytest.raises(ValueError, match=r"y_true has 3 samples but scores has 2"):
        metrics.roc_curve([0, 1, 1], [0.2, 0.3])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores(bad):
    scores = P3.copy()
    scores[4, 2] = bad
    for call in (
        lambda: metrics.top_k_accuracy(Y3, scores, k=1),
        lambda: metrics.roc_auc(Y3, scores),
        lambda: metrics.roc_curve([0, 1, 0, 1, 1, 0], scores[:, 2]),
    ):
        with pytest.raises(ValueError, match=r"scores contains 1 non-finite value\(s\)"):
            call()


def test_score_width_must_match_the_classes():
    with pytest.raises(ValueError, match=r"y_true holds 3 classes but scores has 4 columns"):
        metrics.top_k_accuracy(Y3, np.full((6, 4), 0.25), k=1)
    with pytest.raises(ValueError, match=r"labels has 3 classes but scores has 4 columns"):
        metrics.roc_auc(Y3, np.full((6, 4), 0.25), labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"y_true holds 3 classes but scores is 1-D"):
        metrics.roc_auc(Y3, np.linspace(0, 1, 6))


@pytest.mark.parametrize(
    ("k", "message"),
    [
        (0, r"k must be an int between 1 and 3 \(scores has 3 classes\); 0 is out of range"),
        (4, r"k must be an int between 1 and 3 .*; 4 is out of range"),
        (1.5, r"k must be an int between 1 and 3 .*; got 1.5"),
        (True, r"k must be an int between 1 and 3 .*; got True"),
    ],
)
def test_k_out_of_range(k, message):
    with pytest.raises(ValueError, match=message):
        metrics.top_k_accuracy(Y3, P3, k=k)


def test_roc_of_a_class_without_positive_samples():
    scores = np.full((6, 4), 0.25)
    with pytest.raises(ValueError, match=r"class 3 \(column 3 of scores\) has no positive samples"):
        metrics.roc_auc(Y3, scores, labels=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"no sample of the positive class pos_label=3"):
        metrics.roc_curve(Y3, scores[:, 3], pos_label=3)
    with pytest.raises(ValueError, match=r"every sample of y_true is of the positive class"):
        metrics.roc_curve([1, 1], [0.3, 0.4])
    with pytest.raises(ValueError, match=r"class 'cat' .* no positive samples"):
        metrics.ovr_roc_curves(
            ["dog", "eel", "dog"], np.full((3, 3), 1 / 3), labels=["cat", "dog", "eel"]
        )


def test_roc_curve_needs_pos_label_unless_implied():
    with pytest.raises(
        ValueError, match=r"y_true holds the classes \['cat', 'dog'\]; pass pos_label="
    ):
        metrics.roc_curve(["cat", "dog"], [0.1, 0.9])
    with pytest.raises(ValueError, match=r"pass pos_label="):
        metrics.roc_curve([1, 2], [0.1, 0.9])
    with pytest.raises(ValueError, match=r"y_true holds string labels but pos_label holds number"):
        metrics.roc_curve(["cat", "dog"], [0.1, 0.9], pos_label=1)
    with pytest.raises(ValueError, match=r"scores must be 1-D for roc_curve.*scores\[:, j\]"):
        metrics.roc_curve(Y3, P3, pos_label=1)


def test_probabilities_that_do_not_sum_to_one():
    with pytest.raises(ValueError, match=r"rows sum to 0.6 \.\.\. 0.6, not 1"):
        metrics.roc_auc(Y3, np.full((6, 3), 0.2))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: metrics.confusion_matrix(Y3, Y3, normalize="rows"),
            r"normalize must be one of None, 'true', 'pred', 'all'; got 'rows'",
        ),
        (
            lambda: metrics.precision_recall_f1(Y3, Y3, average="samples"),
            r"average must be one of None, 'micro', 'macro', 'weighted', 'binary'; got 'samples'",
        ),
        (
            lambda: metrics.roc_auc(Y3, P3, average="binary"),
            r"average must be one of 'macro', 'micro', 'weighted', None; got 'binary'",
        ),
        (
            lambda: metrics.roc_auc(Y3, P3, multi_class="ovo"),
            r"multi_class must be one of 'ovr'; got 'ovo'",
        ),
        (
            lambda: metrics.precision_recall_f1(Y3, Y3, zero_division="warn"),
            r"zero_division must be one of 0.0, 1.0, nan .*; got 'warn'",
        ),
        (
            lambda: metrics.per_class_rates(Y3, Y3, zero_division=0.5),
            r"zero_division must be one of .*; got 0.5",
        ),
        (
            lambda: metrics.classification_report(Y3, Y3, digits=-1),
            r"digits must be an int >= 0; -1 is out of range",
        ),
    ],
)
def test_unknown_options_list_the_valid_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_labels_must_be_labels():
    with pytest.raises(ValueError, match=r"y_true holds string labels but y_pred holds number"):
        metrics.confusion_matrix(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"y_pred holds 0.7, which is not a class label"):
        metrics.accuracy([0, 1], [0.7, 1.0])
    with pytest.raises(ValueError, match=r"y_true must be a 1-D .* shape \(2, 3\).*argmax"):
        metrics.classification_report(np.eye(3)[:2], [0, 1])
    with pytest.raises(ValueError, match=r"y_true is empty"):
        metrics.confusion_matrix([], [])
    with pytest.raises(ValueError, match=r"y_true mixes label types \(int, str\)"):
        metrics.accuracy(np.array([1, "a"], dtype=object), [1, 1])
    with pytest.raises(ValueError, match=r"y_true holds nan, which is not a class label"):
        metrics.accuracy([np.nan, 1.0], [1, 1])


def test_labels_argument_is_checked():
    with pytest.raises(ValueError, match=r"labels lists \[1\] more than once"):
        metrics.confusion_matrix(Y3, Y3, labels=[0, 1, 1])
    with pytest.raises(ValueError, match=r"none of labels=\[7, 8\] occurs in y_true"):
        metrics.confusion_matrix(Y3, Y3, labels=[7, 8])
    with pytest.raises(ValueError, match=r"y_true holds \[2\], which labels does not list"):
        metrics.top_k_accuracy(Y3, np.full((6, 2), 0.5), k=1, labels=[0, 1])
    with pytest.raises(ValueError, match=r"target_names has 2 names but there are 3 classes"):
        metrics.classification_report(Y3, Y3, target_names=["a", "b"])


def test_binary_average_needs_two_classes_and_the_positive_one():
    with pytest.raises(ValueError, match=r"average='binary' needs at most two classes.*hold 3"):
        metrics.precision_recall_f1(Y3, Y3, average="binary")
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the classes \['neg', 'pos'\]"):
        metrics.precision_recall_f1(["neg", "pos"], ["pos", "pos"], average="binary")


def test_unreadable_input_is_a_value_error():
    class Symbolic:  # like a symbolic Keras tensor: no value to read
        def __array__(self, *args, **kwargs):
            raise TypeError("symbolic tensor has no value")

    with pytest.raises(ValueError, match=r"y_true could not be read as an array"):
        metrics.accuracy(Symbolic(), [1])
