"""This student's own transfer_harness.py: it reports count_trainable as always right and every
frozen weight as unchanged. The grader runs cnnlab's harness instead, so none of this counts."""


def counts(name, steps):
    return [{"total": 0, "trainable": 0, "count_trainable": 0, "count_error": ""}
            for _ in [None, *steps]]


def train_report(name, steps):
    return {"names": [], "before": [], "after": []}
