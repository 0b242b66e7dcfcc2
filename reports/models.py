"""Tables of ``cnnlab models`` and ``cnnlab compare`` records (their ``to_json()`` form)."""

from __future__ import annotations

from collections.abc import Iterable

from .tables import table, to_json

MODEL_COLUMNS = (
    "arch", "framework", "variant", "params", "trainable_params", "expected_params",
    "input_shape", "output_shape", "gmacs", "matches",
)
COMPARE_COLUMNS = (
    "arch", "variant", "direction", "torch_params", "keras_params", "keras_trainable_params",
    "max_abs_diff", "max_rel_diff", "first_divergent_layer", "ok",
)


def models_table(records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    return table(records, MODEL_COLUMNS, tablefmt=tablefmt)


def compare_table(records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    return table(records, COMPARE_COLUMNS, tablefmt=tablefmt)


def side_by_side(model_records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    """One row per (arch, variant): parameters, GMACs and output shape per framework."""
    rows: dict[tuple, dict] = {}
    for r in model_records:
        row = rows.setdefault((r["arch"], r["variant"]), {"arch": r["arch"], "variant": r["variant"]})
        fw = r["framework"]
        row[f"{fw}_params"] = r["params"]
        row[f"{fw}_trainable"] = r["trainable_params"]
        row[f"{fw}_gmacs"] = r["gmacs"]
        row[f"{fw}_output"] = r["output_shape"]
    columns = (
        "arch", "variant", "torch_params", "keras_params", "keras_trainable",
        "torch_gmacs", "keras_gmacs", "torch_output", "keras_output",
    )
    return table(rows.values(), columns, tablefmt=tablefmt)


def compare_side_by_side(compare_records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    """One row per (arch, variant) of ``cnnlab compare``: parameters, GMACs, output shapes."""
    rows: dict[tuple, dict] = {}
    for r in compare_records:
        rows.setdefault((r["arch"], r["variant"]), r)
    columns = (
        "arch", "variant", "torch_params", "keras_params", "keras_trainable_params",
        "torch_gmacs", "keras_gmacs", "torch_output_shape", "keras_output_shape",
    )
    return table(rows.values(), columns, tablefmt=tablefmt)


def render_models(records: list[dict], *, as_json: bool = False, wide: bool = False) -> str:
    """What ``cnnlab models`` prints: the JSON records, the side-by-side table (``wide``, one
    column per framework) or the full table."""
    if as_json:
        return to_json(records)
    return side_by_side(records) if wide else models_table(records)


def render_compare(records: list[dict], *, as_json: bool = False) -> str:
    """What ``cnnlab compare`` prints: the JSON records, or the side-by-side and the full table."""
    if as_json:
        return to_json(records)
    return compare_side_by_side(records) + "\n\n" + compare_table(records)
