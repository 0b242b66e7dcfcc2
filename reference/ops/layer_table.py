"""Check a table of layers (CSV) with claimed output sizes and parameter counts.

Each row names one layer; its input is the previous row's *correct* output (or the row's own
``input`` column), so one wrong claim does not spoil the rows after it. Columns:

========  ======================================================================================
layer     a name to report
type      ``input``, ``conv``, ``depthwise``, ``pointwise``, ``separable``, ``maxpool``,
          ``avgpool``, ``gap`` (global average pooling), ``flatten``, ``dense`` or ``batchnorm``
input     optional input shape, e.g. ``32x32x3`` (height x width x channels) or ``400``
kernel    kernel side, ``5`` or ``5x5``
stride    default 1 (convolutions) or the kernel size (poolings)
padding   zeros per side, or ``same`` / ``valid``; default 0
filters   output channels (convolutions) or units (dense); a depthwise layer keeps its channels
bias      ``yes`` (default) or ``no``: lecture tables that count "weights" leave biases out
output    the claimed output shape (for ``input`` rows: the input shape itself)
params    the claimed number of learnable parameters
from      optional: the earlier row(s) this row reads, by their ``layer`` name, separated by
          ``;``. A layer row reads the one named row instead of the previous row (an Inception
          branch, a projection shortcut); ``concat`` joins the named rows' maps along channels;
          ``add`` sums named rows of equal shape (a residual connection); ``total`` adds up the
          named rows' parameters (``a..b`` names every row from ``a`` to ``b``)
repeat    optional, ``total`` rows only: how many times the named rows repeat (default 1)
correct   optional, not judged: the correct count, written out by whoever made the table
source    optional, not judged: where the row comes from (document and line)
note      optional, not judged; a note starting with ``error`` documents a wrong claim
========  ======================================================================================

Empty claims are computed but not judged. ``concat``, ``add`` and ``total`` rows have no
parameters of their own; a ``total`` row passes its input through unchanged, so the row after it
reads the same map. Sum only the layer rows of a table with ``total`` rows in it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cnnlab import paths
from cnnlab.errors import UsageError

from . import formulas

__all__ = ["LayerCheck", "check_layer_table", "parse_shape", "format_shape", "lecture_table",
           "LECTURE_TABLES", "LECTURE06_TABLES", "LAYER_TYPES", "MERGE_TYPES", "Erratum",
           "lecture_errata"]

#: Row types that take the inputs named in ``from`` and have no parameters of their own.
MERGE_TYPES = ("concat", "add", "total")
LAYER_TYPES = ("input", "conv", "depthwise", "pointwise", "separable", "maxpool", "avgpool", "gap",
               "flatten", "dense", "batchnorm", *MERGE_TYPES)
_COLUMNS = ("layer", "type", "input", "kernel", "stride", "padding", "filters", "bias", "output",
            "params", "note", "from", "repeat", "correct", "source")
FIXTURES = paths.fixtures_dir() / "ops"
#: The lecture tables shipped as fixtures, by name (single-path tables).
LECTURE_TABLES = ("lenet5", "alexnet", "vgg16", "mobilenet", "lecture_errors")
#: The parameter tables of the "Lecture 06" document, each row with the document's figure
#: (``params``), the correct one (``correct``), the arithmetic and the error if any (``note``);
#: GoogLeNet's and ResNet-50's use branch, concat, add and total rows.
LECTURE06_TABLES = ("lecture06_1x1", "lecture06_alexnet", "lecture06_vgg16", "lecture06_googlenet",
                    "lecture06_resnet50")


@dataclass(frozen=True)
class LayerCheck:
    """One row of a checked table: the correct values and whether each claim matches."""

    line: int
    layer: str
    type: str
    input: tuple[int, ...]
    output: tuple[int, ...]
    params: int
    claimed_output: tuple[int, ...] | None
    claimed_params: int | None

    @property
    def output_ok(self) -> bool | None:
        return None if self.claimed_output is None else self.claimed_output == self.output

    @property
    def params_ok(self) -> bool | None:
        return None if self.claimed_params is None else self.claimed_params == self.params

    @property
    def ok(self) -> bool:
        """No claim in the row is wrong."""
        return self.output_ok is not False and self.params_ok is not False


def lecture_table(name: str) -> Path:
    """Path of a lecture table fixture (one of :data:`LECTURE_TABLES` or :data:`LECTURE06_TABLES`)."""
    if name not in LECTURE_TABLES + LECTURE06_TABLES:
        raise UsageError(f"unknown lecture table {name!r}; valid tables: "
                         f"{', '.join(LECTURE_TABLES + LECTURE06_TABLES)}")
    return FIXTURES / f"{name}.csv"


@dataclass(frozen=True)
class Erratum:
    """A figure a lecture document gets wrong: where, what it says, what is right, and why."""

    table: str
    layer: str
    source: str
    document: int
    correct: int
    arithmetic: str


def lecture_errata(tables=LECTURE06_TABLES) -> list[Erratum]:
    """The wrong parameter counts of the lecture tables, found by :func:`check_layer_table`.

    Parameters
    ----------
    tables : sequence of str, default=LECTURE06_TABLES
        Names accepted by :func:`lecture_table`.

    Returns
    -------
    list of Erratum
        One per row whose claimed count the checker finds wrong, in table order; ``arithmetic``
        is the row's note.
    """
    errata = []
    for name in tables:
        path = lecture_table(name)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row, check in zip(rows, check_layer_table(path), strict=True):
            if check.params_ok is False:
                note = row.get("note") or ""
                errata.append(Erratum(name, check.layer, row.get("source") or "",
                                      check.claimed_params, check.params,
                                      note.removeprefix("error: ")))
    return errata


def parse_shape(text: str) -> tuple[int, ...]:
    """``"28x28x6"`` (or ``28×28×6``, ``28 x 28 x 6``) to ``(28, 28, 6)``; ``"400"`` to ``(400,)``."""
    parts = re.split(r"\s*[x×*,]\s*", str(text).strip().lower())
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise UsageError(f"cannot read the shape {text!r}; write it like 28x28x6 or 400") from None
    if any(d < 1 for d in shape) or len(shape) not in (1, 3):
        raise UsageError(f"a shape is HxWxC or a single length, got {text!r}")
    return shape


def format_shape(shape: tuple[int, ...]) -> str:
    """``(28, 28, 6)`` to ``"28x28x6"``."""
    return "x".join(str(d) for d in shape)


def _count(text: str) -> int:
    cleaned = re.sub(r"[,_\s]", "", text)
    if not cleaned.isdigit():
        raise UsageError(f"cannot read the count {text!r}")
    return int(cleaned)


def _int_field(row: dict, key: str, default: int | None) -> int:
    value = (row.get(key) or "").strip()
    if not value:
        if default is None:
            raise UsageError(f"column {key!r} is required for a {row['type']} layer")
        return default
    side = {_count(part) for part in re.split(r"\s*[x×]\s*", value.lower())}
    if len(side) != 1:
        raise UsageError(f"column {key!r}: only square kernels are supported, got {value!r}")
    return side.pop()


def _bias(row: dict) -> bool:
    value = (row.get("bias") or "yes").strip().lower()
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise UsageError(f"column 'bias' must be yes or no, got {value!r}")


def _padding(row: dict):
    value = (row.get("padding") or "0").strip().lower()
    return value if value in ("same", "valid") else _count(value)


def _spatial(shape, kind):
    if len(shape) != 3:
        raise UsageError(f"a {kind} layer needs an HxWxC input, got {format_shape(shape)}")
    return shape


def _layer(row: dict, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(correct output shape, correct parameter count) of one row given its input shape."""
    kind = row["type"]
    if kind in ("conv", "depthwise", "pointwise", "separable", "maxpool", "avgpool"):
        h, w, c = _spatial(shape, kind)
        kernel = 1 if kind == "pointwise" else _int_field(row, "kernel", None)
        pooling = kind in ("maxpool", "avgpool")
        stride = _int_field(row, "stride", kernel if pooling else 1)
        padding = _padding(row)
        size = formulas.pool_output_size if pooling else formulas.conv_output_size
        out_h, out_w = (size(side, kernel_size=kernel, stride=stride, padding=padding) for side in (h, w))
        bias = _bias(row)
        if pooling:
            return (out_h, out_w, c), 0
        if kind == "depthwise":
            filters = _int_field(row, "filters", c)
            if filters % c:
                raise UsageError(f"a depthwise layer's filters ({filters}) must be a multiple of its "
                                 f"input channels ({c})")
            params = formulas.depthwise_params(channels=c, kernel_size=kernel,
                                               depth_multiplier=filters // c, bias=bias)
            return (out_h, out_w, filters), params
        filters = _int_field(row, "filters", None)
        if kind == "separable":
            params = formulas.separable_params(in_channels=c, out_channels=filters,
                                               kernel_size=kernel, bias=bias)
        else:
            params = formulas.conv_params(in_channels=c, out_channels=filters, kernel_size=kernel,
                                          bias=bias)
        return (out_h, out_w, filters), params
    if kind == "gap":
        return (_spatial(shape, kind)[2],), 0
    if kind == "flatten":
        n = 1
        for d in shape:
            n *= d
        return (n,), 0
    if kind == "batchnorm":
        return shape, formulas.batchnorm_params(channels=shape[-1])
    if kind == "dense":
        if len(shape) != 1:
            raise UsageError(f"a dense layer needs a flat input; add a flatten row before it "
                             f"(input is {format_shape(shape)})")
        units = _int_field(row, "filters", None)
        return (units,), formulas.dense_params(in_features=shape[0], out_features=units,
                                               bias=_bias(row))
    raise AssertionError(kind)


def _references(row: dict, seen: dict, order: list) -> list[str]:
    """The earlier rows a row's ``from`` column names, ``a..b`` expanded in table order."""
    names = []
    for part in (p.strip() for p in row.get("from", "").split(";")):
        if not part:
            continue
        if ".." in part:
            first, last = (p.strip() for p in part.split("..", 1))
            for end in (first, last):
                if end not in seen:
                    raise UsageError(f"column 'from' names {end!r}, which is no earlier row")
            i, j = order.index(first), order.index(last)
            if j < i:
                raise UsageError(f"column 'from': {part!r} runs backwards")
            names += order[i:j + 1]
        elif part not in seen:
            raise UsageError(f"column 'from' names {part!r}, which is no earlier row")
        else:
            names.append(part)
    return names


def _merge(kind: str, shapes: list, row: dict, params_of: list) -> tuple[tuple[int, ...], int]:
    if kind == "total":
        repeat = _count(row.get("repeat") or "1")
        return None, repeat * sum(params_of)
    if len(shapes) < 2:
        raise UsageError(f"a {kind} row needs at least two rows in 'from'")
    if kind == "add":
        if len(set(shapes)) != 1:
            raise UsageError("an add row needs inputs of one shape, got "
                             + ", ".join(format_shape(s) for s in shapes)
                             + " (a projection shortcut would make them equal)")
        return shapes[0], 0
    spatial = {s[:-1] for s in shapes}
    if any(len(s) != 3 for s in shapes) or len(spatial) != 1:
        raise UsageError("a concat row needs HxWxC inputs of one height and width, got "
                         + ", ".join(format_shape(s) for s in shapes))
    return (*spatial.pop(), sum(s[-1] for s in shapes)), 0


def _rows(source):
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"layer table {str(path)!r} does not exist")
        text = path.read_text(encoding="utf-8")
        return list(csv.DictReader(io.StringIO(text)))
    if hasattr(source, "read"):
        return list(csv.DictReader(source))
    rows = list(source)
    if not all(isinstance(r, dict) for r in rows):
        raise UsageError("source must be a CSV path, an open CSV file or a list of dicts")
    return rows


def check_layer_table(source) -> list[LayerCheck]:
    """Compute every layer's output shape and parameters and judge the claimed ones.

    Parameters
    ----------
    source : str, Path, file object or list of dict
        A CSV file with the columns described in this module's docstring, or its rows.

    Returns
    -------
    list of LayerCheck
        One per row, with the correct values; ``output_ok`` / ``params_ok`` are None where the
        row makes no claim.

    Raises
    ------
    ValueError
        Naming the line and the column of a row that cannot be read.
    """
    rows = _rows(source)
    if not rows:
        raise UsageError("the layer table has no rows")
    unknown = set(rows[0]) - set(_COLUMNS) - {None}
    if unknown:
        raise UsageError(f"unknown column(s) {sorted(unknown)}; valid columns: {', '.join(_COLUMNS)}")
    checks, shape = [], None
    seen: dict[str, LayerCheck] = {}
    order: list[str] = []
    for line, row in enumerate(rows, start=2):  # line 1 holds the header
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        name = row.get("layer") or f"line {line}"
        try:
            kind = row.get("type", "").lower()
            if kind not in LAYER_TYPES:
                raise UsageError(f"column 'type' must be one of {', '.join(LAYER_TYPES)}; got {kind!r}")
            row["type"] = kind
            refs = _references(row, seen, order)
            if row.get("repeat") and kind != "total":
                raise UsageError("column 'repeat' is for total rows only")
            if refs and kind not in MERGE_TYPES:
                if len(refs) != 1:
                    raise UsageError(f"a {kind} row reads one row; 'from' names {len(refs)}")
                shape = seen[refs[0]].output
            if row.get("input"):
                shape = parse_shape(row["input"])
            if kind in MERGE_TYPES:
                if not refs:
                    raise UsageError(f"a {kind} row needs the rows it joins in column 'from'")
                output, params = _merge(kind, [seen[r].output for r in refs], row,
                                        [seen[r].params for r in refs])
                if output is None:  # a total passes its input through
                    output = shape if shape is not None else ()
            elif kind == "input":
                given = row.get("input") or row.get("output")
                if not given:
                    raise UsageError("an input row needs its shape in 'input' or 'output'")
                shape = parse_shape(given)
                output, params = shape, 0
            elif shape is None:
                raise UsageError("the first layer needs an 'input' shape (or an input row before it)")
            else:
                output, params = _layer(row, shape)
            claimed_output = parse_shape(row["output"]) if row.get("output") else None
            claimed_params = _count(row["params"]) if row.get("params") else None
        except ValueError as exc:
            raise UsageError(f"layer table line {line} ({name}): {exc}") from None
        check = LayerCheck(line, name, kind, shape if shape is not None else (), output, params,
                           claimed_output, claimed_params)
        checks.append(check)
        seen[name] = check
        order.append(name)
        shape = output
    return checks
