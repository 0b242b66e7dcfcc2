"""Training diagnostics for the "avoid over- and underfitting" lecture, in both frameworks.

* :func:`curves` reads any training history into one shape: a Keras ``History`` (or its
  ``.history`` dict), cnnlab's :class:`~cnnlab.reference.transfer.TransferHistory` or its records,
  or a list of per-epoch dicts from a hand-written torch loop.
* :func:`diagnose` labels a history ``"overfitting"``, ``"underfitting"`` or ``"good fit"`` and
  says why (the numbers it looked at).
* :func:`gradient_norms` and :func:`dead_relu_fraction` probe a model on one batch: the L2 norm
  of the loss gradient per weight tensor (vanishing or exploding gradients), and the share of
  ReLU units that output zero for every example (dead ReLUs).
* :func:`init_symmetry_demo` trains a small network from all-zero weights and from He and Glorot
  initialisations, and counts how many hidden units stay identical.

Frameworks are imported lazily, by the function that needs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnlab.errors import UsageError

from .frameworks import framework_of

__all__ = ["curves", "Diagnosis", "diagnose", "gradient_norms", "dead_relu_fraction",
           "init_symmetry_demo", "INITS"]

# names different sources give the same curve
_ALIASES = {
    "train_loss": ("train_loss", "loss"),
    "val_loss": ("val_loss", "validation_loss"),
    "train_accuracy": ("train_accuracy", "accuracy", "acc", "sparse_categorical_accuracy"),
    "val_accuracy": ("val_accuracy", "val_acc", "val_sparse_categorical_accuracy"),
}


def curves(history) -> dict[str, list[float]]:
    """Per-epoch curves of any training history, as ``{"train_loss": [...], "val_loss": [...],
    "train_accuracy": [...], "val_accuracy": [...]}`` (only those present).

    Parameters
    ----------
    history : keras History, dict of lists, TransferHistory, or list of dicts / EpochRecords

    Raises
    ------
    ValueError
        If no loss curve can be found.
    """
    if hasattr(history, "as_records"):  # cnnlab TransferHistory
        history = history.as_records()
    if hasattr(history, "history") and isinstance(history.history, dict):  # keras History
        history = history.history
    if isinstance(history, (list, tuple)):
        rows = [r if isinstance(r, dict) else vars(r) for r in history]
        keys = {k for r in rows for k in r}
        history = {k: [r.get(k) for r in rows] for k in keys}
    if not isinstance(history, dict):
        raise UsageError(f"cannot read a training history from a {type(history).__name__}")
    out = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            values = history.get(alias)
            if values is not None and len(values) and all(v is not None for v in values):
                out[name] = [float(v) for v in values]
                break
    if "train_loss" not in out and "val_loss" not in out:
        raise UsageError(f"the history has no loss curve; its keys: {sorted(history)}")
    return out


@dataclass(frozen=True)
class Diagnosis:
    """A label and the evidence for it."""

    label: str
    evidence: str
    numbers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.label}: {self.evidence}"


def diagnose(history, *, rise: float = 0.1, gap: float = 0.25, progress: float = 0.5) -> Diagnosis:
    """Label a training history as over- or underfitting, with the evidence.

    The rules, on the loss curves:

    * **overfitting**: the validation loss has risen by more than ``rise`` (relative) above its
      minimum while the training loss kept falling, or ends more than ``gap`` (relative) above
      the training loss and still widening. A *growing* gap between the two is overfitting (the
      "Lecture 06" slide calls it underfitting; that is one of its errata).
    * **underfitting**: the training loss fell by less than ``progress`` (relative) from the
      first epoch, and validation is no better: the model has not learned the training data.
    * **good fit** otherwise.

    Parameters
    ----------
    history : see :func:`curves`; needs training and validation losses
    rise, gap, progress : float

    Returns
    -------
    Diagnosis
    """
    c = curves(history)
    if "train_loss" not in c or "val_loss" not in c:
        raise UsageError("diagnose needs both training and validation losses")
    train, val = np.asarray(c["train_loss"]), np.asarray(c["val_loss"])
    if len(train) < 3:
        raise UsageError(f"diagnose needs at least 3 epochs, got {len(train)}")
    best = int(np.argmin(val))
    numbers = {
        "epochs": len(train), "best_val_epoch": best, "best_val_loss": float(val[best]),
        "final_val_loss": float(val[-1]), "first_train_loss": float(train[0]),
        "final_train_loss": float(train[-1]),
        "final_gap": float((val[-1] - train[-1]) / max(train[-1], 1e-12)),
    }
    risen = (val[-1] - val[best]) / max(val[best], 1e-12)
    train_falling = train[-1] < train[best]
    widening = (val[-1] - train[-1]) > (val[best] - train[best])
    if (risen > rise and train_falling) or (numbers["final_gap"] > gap and widening):
        return Diagnosis("overfitting",
                         f"validation loss {val[-1]:.3g} is {100 * risen:.0f}% above its minimum "
                         f"{val[best]:.3g} (epoch {best}) while training loss fell to {train[-1]:.3g};"
                         f" the gap between them grew to {100 * numbers['final_gap']:.0f}%",
                         numbers)
    fell = 1.0 - train[-1] / max(train[0], 1e-12)
    numbers["train_progress"] = float(fell)
    if fell < progress:
        return Diagnosis("underfitting",
                         f"training loss fell only {100 * fell:.0f}% ({train[0]:.3g} to "
                         f"{train[-1]:.3g}) and validation loss is {val[-1]:.3g}: the model does "
                         "not fit even the training data (more capacity, epochs or a higher rate)",
                         numbers)
    return Diagnosis("good fit",
                     f"training loss fell {100 * fell:.0f}% and validation loss is at or near "
                     f"its minimum ({val[-1]:.3g} vs {val[best]:.3g} at epoch {best})", numbers)


def gradient_norms(model, images, labels) -> dict[str, float]:
    """L2 norm of the cross-entropy gradient per weight tensor, on one batch, input to output.

    Torch models give logits; Keras models may end in a softmax (detected and handled). Keras
    needs the TensorFlow backend here. Biases and BatchNorm weights are left out.

    Returns
    -------
    dict
        ``{layer weight name: norm}`` in model order; tiny norms near the input suggest vanishing
        gradients, huge ones exploding gradients.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if framework_of(model) == "torch":
        import torch

        model.zero_grad()
        out = model(torch.as_tensor(np.asarray(images, dtype=np.float32)))
        torch.nn.functional.cross_entropy(out, torch.as_tensor(labels)).backward()
        return {name: float(p.grad.norm()) for name, p in model.named_parameters()
                if p.grad is not None and p.dim() > 1}
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise UsageError("gradient_norms on Keras needs the TensorFlow backend")
    x = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    with tf.GradientTape() as tape:
        out = model(x, training=True)
        probs = _is_softmax(model)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            labels, out, from_logits=not probs))
    weights = [w for w in model.trainable_weights if len(w.shape) > 1]
    grads = tape.gradient(loss, weights)
    return {w.path: float(tf.norm(g)) for w, g in zip(weights, grads, strict=True) if g is not None}


def _is_softmax(model) -> bool:
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax" or type(last).__name__ == "Softmax"


def dead_relu_fraction(model, images) -> dict[str, float]:
    """Share of the units after each ReLU that are zero for every example of ``images``.

    A unit is a channel of a convolutional map (zero at every position and example) or a
    feature of a dense layer. Torch: every ``nn.ReLU`` module. Keras: ``ReLU`` layers,
    ``Activation("relu")`` and layers built with ``activation="relu"``.

    Returns
    -------
    dict
        ``{layer name: fraction of dead units}``, in model order.
    """
    x = np.asarray(images, dtype=np.float32)
    if framework_of(model) == "torch":
        import torch

        outputs = {}
        hooks = [m.register_forward_hook(
            lambda _m, _i, out, name=name: outputs.__setitem__(name, out.detach()))
            for name, m in model.named_modules() if isinstance(m, torch.nn.ReLU)]
        try:
            with torch.no_grad():
                model.eval()(torch.as_tensor(x))
        finally:
            for hook in hooks:
                hook.remove()
        return {name: _dead(out.numpy(), channel_axis=1) for name, out in outputs.items()}
    import keras

    relus = [layer for layer in model.layers
             if type(layer).__name__ == "ReLU"
             or getattr(getattr(layer, "activation", None), "__name__", "") == "relu"]
    probe = keras.Model(model.inputs, [layer.output for layer in relus])
    outs = probe(x, training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return {layer.name: _dead(np.asarray(out), channel_axis=-1)
            for layer, out in zip(relus, outs, strict=True)}


def _dead(out: np.ndarray, channel_axis: int) -> float:
    out = np.moveaxis(out, channel_axis, -1).reshape(-1, out.shape[channel_axis])
    return float(np.mean(np.all(out <= 0, axis=0)))


#: Initialisations of :func:`init_symmetry_demo`.
INITS = ("zeros", "he", "glorot")


def init_symmetry_demo(*, framework: str = "torch", hidden: int = 16, steps: int = 50,
                       seed: int = 0) -> dict[str, dict]:
    """Train a 2-hidden-layer ReLU network on a small random problem from three initialisations.

    With all-zero weights every hidden unit computes the same thing and gets the same gradient
    (here: none, since the layers after it are zero too), so they never become different: the
    symmetry is never broken. He and Glorot draw each weight independently.

    Parameters
    ----------
    framework : {"torch", "keras"}
    hidden : int, default=16
        Units of each hidden layer.
    steps : int, default=50
        Full-batch SGD steps (learning rate 0.1).
    seed : int, default=0

    Returns
    -------
    dict
        Per init: ``distinct_units`` (distinct rows of the first layer's weights after
        training), ``first_loss`` and ``final_loss``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5).astype(np.int64)
    results = {}
    for init in INITS:
        first, last, weights = _train_mlp(framework, init, x, y, hidden=hidden, steps=steps,
                                          seed=seed)
        distinct = len(np.unique(np.round(weights, 6), axis=0))
        results[init] = {"distinct_units": distinct, "first_loss": first, "final_loss": last}
    return results


def _train_mlp(framework, init, x, y, *, hidden, steps, seed):
    """(first loss, final loss, first layer weights as (units, inputs))."""
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(8, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, 3))
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                {"zeros": torch.nn.init.zeros_, "he": torch.nn.init.kaiming_normal_,
                 "glorot": torch.nn.init.xavier_normal_}[init](layer.weight)
                torch.nn.init.zeros_(layer.bias)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        xt, yt, losses = torch.as_tensor(x), torch.as_tensor(y), []
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt), yt)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses[0], losses[-1], net[0].weight.detach().numpy()
    if framework != "keras":
        raise UsageError(f"framework must be 'torch' or 'keras'; got {framework!r}")
    import keras

    keras.utils.set_random_seed(seed)
    kernel = {"zeros": "zeros", "he": "he_normal", "glorot": "glorot_normal"}[init]
    net = keras.Sequential([keras.Input((8,)),
                            keras.layers.Dense(hidden, "relu", kernel_initializer=kernel),
                            keras.layers.Dense(hidden, "relu", kernel_initializer=kernel),
                            keras.layers.Dense(3, kernel_initializer=kernel)])
    net.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), jit_compile=False)
    losses = [float(net.train_on_batch(x, y)) for _ in range(steps)]
    return losses[0], losses[-1], np.asarray(net.layers[0].kernel).T
