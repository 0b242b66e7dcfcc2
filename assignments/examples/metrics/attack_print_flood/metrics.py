"""Attack: print gigabytes while being imported (to fill the grader's memory or disk, or to
bury its report)."""

import sys

chunk = "spam " * 200_000  # 1 MB
for _ in range(4096):  # 4 GB in all
    sys.stdout.write(chunk)
    sys.stderr.write(chunk)


def confusion_matrix(y_true, y_pred, num_classes):
    return None
