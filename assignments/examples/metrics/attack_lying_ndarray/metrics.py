"""Attack: a numpy subclass that lies: every comparison is True, every ufunc and numpy function
(``allclose``, ``array_equal``, ``isfinite`` ...) says "equal", its dtype claims to be integer."""

import numpy as np


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other) or (), dtype=bool).view(Liar)

    def __ne__(self, other):
        return np.zeros(np.shape(other) or (), dtype=bool).view(Liar)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __float__(self):
        return 1.0

    def __bool__(self):
        return True

    def tolist(self):
        return [0]


def _liar(shape):
    return np.zeros(shape).view(Liar)


def confusion_matrix(y_true, y_pred, num_classes):
    return np.zeros((num_classes, num_classes), dtype=np.int64).view(Liar)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    shape = (num_classes,) if average is None else ()
    return _liar(shape), _liar(shape), _liar(shape)


def top_k_accuracy(y_true, scores, k):
    return _liar(())


def roc_auc_ovr(y_true, scores):
    return _liar(())
