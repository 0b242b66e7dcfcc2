"""Worker-side half of model grading: build a student's model, run it, export its weights.

This module runs *inside* the sandboxed worker (it imports only the standard library, numpy and
the student's framework), so whatever it returns is untrusted: the grader checks every claim
against its own reference (``cnnlab.bench.judges.architectures``). The grader calls :func:`export` with a seed
and an input it drew at grading time; the function

1. builds the model with the student's ``build(arch, framework, num_classes)``;
2. inspects the student's sources for model-zoo imports (torchvision.models, keras.applications);
3. draws fresh weights from the seed for every layer with weights (so that BatchNorm statistics,
   biases and epsilons all matter, and a model cannot pass with degenerate weights);
4. runs the input through the model in inference mode, recording for each layer with weights,
   in execution order, its output shape and a fingerprint (values at seeded positions);
5. writes each weight tensor to ``mx-<layer>-<role>.npy`` (``allow_pickle=False``) in the
   working folder and returns a manifest of names, kinds and shapes with the output.

Layouts stay native (torch ``OIHW`` kernels and ``(out, in)`` dense weights, Keras ``HWIO`` and
``(in, out)``); activations are fingerprinted in ``N, C, H, W`` order for both frameworks.
:func:`draw` is shared with the grader, which regenerates the draws to check the weights it gets.
"""

import ast
import gc
import importlib
import os
import sys
import time

import numpy as np

PREFIX = "mx-"
SAMPLES = 64  # activation values fingerprinted per layer
ROLE_IDS = {"kernel": 1, "bias": 2, "gamma": 3, "beta": 4, "mean": 5, "var": 6, "other": 7}
_TORCH_ROLES = {"conv": {"weight": "kernel", "bias": "bias"},
                "dense": {"weight": "kernel", "bias": "bias"},
                "bn": {"weight": "gamma", "bias": "beta", "running_mean": "mean", "running_var": "var"}}
_KERAS_ROLES = {"conv": {"kernel": "kernel", "bias": "bias"},
                "dense": {"kernel": "kernel", "bias": "bias"},
                "bn": {"gamma": "gamma", "beta": "beta", "moving_mean": "mean", "moving_variance": "var"}}
_TORCH_KINDS = {"Conv2d": "conv", "Linear": "dense", "BatchNorm2d": "bn", "BatchNorm1d": "bn"}
_KERAS_KINDS = {"Conv2D": "conv", "Dense": "dense", "BatchNormalization": "bn"}
# Imports that bring a ready-made architecture; an assignment may forbid them.
ZOO_MODULES = ("torchvision.models", "keras.applications", "keras.src.applications",
               "tensorflow.keras.applications", "tf_keras.applications", "timm")

_KEPT = {}  # the model of the last train() call, for predict()


def _prepare_frameworks():
    """Load torch's LLVM (triton) before anything loads TensorFlow's: in the other order a
    process that uses both aborts ("inconsistency in registered CommandLine options"), and a
    worker grades both frameworks of a submission. Called by each entry point before it imports
    the student's module."""
    import importlib.util

    if "tensorflow" in sys.modules or importlib.util.find_spec("torch") is None:
        return
    import torch  # noqa: F401

    if importlib.util.find_spec("triton") is not None:
        import triton  # noqa: F401


# ------------------------------------------------------------------------------------ draws


def fan_in(kind, framework, shape):
    """Inputs per output unit of a kernel in its native layout."""
    shape = tuple(int(d) for d in shape)
    if kind == "conv":
        return int(np.prod(shape[1:])) if framework == "torch" else int(np.prod(shape[:-1]))
    if kind == "dense":
        return shape[1] if framework == "torch" else shape[0]
    return max(1, int(np.prod(shape[1:])))


def draw(seed, index, role, shape, *, kind, framework, count=None):
    """The seeded values of one weight tensor (native layout, float32).

    ``count`` returns only the first ``count`` values in C order, which equal the start of the
    full draw: the grader checks a prefix of every tensor without drawing it whole.
    """
    rng = np.random.default_rng([int(seed), int(index), ROLE_IDS[role]])
    size = int(np.prod(shape)) if count is None else min(int(count), int(np.prod(shape)))
    if role == "kernel":
        values = rng.standard_normal(size, dtype=np.float32) * np.float32(
            np.sqrt(2.0 / fan_in(kind, framework, shape)))
    elif role == "gamma":  # a BatchNorm that shrinks a little keeps deep residual sums near 1
        values = rng.uniform(0.3, 0.8, size).astype(np.float32)
    elif role == "var":
        values = rng.uniform(1.0, 2.0, size).astype(np.float32)
    elif role in ("bias", "beta", "mean"):
        values = rng.uniform(-0.2, 0.2, size).astype(np.float32)
    else:
        values = rng.standard_normal(size, dtype=np.float32) * np.float32(0.05)
    return values if count is not None else values.reshape(shape)


def sample_positions(seed, size):
    """Flat positions (C order of the N, C, H, W activation) fingerprinted in every layer."""
    return np.random.default_rng([int(seed), 0x5A17]).integers(0, int(size), SAMPLES)


# ------------------------------------------------------------------------------------ model zoo


def _zoo_in_source(path):
    """``file:line imports X`` for every model-zoo import or attribute use in one source file."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []
    name = os.path.basename(path)
    found = []

    def hit(dotted, line):
        dotted = dotted.replace("tf.keras", "tensorflow.keras")
        for zoo in ZOO_MODULES:
            if dotted == zoo or dotted.startswith(zoo + ".") or dotted.endswith("." + zoo):
                found.append(f"{name}:{line} uses {zoo}")
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                hit(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module:
            hit(node.module, node.lineno)
            for alias in node.names:
                hit(f"{node.module}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Attribute):
            parts, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                parts.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                hit(".".join([value.id, *reversed(parts)]), node.lineno)
    return sorted(set(found))


def zoo_imports(module):
    """Model-zoo imports in the sources of the student's ``module`` and its folder (no model is
    built)."""
    _prepare_frameworks()
    return model_zoo_findings(importlib.import_module(module), None, None)


def model_zoo_findings(module, model, framework):
    """Evidence that ``model`` comes from a model zoo: imports (or attribute uses) in the
    student's sources, and for torch classes defined in torchvision or timm. An import made from
    a string at run time escapes this inspection."""
    found = []
    folder = os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or "."))
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        for file in sorted(files):
            if file.endswith(".py"):
                found += _zoo_in_source(os.path.join(root, file))
        if len(found) > 50:
            break
    if model is None:
        return found
    if framework == "torch":  # a Keras model from keras.applications has Keras' own classes
        classes = {type(m).__module__ for m in model.modules()}
        found += [f"the model's classes come from {c}" for c in sorted(classes)
                  if c.startswith(("torchvision.", "timm."))]
    return found


# ------------------------------------------------------------------------------------ layers


def _framework_of(model):
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root == "torch":
            return "torch"
        if root in ("keras", "tf_keras"):
            return "keras"
    return None


def _torch_layers(model):
    """[(name, module, kind, {role: tensor})] for every module that owns weights."""
    found = []
    for name, module in model.named_modules():
        own = dict(module.named_parameters(recurse=False))
        own.update((n, b) for n, b in module.named_buffers(recurse=False) if n != "num_batches_tracked")
        if not own:
            continue
        kind = _TORCH_KINDS.get(type(module).__name__, "other")
        roles = _TORCH_ROLES.get(kind, {})
        if kind != "other" and not set(own) <= set(roles):
            kind, roles = "other", {}
        found.append((name, module, kind, {roles.get(n, n): t for n, t in own.items()}))
    return found


def _keras_leaves(model):
    leaves = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if not layer._flatten_layers(include_self=False, recursive=False):
            leaves.append(layer)
    return leaves


def _keras_layers(model):
    found = []
    for layer in _keras_leaves(model):
        if not layer.weights:
            continue
        kind = _KERAS_KINDS.get(type(layer).__name__, "other")
        roles = _KERAS_ROLES.get(kind, {})
        own = {v.name.split("/")[-1]: v for v in layer.weights}
        if kind != "other" and not set(own) <= set(roles):
            kind, roles = "other", {}
        found.append((layer.name, layer, kind, {roles.get(n, n): v for n, v in own.items()}))
    return found


def _numpy(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _first(value):
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    if isinstance(value, dict) and value:
        value = next(iter(value.values()))
    return value


def _clear():
    for name in os.listdir("."):
        if name.startswith(PREFIX) and name.endswith(".npy"):
            try:
                os.unlink(name)
            except OSError:
                pass


# ------------------------------------------------------------------------------------ tracing


class _Trace:
    """Per-layer output fingerprints, in execution order."""

    def __init__(self, seed, framework):
        self.seed, self.framework = seed, framework
        self.entries, self.samples, self.entered = [], [], None

    def record(self, index, output):
        array = _numpy(_first(output)).astype(np.float32, copy=False)
        if self.framework == "keras" and array.ndim == 4:
            array = array.transpose(0, 3, 1, 2)  # fingerprint in N, C, H, W order
        flat = array.reshape(-1)
        if flat.size:
            positions = sample_positions(self.seed, flat.size)
            self.samples.append(flat[positions].astype(np.float64))
            stats = (float(np.mean(flat, dtype=np.float64)), float(np.std(flat, dtype=np.float64)))
        else:
            self.samples.append(np.zeros(SAMPLES))
            stats = (0.0, 0.0)
        self.entries.append({"index": index, "shape": list(array.shape), "mean": stats[0], "std": stats[1]})


def _forward_torch(model, layers, x, trace):
    import torch

    handles = []
    for index, (name, module, _kind, _w) in enumerate(layers):
        def pre(_m, _inputs, name=name):
            trace.entered = name

        def post(_m, _inputs, output, index=index):
            trace.record(index, output)

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    try:
        model.eval()
        with torch.no_grad():
            return _first(model(torch.from_numpy(x)))
    finally:
        for handle in handles:
            handle.remove()


def _forward_keras(model, layers, x, trace):
    patched = []
    for index, (name, layer, _kind, _w) in enumerate(layers):
        original = layer.call

        def call(*args, _original=original, _index=index, _name=name, **kwargs):
            trace.entered = _name
            output = _original(*args, **kwargs)
            trace.record(_index, output)
            return output

        object.__setattr__(layer, "call", call)
        patched.append(layer)
    try:
        return _first(model(x, training=False))
    finally:
        for layer in patched:
            try:
                object.__delattr__(layer, "call")
            except AttributeError:
                pass


def _assign(framework, tensor, value):
    if framework == "torch":
        import torch

        with torch.no_grad():
            tensor.copy_(torch.from_numpy(value).to(tensor.dtype))
    else:
        tensor.assign(value)


def _error(exc):
    kind = type(exc)
    builtin = kind.__module__ == "builtins"
    return {"type": kind.__name__ if builtin else "an exception", "message": str(exc)[:2000]}


# ------------------------------------------------------------------------------------ API


def _build(module, arch, framework, num_classes):
    _prepare_frameworks()
    mod = importlib.import_module(module)
    if framework == "keras" and "keras" in sys.modules:  # never import TensorFlow for nothing
        sys.modules["keras"].backend.clear_session()  # fresh layer names, memory of the last model
    model = mod.build(arch, framework, num_classes=num_classes)
    return mod, model


def _describe_layers(layers, framework):
    described = []
    for index, (name, layer, kind, weights) in enumerate(layers):
        arrays = {}
        for role, tensor in weights.items():
            trainable = bool(getattr(tensor, "requires_grad", getattr(tensor, "trainable", True)))
            # torch counts parameters, not buffers (BatchNorm statistics); Keras counts both
            counted = type(tensor).__name__ == "Parameter" if framework == "torch" else True
            arrays[role] = {"file": f"{PREFIX}{index}-{role}.npy", "shape": [int(d) for d in tensor.shape],
                            "trainable": trainable and counted, "counted": counted}
        epsilon = getattr(layer, "eps", getattr(layer, "epsilon", None)) if kind == "bn" else None
        # a Keras layer may apply its activation itself: its recorded output is after it
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        described.append({"index": index, "name": str(name), "kind": kind,
                          "class": type(layer).__name__, "arrays": arrays,
                          "epsilon": None if epsilon is None else float(epsilon),
                          "activation": activation if framework == "keras" else None})
    return described


def _counts(model, framework):
    if framework == "torch":
        import torch

        params = list(torch.nn.Module.parameters(model))
        return {"total": int(sum(p.numel() for p in params)),
                "trainable": int(sum(p.numel() for p in params if p.requires_grad))}
    return {"total": int(sum(int(np.prod(v.shape)) for v in model.weights)),
            "trainable": int(sum(int(np.prod(v.shape)) for v in model.trainable_weights))}


def _peak_rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(module, arch, framework, num_classes, x, seed):
    """Build the student's model, redraw its weights from ``seed``, run ``x``, export.

    Parameters
    ----------
    module : str
        The student's module (``"architectures"``).
    arch, framework : str
        Passed to ``build``.
    num_classes : int
    x : ndarray
        The grader's input, ``N, C, H, W`` for torch and ``N, H, W, C`` for Keras.
    seed : int
        Drawn by the grader at grading time.

    Returns
    -------
    dict
        ``framework`` (what ``build`` returned), ``layers`` (one entry per layer with weights:
        name, kind, class, arrays with file, shape and trainable, epsilon), ``trace`` (index,
        shape, mean, std per executed layer), ``samples`` (array, one row per trace entry),
        ``output`` (array or None), ``error`` (a failed forward pass), ``counts``, ``zoo``,
        ``seconds``, ``peak_rss_mib``.
    """
    _clear()
    gc.collect()
    started = time.perf_counter()
    result = {"framework": None, "model_class": None, "layers": [], "trace": [],
              "samples": np.zeros((0, SAMPLES)), "output": None, "error": None,
              "counts": {"total": 0, "trainable": 0}, "zoo": [], "seconds": {}}
    try:
        mod, model = _build(module, arch, framework, num_classes)
    except Exception as exc:  # noqa: BLE001 - the student's build may raise anything
        result["error"] = {"stage": "build", **_error(exc)}
        return result
    seconds = result["seconds"]
    seconds["build"] = time.perf_counter() - started
    got = result["framework"] = _framework_of(model)
    result["model_class"] = f"{type(model).__module__}.{type(model).__qualname__}"
    if got != framework:
        what = f"a {got} model" if got else f"a {type(model).__name__}, not a model"
        result["error"] = {"stage": "build", "type": "TypeError",
                           "message": f"build(..., {framework!r}) returned {what}"}
        return result
    if got == "keras" and any(not leaf.built for leaf in _keras_leaves(model)):
        try:  # a subclassed keras.Model creates its layers' weights on its first call
            model(x[:1], training=False)
        except Exception as exc:  # noqa: BLE001 - the student's forward pass may raise anything
            result["error"] = {"stage": "forward", "layer": None, **_error(exc)}
            return result
    layers = _torch_layers(model) if got == "torch" else _keras_layers(model)
    result["zoo"] = model_zoo_findings(mod, model, got)
    result["counts"] = _counts(model, got)
    result["layers"] = _describe_layers(layers, got)
    for index, (_name, _layer, kind, weights) in enumerate(layers):
        for role, tensor in weights.items():
            value = draw(seed, index, role if role in ROLE_IDS else "other", tuple(tensor.shape),
                         kind=kind, framework=got)
            _assign(got, tensor, value)
    trace = _Trace(seed, got)
    started = time.perf_counter()
    try:
        forward = _forward_torch if got == "torch" else _forward_keras
        output = forward(model, layers, x, trace)
        result["output"] = np.asarray(_numpy(output), dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - the student's forward pass may raise anything
        result["error"] = {"stage": "forward", "layer": trace.entered, **_error(exc)}
    seconds["forward"] = time.perf_counter() - started
    result["trace"] = trace.entries
    if trace.samples:
        result["samples"] = np.stack(trace.samples)
    started = time.perf_counter()
    for index, (_name, _layer, _kind, weights) in enumerate(layers):
        for role, tensor in weights.items():
            np.save(f"{PREFIX}{index}-{role}.npy", np.ascontiguousarray(_numpy(tensor), dtype=np.float32),
                    allow_pickle=False)
    seconds["export"] = time.perf_counter() - started
    del model, layers
    gc.collect()
    result["peak_rss_mib"] = _peak_rss_mib()
    return result


def train(module, arch, framework, num_classes, x, y, seed, epochs=3, batch_size=32, lr=0.05):
    """Train the student's model (its own initial weights) with a fixed recipe, then export it.

    The recipe: SGD with momentum 0.9, cross-entropy, mini-batches in an order drawn from
    ``seed``. The trained model is kept for :func:`predict`. Returns what :func:`export` returns
    (without a trace and output).
    """
    _clear()
    _KEPT.clear()
    gc.collect()
    if framework != "torch":
        raise ValueError(f"train() supports torch models, got framework {framework!r}")
    _prepare_frameworks()
    import torch

    torch.manual_seed(int(seed) % 2**31)  # the student's initialisation, reproducibly
    mod, model = _build(module, arch, framework, num_classes)
    if _framework_of(model) != "torch":
        raise TypeError(f"build(..., 'torch') returned a {type(model).__name__}")
    order = np.random.default_rng(int(seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    inputs, targets = torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y, np.int64))
    model.train()
    for _ in range(int(epochs)):
        for batch in np.array_split(order.permutation(len(inputs)), max(1, len(inputs) // batch_size)):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(_first(model(inputs[batch])), targets[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    layers = _torch_layers(model)
    for index, (_name, _layer, _kind, weights) in enumerate(layers):
        for role, tensor in weights.items():
            np.save(f"{PREFIX}{index}-{role}.npy", np.ascontiguousarray(_numpy(tensor), dtype=np.float32),
                    allow_pickle=False)
    _KEPT["model"] = model
    return {"framework": "torch", "layers": _describe_layers(layers, "torch"),
            "counts": _counts(model, "torch"), "zoo": model_zoo_findings(mod, model, "torch")}


def predict(x, batch_size=256):
    """Logits of the model kept by :func:`train` for ``x``."""
    import torch

    model = _KEPT["model"]
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            outputs.append(_numpy(_first(model(torch.from_numpy(x[start:start + batch_size])))))
    return np.concatenate(outputs).astype(np.float32)
