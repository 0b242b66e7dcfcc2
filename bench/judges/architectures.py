"""Grader-side checks of a student's CNN: load its exported weights into the reference, compare.

The worker (``bench/judges/helpers/model_export.py``) builds the student's model, redraws its
weights from a seed the grader chose, runs the grader's input through it and exports the weights
as ``.npy`` files with a manifest. This module, running in the trusted grader, builds the
reference architecture in PyTorch (on the ``meta`` device, so nothing is allocated twice), and
judges four things, each on evidence the submission cannot fake without the right network:

``params``
    The exported weight tensors are exactly the reference's, kind for kind and shape for shape
    (so the count is backed by real layers, not by a number), and their sizes add up to the
    expected total and trainable counts (Keras counts BatchNorm statistics in its total).
``output``
    The output has shape ``(N, num_classes)`` and is what the model's last layer computed.
``layers``
    Each layer's output shape equals the reference layer's it matched.
``function``
    The reference, loaded with the student's weights (ported from Keras where needed by
    :mod:`cnnlab.reference.layouts`: kernels ``HWIO -> OIHW``, dense kernels transposed, the rows
    of the first dense layer after a flatten reordered from Keras' H, W, C to torch's C, H, W),
    gives the student's output on the grader's input; and the weights are the ones drawn from the
    grader's seed.

Equivalent layouts are accepted: a Keras model that permutes its maps to channels first before
``Flatten`` holds its first dense kernel in torch's C, H, W order, which the reference reads as it
is (the verdict says which order it found). A torch model that flattens H, W, C is not accepted:
it follows neither torch's order nor the reference's, and a torch checkpoint would give it
another function.

What is not equivalent is explained by the first *operation* that differs, found by evidence: at
the first layer whose output differs, the grader replays the operations between the last layer
that agreed and this one with alternatives (another activation, none, another pooling, other
padding or stride, the other flatten order) and names the one that reproduces the student's
recorded output ("after our 'features.0' the reference applies tanh then 2x2 average pooling;
yours applies ReLU then 2x2 max pooling").

The reference is the catalog's ``default`` variant of each architecture unless the assignment
picks another (``[options] variants = { lenet5 = "relu_max" }`` in ``assignment.toml``).

Layers are matched by structure, never by name: a reference layer takes a student layer of the
same kind and weight shapes; where several fit (VGG's five 512x512 convolutions, a ResNet's
shortcut next to its last convolution), the one whose recorded output matches the reference
layer's output on the same input wins. At most one student model is held at a time: arrays are
loaded one layer at a time straight into the reference's tensors.
"""

from __future__ import annotations

import itertools
import math
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from cnnlab.errors import UsageError
from cnnlab.reference import layouts

from .helpers import model_export as mx

ARCHS = ("lenet5", "alexnet", "vgg16", "resnet18", "resnet50")
FRAMEWORKS = ("torch", "keras")
CRITERIA = ("params", "output", "layers", "function")
RTOL = 1e-4  # relative; float32 outputs of one network in two frameworks differ by about 1e-6
PREFIX_CHECKED = 1024  # values of each weight tensor compared with the seeded draw


@dataclass
class Check:
    """One criterion: passed or not, and a message written by the grader."""

    ok: bool = False
    message: str = "not checked"


@dataclass
class Verdict:
    """What :func:`judge` found for one architecture in one framework.

    Attributes
    ----------
    arch, framework : str
    checks : dict
        ``params``, ``output``, ``layers``, ``function`` -> :class:`Check`.
    zoo : list of str
        Model-zoo evidence the worker found (imports, classes, layer names).
    counts : dict
        ``total`` and ``trainable`` counted from the exported arrays, and ``expected``.
    max_abs_diff : float or None
        Between the student's output and the reference's with the student's weights.
    first_divergent : str or None
        The first reference layer whose output differed (its name and the student's).
    explanation : str or None
        The first operation that differs, where a replay found it.
    flatten_order : str or None
        The order (``"C, H, W"`` or ``"H, W, C"``) in which the student's model flattened the map
        its first dense layer reads, where the judge found it.
    fatal : str or None
        Why nothing could be checked (the build raised, a forbidden model zoo), if so.
    notes : list of str
        What the student should read even where every check passed (an equivalent layout that
        was accepted).
    """

    arch: str
    framework: str
    checks: dict = field(default_factory=lambda: {c: Check() for c in CRITERIA})
    zoo: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    max_abs_diff: float | None = None
    first_divergent: str | None = None
    explanation: str | None = None
    flatten_order: str | None = None
    fatal: str | None = None
    notes: list = field(default_factory=list)

    def fail_all(self, message: str) -> Verdict:
        """Fail every criterion for one reason (kept in :attr:`fatal`)."""
        self.fatal = message
        for check in self.checks.values():
            check.ok, check.message = False, message
        return self


def check_arch(arch: str, framework: str) -> None:
    """Raise a ``ValueError`` naming the valid choices for an unknown arch or framework."""
    if arch not in ARCHS:
        raise UsageError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
    if framework not in FRAMEWORKS:
        raise UsageError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")


def new_seed() -> int:
    """A seed the submission cannot predict (drawn when grading, from the OS)."""
    return secrets.randbits(62)


def grading_input(arch: str, framework: str, *, seed: int, batch: int = 2) -> tuple:
    """``(x_nchw, x_for_the_framework)``: standard normal images of the architecture's size."""
    from cnnlab.reference.catalog import get

    spec = get(arch)
    rng = np.random.default_rng([int(seed), 0x1A])
    x = rng.standard_normal((batch, spec.in_channels, *spec.input_size), dtype=np.float32)
    native = np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if framework == "keras" else x
    return x, native


# ------------------------------------------------------------------------------------ reference


@dataclass
class _RefLayer:
    index: int
    name: str
    kind: str
    shapes: dict  # role -> torch-layout shape
    module: object
    flatten_from: tuple | None = None  # (C, H, W) of the map a dense layer reads after a flatten
    output_shape: tuple | None = None  # without the batch


def check_variants(variants) -> dict:
    """The ``{arch: variant}`` an assignment grades against, every arch filled in (``default``).

    Raises
    ------
    UsageError
        For an unknown architecture or a variant the catalog does not have (naming the choices).
    """
    from cnnlab.reference.catalog import get

    if variants is None:
        variants = {}
    if not isinstance(variants, dict):
        raise UsageError(f"variants must be a table of arch = variant, got {variants!r}")
    for arch, variant in variants.items():
        if arch not in ARCHS:
            raise UsageError(f"variants: arch must be one of {', '.join(ARCHS)}, got {arch!r}")
        if not isinstance(variant, str):
            raise UsageError(f"variants: {arch} = {variant!r} is not a variant name; valid variants: "
                             f"{', '.join(get(arch).variants)}")
        get(arch).variant(variant)
    return {arch: variants.get(arch, "default") for arch in ARCHS}


def reference_model(arch: str, num_classes: int, *, variant: str = "default"):
    """The reference torch model on the ``meta`` device (no memory behind its tensors)."""
    from cnnlab.reference import build
    from cnnlab.reference.frameworks import prepare

    prepare(("torch", "keras"))  # building on "meta" may load triton, which must precede TensorFlow
    import torch

    with torch.device("meta"):
        model = build(arch, "torch", num_classes=num_classes, variant=variant)
    return model.eval()


def _reference_layers(model, input_shape) -> list[_RefLayer]:
    """Layers with weights, their torch-layout shapes, output shapes and flatten sources (from
    a forward pass on ``meta`` tensors)."""
    import torch

    layers = [_RefLayer(i, name, kind, {role: tuple(t.shape) for role, t in weights.items()}, module)
              for i, (name, module, kind, weights) in enumerate(mx._torch_layers(model))]
    by_module = {layer.module: layer for layer in layers}
    last_map = [None]

    def hook(module, inputs, output):
        out = mx._first(output)
        layer = by_module.get(module)
        if layer is not None:
            layer.output_shape = tuple(out.shape[1:])
            if layer.kind == "dense" and last_map[0] is not None and inputs[0].dim() == 2:
                if math.prod(last_map[0]) == inputs[0].shape[1]:
                    layer.flatten_from = last_map[0]
                last_map[0] = None
        if out.dim() == 4:
            last_map[0] = tuple(out.shape[1:])

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            model(torch.empty(*input_shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return layers


def expected_counts(arch: str, num_classes: int, framework: str, *, variant: str = "default") -> dict:
    """``total`` and ``trainable`` parameters of the reference: torch counts parameters, Keras
    adds the BatchNorm moving mean and variance to its total."""
    model = reference_model(arch, num_classes, variant=variant)
    params = sum(p.numel() for p in model.parameters())
    stats = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    total = params + (stats if framework == "keras" else 0)
    return {"total": int(total), "trainable": int(params)}


# ------------------------------------------------------------------------------------ student


def _torch_shape(kind: str, role: str, shape, framework: str) -> tuple:
    shape = tuple(int(d) for d in shape)
    if framework == "keras" and role == "kernel" and len(shape) == {"conv": 4, "dense": 2}.get(kind):
        return layouts.kernel_shape_to_torch(shape, kind=kind)
    return shape


def _signature(kind: str, shapes: dict) -> tuple:
    return (kind, tuple(sorted(shapes.items())))


def _describe(kind: str, shapes: dict) -> str:
    parts = ", ".join(f"{role} {'x'.join(map(str, s))}" for role, s in sorted(shapes.items()))
    return f"{kind} ({parts})"


# The order in which each framework flattens a feature map, and the orders the judge accepts: a
# Keras model may permute to channels first (its kernel is then in the reference's order).
CHW, HWC = "C, H, W", "H, W, C"
NATIVE_ORDER = {"torch": CHW, "keras": HWC}
ACCEPTED_ORDERS = {"torch": (CHW,), "keras": (HWC, CHW)}


def _to_torch_layout(array: np.ndarray, kind: str, role: str, framework: str, flatten_from,
                     order: str | None = None) -> np.ndarray:
    """A student's array in the reference's layout; ``order`` is the order in which the student's
    model flattened the map a dense layer reads (its framework's own by default)."""
    if role != "kernel" or kind not in ("conv", "dense"):
        return array
    hwc = flatten_from is not None and kind == "dense" and (order or NATIVE_ORDER[framework]) == HWC
    if framework == "keras":
        return layouts.kernel_to_torch(array, kind=kind, flatten_from=flatten_from if hwc else None)
    if hwc:  # a torch weight whose columns follow H, W, C
        return np.ascontiguousarray(layouts.hwc_to_chw(array.T, flatten_from).T)
    return array


def _activation(name: str | None, value):
    import torch

    if name in (None, "linear"):
        return value
    if name == "relu":
        return torch.relu(value)
    if name == "tanh":
        return torch.tanh(value)
    if name == "sigmoid":
        return torch.sigmoid(value)
    if name == "softmax":
        return torch.softmax(value, dim=-1)
    return None  # an activation the grader does not know: the layer's values cannot be compared


def _close(got: np.ndarray, expected: np.ndarray) -> tuple[bool, float]:
    """Equal up to float32 rounding: ``max |got - expected| <= RTOL * max |expected|``."""
    diff = float(np.max(np.abs(got - expected))) if expected.size else 0.0
    scale = max(float(np.max(np.abs(expected))), 1e-3) if expected.size else 1.0
    return bool(np.isfinite(diff) and diff <= RTOL * scale), diff


class _Weights:
    """The student's arrays, read from the worker's folder once each, in torch layout."""

    def __init__(self, layers, framework, load_array, seed):
        self.layers, self.framework, self.load, self.seed = layers, framework, load_array, seed
        self.cache: dict[tuple, dict] = {}
        self.unseeded: list[str] = []
        self.checked: set = set()

    def get(self, index: int, flatten_from, order: str | None = None) -> dict:
        key = (index, (order or NATIVE_ORDER[self.framework]) if flatten_from is not None else None)
        if key not in self.cache:
            if any(k[0] == index for k in self.cache):  # one layout at a time: VGG's fc6 is 400 MB
                self.cache = {k: v for k, v in self.cache.items() if k[0] != index}
            import torch

            layer = self.layers[index]
            tensors = {}
            for role, info in layer["arrays"].items():
                array = self.load(info["file"])
                if tuple(array.shape) != tuple(info["shape"]) or array.dtype != np.float32:
                    raise UsageError(f"your layer {layer['name']!r}: the exported {role} does not match its manifest")
                if self.seed is not None and (index, role) not in self.checked:
                    self.checked.add((index, role))
                    head = mx.draw(self.seed, index, role if role in mx.ROLE_IDS else "other", array.shape,
                                   kind=layer["kind"], framework=self.framework, count=PREFIX_CHECKED)
                    if not np.array_equal(array.reshape(-1)[: head.size], head):
                        self.unseeded.append(layer["name"])
                if not np.all(np.isfinite(array)):
                    raise UsageError(f"your layer {layer['name']!r}: the exported {role} holds NaN or infinity")
                array = _to_torch_layout(array, layer["kind"], role, self.framework, flatten_from, order)
                tensors[role] = torch.from_numpy(array)
            self.cache[key] = tensors
        return self.cache[key]


def _put(module, kind: str, tensors: dict) -> None:
    """Point ``module``'s tensors at the student's (no copy)."""
    import torch

    names = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
             "mean": "running_mean", "var": "running_var"}
    for role, tensor in tensors.items():
        name = names[role]
        if name in ("running_mean", "running_var"):
            setattr(module, name, tensor)
        else:
            setattr(module, name, torch.nn.Parameter(tensor, requires_grad=False))


# ------------------------------------------------------------------------------------ judging


def judge(result: dict, *, arch: str, framework: str, num_classes: int, x_nchw: np.ndarray,
          seed: int, load_array, variant: str = "default") -> Verdict:
    """Judge what :func:`model_export.export` returned for one architecture and framework.

    Parameters
    ----------
    result : dict
        The worker's reply (untrusted).
    arch, framework : str
    num_classes : int
    x_nchw : ndarray
        The input the grader sent (in ``N, C, H, W`` order).
    seed : int
        The seed the grader sent.
    load_array : callable
        ``load_array(file_name) -> ndarray``: reads one exported array from the worker's folder
        (``student.load_array``).
    variant : str, default="default"
        The catalog variant of ``arch`` the student's model is judged against.

    Returns
    -------
    Verdict
    """
    check_arch(arch, framework)
    variant = check_variants({arch: variant})[arch]
    verdict = Verdict(arch, framework, zoo=[str(z) for z in result.get("zoo") or []][:20])
    error = result.get("error") or {}
    if error.get("stage") == "build":
        call = f"build({arch!r}, {framework!r}, num_classes={num_classes})"
        if error.get("type") == "TypeError" and "returned" in str(error.get("message", "")):
            return verdict.fail_all(f"{call} did not return a {framework} model")
        return verdict.fail_all(f"{call} raised {error.get('type', 'an exception')}\n"
                                f"{str(error.get('message', ''))[:500]}")
    layers = result.get("layers") or []
    if not _well_formed(result):
        return verdict.fail_all("the worker's report on your model is malformed")
    for layer in layers:  # the student's names appear in feedback: printable and short
        name = "".join(ch for ch in layer["name"] if ch.isprintable())
        layer["name"] = name if len(name) <= 60 else name[:57] + "..."
    model = reference_model(arch, num_classes, variant=variant)
    ref = _reference_layers(model, x_nchw.shape)
    student = []
    for layer in layers:
        shapes = {role: _torch_shape(layer["kind"], role, info["shape"], framework)
                  for role, info in layer["arrays"].items()}
        student.append(_signature(layer["kind"], shapes))
    _judge_params(verdict, layers, ref, student, num_classes, variant)
    trace = result.get("trace") or []
    samples = result.get("samples")
    output = result.get("output")
    _judge_output(verdict, layers, trace, samples, output, seed, num_classes, x_nchw.shape[0])
    if error.get("stage") == "forward":
        where = f" in your layer {error['layer']!r}" if error.get("layer") else ""
        message = f"the forward pass raised {error.get('type', 'an exception')}{where}"
        for name in ("layers", "function"):
            verdict.checks[name] = Check(False, message)
        if not verdict.checks["output"].ok:
            verdict.checks["output"] = Check(False, message)
        return verdict
    _judge_function(verdict, model, ref, layers, student, trace, samples, output, x_nchw, seed,
                    framework, load_array)
    return verdict


def _well_formed(result: dict) -> bool:
    """The worker's report has the types :func:`judge` reads (it comes from the sandbox)."""
    def shape(value):
        return isinstance(value, list) and all(type(d) is int and d >= 0 for d in value)

    layers, trace = result.get("layers"), result.get("trace")
    if not isinstance(layers, list) or not isinstance(trace, list):
        return False
    for layer in layers:
        if not (isinstance(layer, dict) and isinstance(layer.get("name"), str)
                and isinstance(layer.get("kind"), str) and isinstance(layer.get("arrays"), dict)):
            return False
        for info in layer["arrays"].values():
            if not (isinstance(info, dict) and isinstance(info.get("file"), str) and shape(info.get("shape"))):
                return False
        if not all(isinstance(layer.get(k), (str, float, int, type(None))) for k in ("epsilon", "activation")):
            return False
    samples = result.get("samples")
    if trace and not (isinstance(samples, np.ndarray) and samples.ndim == 2 and len(samples) == len(trace)):
        return False
    return all(isinstance(e, dict) and type(e.get("index")) is int and shape(e.get("shape")) for e in trace)


def _judge_params(verdict, layers, ref, student, num_classes, variant) -> None:
    total = sum(math.prod(i["shape"]) for layer in layers for i in layer["arrays"].values() if i.get("counted", True))
    trainable = sum(math.prod(i["shape"]) for layer in layers for i in layer["arrays"].values()
                    if i.get("counted", True) and i.get("trainable", True))
    expected = expected_counts(verdict.arch, num_classes, verdict.framework, variant=variant)
    verdict.counts = {"total": total, "trainable": trainable, "expected": expected}
    missing = Counter(_signature(r.kind, r.shapes) for r in ref) - Counter(student)
    extra = Counter(student) - Counter(_signature(r.kind, r.shapes) for r in ref)
    counts = f"{total:,} parameters, {trainable:,} trainable (expected {expected['total']:,} and {expected['trainable']:,})"
    if missing:  # a missing convolution or dense layer explains a missing BatchNorm, not the reverse
        absent = [r for r in ref if _signature(r.kind, r.shapes) in missing]
        first = next((r for r in absent if r.kind != "bn"), absent[0])
        hint = _nearest(first, layers, student)
        verdict.checks["params"] = Check(False, f"our layer {first.name!r}, {_describe(first.kind, first.shapes)}, "
                                                f"has no counterpart in your model{hint}; {counts}")
    elif extra:
        index = next(i for i, s in enumerate(student) if s in extra)
        verdict.checks["params"] = Check(False, f"your layer {layers[index]['name']!r}, "
                                                f"{_describe(*_unsig(student[index]))}, has no counterpart "
                                                f"in ours; {counts}")
    elif (total, trainable) != (expected["total"], expected["trainable"]):
        verdict.checks["params"] = Check(False, counts)
    else:
        verdict.checks["params"] = Check(True, f"{total:,} parameters, {trainable:,} trainable")


def _unsig(signature) -> tuple:
    kind, shapes = signature
    return kind, dict(shapes)


def _nearest(ref_layer, layers, student) -> str:
    """The student's layer of the same kind that comes closest (same roles, most equal dims)."""
    best, score = None, -1
    for index, (kind, shapes) in enumerate(student):
        if kind != ref_layer.kind:
            continue
        shapes = dict(shapes)
        points = sum(a == b for role in ref_layer.shapes
                     for a, b in zip(ref_layer.shapes[role], shapes.get(role, ()), strict=False))
        points -= 10 * len(set(shapes) ^ set(ref_layer.shapes))
        if points > score:
            best, score = index, points
    if best is None:
        return ""
    return f" (nearest: your {layers[best]['name']!r}, {_describe(*_unsig(student[best]))})"


def _judge_output(verdict, layers, trace, samples, output, seed, num_classes, batch) -> None:
    expected = (batch, num_classes)
    if output is None or not hasattr(output, "shape"):
        verdict.checks["output"] = Check(False, "the model returned no output")
        return
    shape = tuple(output.shape)
    if shape != expected:
        verdict.checks["output"] = Check(False, f"output shape {shape}, expected {expected}")
        return
    # The output must be what a dense layer of the model computed: its recorded fingerprint.
    flat = np.asarray(output, np.float64).reshape(-1)
    positions = mx.sample_positions(seed, flat.size)
    for row, entry in enumerate(trace):
        index = entry.get("index")
        if (isinstance(index, int) and 0 <= index < len(layers) and layers[index]["kind"] == "dense"
                and tuple(entry.get("shape", ())) == expected and samples is not None and row < len(samples)):
            if np.allclose(samples[row], flat[positions], rtol=1e-6, atol=1e-6):
                verdict.checks["output"] = Check(True, f"output shape {shape}")
                return
    verdict.checks["output"] = Check(False, f"output shape {shape}, but it is not what a layer of your "
                                            "model computed")


def _judge_function(verdict, model, ref, layers, student, trace, samples, output, x_nchw, seed,
                    framework, load_array) -> None:
    import torch

    first_row = {}
    for row, entry in enumerate(trace):
        if isinstance(entry.get("index"), int):
            first_row.setdefault(entry["index"], row)
    by_signature: dict = {}
    for index, signature in enumerate(student):
        by_signature.setdefault(signature, []).append(index)
    weights = _Weights(layers, framework, load_array, seed)
    ref_of = {r.module: r for r in ref}
    chosen, used, shapes, diverged, orders = {}, set(), [], [], {}
    last = {"layer": None, "out": torch.from_numpy(np.ascontiguousarray(x_nchw)), "ops": []}
    snapshot = {}

    def fingerprint_ok(out, index):
        row = first_row.get(index)
        if row is None or samples is None or row >= len(samples):
            return False, None
        got_shape = tuple(trace[row]["shape"])
        if got_shape != tuple(out.shape):
            return False, None
        activated = _activation(layers[index].get("activation"), out)
        if activated is None:
            return False, None
        flat = activated.detach().reshape(-1).numpy().astype(np.float64)
        ok, diff = _close(np.asarray(samples[row], np.float64), flat[mx.sample_positions(seed, flat.size)])
        return ok, diff

    def run_with(module, r, index, inputs, order=None):
        _put(module, r.kind, weights.get(index, r.flatten_from, order))
        with torch.no_grad():
            return type(module).forward(module, *inputs)

    def pre_hook(module, inputs):
        r = ref_of[module]
        candidates = [i for i in by_signature.get(_signature(r.kind, r.shapes), []) if i not in used]
        if not candidates:
            raise _Unmatched(r)
        pick = candidates[0]
        if len(candidates) > 1:
            for index in candidates:
                if fingerprint_ok(run_with(module, r, index, inputs), index)[0]:
                    pick = index
                    break
        order = None
        if r.flatten_from is not None and len(ACCEPTED_ORDERS[framework]) > 1:
            # an equivalent layout: the student's dense kernel may be in either accepted order
            for candidate in ACCEPTED_ORDERS[framework]:
                if fingerprint_ok(run_with(module, r, pick, inputs, candidate), pick)[0]:
                    order = candidate
                    break
            orders[r.name] = order or NATIVE_ORDER[framework]
        _put(module, r.kind, weights.get(pick, r.flatten_from, order))
        used.add(pick)
        chosen[r.index] = pick

    def post_hook(module, inputs, output_):
        r = ref_of[module]
        index = chosen[r.index]
        out = mx._first(output_)
        row = first_row.get(index)
        got = tuple(trace[row]["shape"][1:]) if row is not None else None
        shapes.append((r, index, got))
        ok, diff = fingerprint_ok(out, index)
        if not ok:
            if not diverged:  # what the replay of the first difference needs
                snapshot.update(r=r, index=index, before=last["layer"], start=last["out"],
                                ops=list(last["ops"]), r_in=inputs[0], got=got)
            diverged.append((r, index, diff))
        last.update(layer=(r, index), out=out.clone(), ops=[])  # an in-place ReLU must not change it

    def op_hook(module, _inputs, _output):
        last["ops"].append(module)

    handles = []  # the pre-hooks replace each meta tensor by the student's before it is used
    for r in ref:
        handles.append(r.module.register_forward_pre_hook(pre_hook))
        handles.append(r.module.register_forward_hook(post_hook))
    for module in model.modules():
        if module not in ref_of and not list(module.children()):
            handles.append(module.register_forward_hook(op_hook))
    try:
        with torch.no_grad():
            ref_out = mx._first(model(torch.from_numpy(np.ascontiguousarray(x_nchw)))).numpy()
    except _Unmatched as exc:
        r = exc.layer
        message = f"our layer {r.name!r}, {_describe(r.kind, r.shapes)}, has no counterpart in your model"
        verdict.checks["function"] = Check(False, message)
        verdict.checks["layers"] = Check(False, f"layers cannot be compared one to one: {message}")
        return
    except ValueError as exc:
        verdict.fail_all(str(exc))
        return
    finally:
        for h in handles:
            h.remove()
    _judge_layer_shapes(verdict, shapes, layers)
    if weights.unseeded:
        verdict.checks["function"] = Check(False, f"the weights of your layer {weights.unseeded[0]!r} are not "
                                                  "the ones the grader's seed gave")
        return
    if output is None or tuple(output.shape) != ref_out.shape:
        verdict.checks["function"] = Check(False, "no output of the expected shape to compare")
        return
    ok, diff = _close(np.asarray(output, np.float32), ref_out)
    verdict.max_abs_diff = diff
    found = next(iter(orders.items()), None)
    if found:
        verdict.flatten_order = found[1]
    if diverged:
        r, index, layer_diff = diverged[0]
        verdict.first_divergent = f"{r.name} (your {layers[index]['name']})"
    if ok:
        message = f"same output as the reference with your weights (max |diff| {diff:.1e})"
        if found and found[1] != NATIVE_ORDER[framework]:
            layout = (f"your {framework} model flattens {found[1]} (channels first) before its first "
                      "dense layer, so that layer's kernel is in the reference's order: an equivalent "
                      "layout, accepted")
            message += f"; {layout}"
            verdict.notes.append(f"{verdict.arch} ({framework}): {layout}")
        verdict.checks["function"] = Check(True, message)
        return
    message = f"the reference with your weights gives another output (max |diff| {diff:.2g})"
    if diverged:
        r, index, layer_diff = diverged[0]
        explanation = _explain(snapshot, layers, framework, fingerprint_ok) if snapshot else None
        verdict.explanation = explanation
        if explanation:
            message += f": {explanation}"
        else:
            what = f"max |diff| {layer_diff:.2g}" if layer_diff is not None else "other values"
            message += f"; the first layer that differs is our {r.name!r} (your {layers[index]['name']!r}, {what})"
        epsilon = layers[index].get("epsilon")
        if r.kind == "bn" and epsilon is not None and not math.isclose(epsilon, r.module.eps, rel_tol=1e-6):
            message += f": your BatchNorm epsilon is {epsilon:g}, the reference's {r.module.eps:g}"
    verdict.checks["function"] = Check(False, message)


# ------------------------------------------------------------------------------------ explaining

EXPLAIN_BUDGET_S = 10.0  # replays of one difference; the candidates are tried cheapest first
_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
_POOL_NAMES = {"max": "max pooling", "avg": "average pooling"}
# Pool geometries tried besides the reference's own: (kernel, stride, padding).
_POOL_GEOMETRIES = ((2, 2, 0), (3, 2, 0), (3, 2, 1), (2, 1, 0), (3, 1, 1))


@dataclass(frozen=True)
class _Step:
    """One operation of a replay: what a student reads, and what it computes."""

    text: str | None  # None: passes values through unchanged (dropout at inference, flatten)
    apply: object
    changed: bool = False


def _act_step(name: str, *, changed: bool) -> _Step:
    import torch

    fn = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name]
    return _Step(_ACTIVATION_NAMES[name], fn, changed)


def _pool_text(kind: str, kernel: int, stride: int, padding: int) -> str:
    size = f"{kernel}x{kernel}" + (f"/{stride}" if stride != kernel else "")
    return f"{size} {_POOL_NAMES[kind]}" + (f" with padding {padding}" if padding else "")


def _pool_step(kind: str, kernel: int, stride: int, padding: int, ceil: bool, *, changed: bool) -> _Step:
    import torch.nn.functional as F

    def apply(x):
        if kind == "max":
            return F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil)
        return F.avg_pool2d(x, kernel, stride, padding, ceil_mode=ceil)

    return _Step(_pool_text(kind, kernel, stride, padding), apply, changed)


def _single(value) -> int | None:
    if isinstance(value, str):  # torch's padding="same"
        return None
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    return int(pair[0]) if pair[0] == pair[1] else None


def _options(module) -> list[_Step]:
    """The reference's operation first, then the alternatives a student may have written."""
    name = type(module).__name__
    if name in ("ReLU", "Tanh", "Sigmoid"):
        own = name.lower()
        return ([_Step(_ACTIVATION_NAMES[own], module)]
                + [_act_step(a, changed=True) for a in _ACTIVATION_NAMES if a != own]
                + [_Step(None, lambda x: x, True)])
    if name in ("MaxPool2d", "AvgPool2d"):
        kind = "max" if name == "MaxPool2d" else "avg"
        k, s, p = _single(module.kernel_size), _single(module.stride), _single(module.padding)
        if None in (k, s, p):
            return [_Step(f"the reference's {name}", module)]
        ceil = bool(module.ceil_mode)
        other = "avg" if kind == "max" else "max"
        steps = [_Step(_pool_text(kind, k, s, p), module), _pool_step(other, k, s, p, ceil, changed=True),
                 _Step(None, lambda x: x, True)]
        for geometry in _POOL_GEOMETRIES:
            if geometry != (k, s, p):
                steps += [_pool_step(kind, *geometry, ceil, changed=True),
                          _pool_step(other, *geometry, ceil, changed=True)]
        return steps
    return [_Step(None, module)]  # dropout at inference, flatten, identity: nothing to vary


def _chain_text(steps) -> str:
    texts = []
    for step in steps:  # a ReLU after a ReLU is one ReLU to the reader
        if step.text and (not texts or texts[-1] != step.text):
            texts.append(step.text)
    return " then ".join(texts) if texts else "nothing"


def _explain(snap: dict, layers, framework: str, fingerprint_ok) -> str | None:
    """The first operation that differs, found by replaying the operations between the last
    layer that agreed and the first that did not, with alternatives; None when no alternative
    reproduces the student's recorded output (or the operations in between do not form a chain,
    as at a residual addition)."""
    import torch

    r, index, start, ops, r_in = snap["r"], snap["index"], snap["start"], snap["ops"], snap["r_in"]
    before = snap["before"]
    yours = repr(layers[index]["name"])
    fused = None
    if before is not None and framework == "keras":  # a Keras layer may apply its activation itself
        name = layers[before[1]].get("activation")
        if name in _ACTIVATION_NAMES:
            fused = _act_step(name, changed=False)
    module = r.module

    def replay(steps, x):
        x = x.clone()  # the reference's own modules may work in place
        with torch.no_grad():
            for step in steps:
                x = step.apply(x)
            if r.kind == "dense" and x.dim() == 4:
                x = torch.flatten(x, 1)
        return x

    with torch.no_grad():
        try:
            if not torch.equal(replay([s for m in ops for s in _options(m)[:1]], start), r_in):
                return None  # not a chain (a residual addition, a concatenation): nothing to replay
        except RuntimeError:
            return None
        own = _own_layer(r, module, r_in, index, fingerprint_ok, framework, snap["got"])
    if own:
        return f"your {yours} (our {r.name!r}) {own}"
    if before is None and not ops:
        return None
    where = f"after our {before[0].name!r} (your {layers[before[1]]['name']!r})" if before else "at the input"
    reference_text = _chain_text([s for m in ops for s in _options(m)[:1]])
    options = [_options(m) for m in ops]
    if not any(s.text for o in options for s in o[:1]):  # nothing between: maybe one too many
        options.insert(0, [_Step(None, lambda x: x)] + [_act_step(a, changed=True) for a in _ACTIVATION_NAMES])
    prefix = [fused] if fused else []
    combos = sorted(itertools.product(*options), key=lambda c: sum(s.changed for s in c))
    started = time.perf_counter()
    for combo in combos:
        if not any(s.changed for s in combo) and not fused:
            continue
        if time.perf_counter() - started > EXPLAIN_BUDGET_S:
            break
        try:
            with torch.no_grad():
                out = type(module).forward(module, replay(prefix + list(combo), start))
        except RuntimeError:  # another geometry that does not fit the next layer
            continue
        if fingerprint_ok(out, index)[0]:
            return (f"{where} the reference applies {reference_text}; "
                    f"yours applies {_chain_text(prefix + list(combo))}")
    return None


def _own_layer(r, module, x, index, fingerprint_ok, framework, got) -> str | None:
    """What the first differing layer itself does otherwise: a convolution's padding or stride,
    or the order a dense layer reads a flattened map in."""
    import torch
    import torch.nn.functional as F

    if r.kind == "conv" and type(module).__name__ == "Conv2d":
        k, s, p = _single(module.kernel_size), _single(module.stride), _single(module.padding)
        if None in (k, s, p) or x.dim() != 4 or got is None or len(got) != 3:
            return None
        tries = 0
        for stride in dict.fromkeys((s, 1, 2, 3, 4)):
            for low in range(k):
                for high in range(k):
                    if (low, high, stride) == (p, p, s) or tries >= 40:
                        continue
                    if [(n + low + high - k) // stride + 1 for n in x.shape[2:]] != list(got[1:]):
                        continue  # another output size than the student's layer recorded
                    tries += 1
                    out = F.conv2d(F.pad(x, (low, high, low, high)), module.weight, module.bias, stride=stride,
                                   dilation=module.dilation, groups=module.groups)
                    if fingerprint_ok(out, index)[0]:
                        return (f"{_padding_text(low, high)} with stride {stride}; the reference's pads {p} "
                                f"on every side with stride {s}")
        return None
    if r.kind == "dense" and r.flatten_from is not None and framework == "torch" and x.dim() == 2:
        c, h, w = r.flatten_from
        hwc = x.reshape(-1, c, h, w).permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        with torch.no_grad():
            out = F.linear(hwc, module.weight, module.bias)
        if fingerprint_ok(out, index)[0]:
            return (f"reads the maps flattened in {HWC} order (Keras' order); torch and the reference "
                    f"flatten {CHW} (torch.flatten(x, 1)), so weights made for the reference, a torch "
                    "checkpoint for instance, give another function")
    return None


def _padding_text(low: int, high: int) -> str:
    if low == high:
        return f"pads {low} on every side"
    return (f"pads {low} at the top and left, {high} at the bottom and right (as Keras' "
            "padding=\"same\" does at stride 2)")


class _Unmatched(Exception):
    def __init__(self, layer):
        super().__init__(layer.name)
        self.layer = layer


def _judge_layer_shapes(verdict, shapes, layers) -> None:
    for r, index, got in shapes:
        if got != r.output_shape:
            shown = "never ran" if got is None else f"gives {got}"
            verdict.checks["layers"] = Check(False, f"our layer {r.name!r} gives {r.output_shape}; "
                                                    f"your {layers[index]['name']!r} {shown}")
            return
    verdict.checks["layers"] = Check(True, f"all {len(shapes)} layers with weights have the reference's "
                                           "output shapes")


def trained_reference(result: dict, *, arch: str, framework: str, num_classes: int, input_shape,
                      load_array, variant: str = "default"):
    """The reference torch model holding a student's trained weights (from ``model_export.train``).

    Without a trace to tell equal-shaped layers apart, each reference layer takes the first
    unused student layer of its kind and shapes, in the student's order.

    Raises
    ------
    ValueError
        If a reference layer has no counterpart in the student's model.
    """
    check_arch(arch, framework)
    variant = check_variants({arch: variant})[arch]
    layers = result.get("layers") or []
    model = reference_model(arch, num_classes, variant=variant)
    ref = _reference_layers(model, tuple(input_shape))
    weights = _Weights(layers, framework, load_array, None)
    used = set()
    for r in ref:
        signature = _signature(r.kind, r.shapes)
        index = next((i for i, layer in enumerate(layers) if i not in used and _signature(
            layer["kind"], {role: _torch_shape(layer["kind"], role, info["shape"], framework)
                            for role, info in layer["arrays"].items()}) == signature), None)
        if index is None:
            raise UsageError(f"our layer {r.name!r}, {_describe(r.kind, r.shapes)}, has no counterpart "
                             "in your model")
        used.add(index)
        _put(r.module, r.kind, weights.get(index, r.flatten_from))
    return model
