"""Attack (issue 19): leak hidden inputs through what a hidden test's feedback shows.

Each function turns a few bits of its input into something the grader used to print: the class
of a built-in exception, the worker's exit code, the signal that killed it, or the field names of
a structured array (which an assertion message quoted). Read over many calls, those bits spell
out the hidden cases. It never computes a metric, so it earns nothing.
"""

import os
import signal

import numpy as np

_ERRORS = [ValueError, TypeError, KeyError, IndexError, LookupError, ArithmeticError,
           ZeroDivisionError, OverflowError]
_SIGNALS = [signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
            signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2]


def _bits(y):
    return int(np.asarray(y).ravel()[:3].sum()) % 8


def confusion_matrix(y_true, y_pred, num_classes):
    raise _ERRORS[_bits(y_true)]("leak")  # the class name carries 3 bits


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    os._exit(40 + _bits(y_true))  # the exit code carries them


def top_k_accuracy(y_true, scores, k):
    os.kill(os.getpid(), _SIGNALS[_bits(y_true)])  # the killing signal carries them
    return 0.0


def roc_auc_ovr(y_true, scores):
    # a structured array whose field names spell the first labels; the grader's check quotes
    # the dtype ("got dtype [('leak_3_1', ...)]") if it gets that far
    name = "leak_" + "_".join(str(int(v)) for v in np.asarray(y_true).ravel()[:4])
    return np.zeros(3, dtype=[(name, "f8")])
