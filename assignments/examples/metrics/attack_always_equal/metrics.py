"""Attack: return objects that claim to equal anything (``==`` is always True, ``!=`` always
False, close to everything, finite, of every type)."""


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __float__(self):
        return 0.0

    def __array__(self, dtype=None, copy=None):
        raise TypeError("no")

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([AlwaysEqual(), AlwaysEqual(), AlwaysEqual()])

    def __getattr__(self, name):
        return AlwaysEqual()


class EqualFloat(float):
    """A float that equals everything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


def confusion_matrix(y_true, y_pred, num_classes):
    return AlwaysEqual()


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return (AlwaysEqual(), EqualFloat(0.0), EqualFloat(0.0))


def top_k_accuracy(y_true, scores, k):
    return EqualFloat(0.0)


def roc_auc_ovr(y_true, scores):
    return AlwaysEqual()
