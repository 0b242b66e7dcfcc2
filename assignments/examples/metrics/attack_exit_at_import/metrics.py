"""Attack: end the process with exit status 0 while being imported, hoping the grader reads a
clean exit as "all tests passed" (it worked against graders that ran student code in-process)."""

import sys


def confusion_matrix(y_true, y_pred, num_classes):
    return None


sys.exit(0)
