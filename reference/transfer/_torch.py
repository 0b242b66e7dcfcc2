"""Transfer learning in PyTorch: layers, freezing, heads and a training loop with early stopping.

The twin of ``_keras.py``: the same functions in the same order. Freezing a torch module takes
two things, because ``requires_grad=False`` stops the optimizer but not BatchNorm: in training
mode a BatchNorm normalises with the batch's statistics and moves its running averages. A frozen
BatchNorm therefore gets a ``train`` method of its own (an instance attribute) that keeps it in
evaluation mode, so ``model.train()`` leaves it alone; unfreezing deletes that attribute again.
(``copy.deepcopy`` keeps the lock; save frozen models as ``state_dict``, as usual: a pickled
whole module would lose it.)
"""

from __future__ import annotations

import copy
import types

import numpy as np
import torch
from torch import nn

from cnnlab.errors import UsageError

from ..ops.early_stopping import EarlyStopping
from .summary import LayerState

POOLS = (
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.LPPool1d, nn.LPPool2d,
)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(path, module) of every module that owns parameters or buffers, or pools, in
    ``named_modules`` order."""
    found = []
    for name, module in model.named_modules():
        owns = next(module.parameters(recurse=False), None) is not None
        owns = owns or next(module.buffers(recurse=False), None) is not None
        if owns or isinstance(module, POOLS):
            found.append((name, module))
    return found


def _stay_in_eval(self, mode: bool = True):
    return nn.Module.train(self, False)


def _lock_eval(module: nn.Module) -> None:
    module.train = types.MethodType(_stay_in_eval, module)
    module.train(False)


def _unlock_eval(module: nn.Module, training: bool) -> None:
    if "train" in vars(module):
        del module.train
    module.train(training)


def is_eval_locked(module: nn.Module) -> bool:
    """Whether ``module`` (a BatchNorm) stays in evaluation mode through ``train()``."""
    return "train" in vars(module)


def freeze(model: nn.Module) -> nn.Module:
    """No parameter of ``model`` requires a gradient; every BatchNorm stays in eval mode."""
    for param in model.parameters():
        param.requires_grad_(False)
    for module in model.modules():
        if isinstance(module, BATCH_NORMS):
            _lock_eval(module)
    return model


def unfreeze(model: nn.Module, picked: list[nn.Module]) -> nn.Module:
    """The ``picked`` units train again (parameters and BatchNorm statistics); others keep
    their state. A BatchNorm follows ``model``'s mode from now on."""
    for module in picked:
        for param in module.parameters(recurse=False):
            param.requires_grad_(True)
        if isinstance(module, BATCH_NORMS):
            _unlock_eval(module, model.training)
    return model


def layer_states(model: nn.Module) -> tuple[list[LayerState], int, int]:
    """Rows of the trainable summary, the total and the trainable parameter count."""
    rows = []
    for name, module in units(model):
        own = list(module.parameters(recurse=False))
        params = sum(p.numel() for p in own)
        trainable = sum(p.numel() for p in own if p.requires_grad)
        if params == 0:
            state = "-" if isinstance(module, POOLS) else "frozen"
        else:
            state = "trainable" if trainable == params else "frozen" if trainable == 0 else "partly"
        note = ""
        if isinstance(module, BATCH_NORMS):
            note = "inference" if is_eval_locked(module) else "batch statistics"
        if isinstance(module, BATCH_NORMS) and not own:  # affine=False: only statistics
            state = "frozen" if is_eval_locked(module) else "trainable"
        rows.append(LayerState(name or "(model)", type(module).__name__, int(params),
                               int(trainable), state, note))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return rows, int(total), int(trainable)


class WithHead(nn.Module):
    """A convolutional ``base`` followed by a classification ``head``."""

    def __init__(self, base: nn.Module, head: nn.Sequential):
        super().__init__()
        self.base = base
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.base(x))


def base_output_shape(base: nn.Module, input_size=None) -> tuple[int, ...]:
    """``(C, H, W)`` of the base's output, from a pass on the ``meta`` device (nothing is
    computed or allocated). The input has the first convolution's channels and ``input_size``,
    by default 224x224 (299x299 where 224 is too small)."""
    first = next((m for m in base.modules() if isinstance(m, nn.Conv2d)), None)
    if first is None:
        raise UsageError("the base has no Conv2d layer; a head needs a convolutional base")
    if any(isinstance(m, nn.Linear) for m in base.modules()):
        raise UsageError("the base has dense (nn.Linear) layers, a classifier of its own: build "
                         "it with include_top=False")
    state = {k: torch.empty_like(v, device="meta") for k, v in
             [*base.named_parameters(), *base.named_buffers()]}
    problem = None
    for size in [input_size] if input_size is not None else [(224, 224), (299, 299)]:
        x = torch.empty(1, first.in_channels, *size, device="meta")
        try:
            with torch.no_grad():
                out = torch.func.functional_call(base, state, (x,))
        except RuntimeError as exc:  # too small an input for this base
            problem = exc
            continue
        if out.dim() != 4:
            raise UsageError(f"the base returns shape {tuple(out.shape)}; a head needs a feature "
                             "map (N, C, H, W): build it with include_top=False")
        return tuple(int(d) for d in out.shape[1:])
    raise UsageError(f"could not run the base on a {'x'.join(map(str, size))} input to find its "
                     f"output size; pass input_size ({problem})")


def with_head(base: nn.Module, num_classes: int, table, *, pooling: str, name: str,
              input_size=None) -> WithHead:
    """``base`` and a head built from a :data:`~cnnlab.reference.transfer.heads.HEADS` table."""
    channels, height, width = base_output_shape(base, input_size)
    layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(1) if pooling == "avg" else nn.Identity(),
                               nn.Flatten(1)]
    width_in = channels if pooling == "avg" else channels * height * width
    for kind, value in table:
        if kind == "dense":
            layers.append(nn.Linear(width_in, value))
            width_in = value
        elif kind == "relu":
            layers.append(nn.ReLU(inplace=True))
        else:
            layers.append(nn.Dropout(value))
    layers.append(nn.Linear(width_in, num_classes))
    return WithHead(base, nn.Sequential(*layers))


def _tensors(data, what: str):
    try:
        x, y = data
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a pair (images, labels), got {type(data).__name__}") from None
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    if x.dim() != 4 or len(x) != len(y) or len(y) == 0:
        raise UsageError(f"{what}: expected images (N, C, H, W) and N labels, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    return x, y


def evaluate(model: nn.Module, data, *, batch_size: int = 256) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (logits) on ``(images, labels)``."""
    x, y = _tensors(data, "data")
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), batch_size):
            logits = model(x[start:start + batch_size])
            target = y[start:start + batch_size]
            loss += nn.functional.cross_entropy(logits, target, reduction="sum").item()
            correct += int((logits.argmax(1) == target).sum())
    return loss / len(y), correct / len(y)


def _train_batches(train, order, batch_size, epoch):
    """One epoch of (images NCHW, labels) tensors from arrays or from a batches object."""
    if hasattr(train, "epoch"):  # ArrayBatches / FolderBatches: NHWC numpy batches
        for images, labels in train.epoch(epoch):
            yield (torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2),
                   torch.as_tensor(np.asarray(labels, dtype=np.int64)))
        return
    x, y = train
    for batch in torch.randperm(len(y), generator=order).split(batch_size):
        yield x[batch], y[batch]


def fit(model: nn.Module, train, val, *, lr: float, max_epochs: int, patience: int,
        batch_size: int, seed: int, checkpoint=None, on_epoch=None, reduce_lr=None):
    """Adam on the trainable parameters, early stopping on the validation loss, and the best
    epoch's weights restored at the end (and written to ``checkpoint`` at each improvement).

    ``train`` is ``(images, labels)`` or a batches object (``ArrayBatches``, ``FolderBatches``)
    whose NHWC batches are moved to NCHW here; ``reduce_lr`` a ``ReduceLROnPlateau`` or None.

    Returns
    -------
    (list of (train_loss, val_loss, val_accuracy), best_epoch)
    """
    if not hasattr(train, "epoch"):
        train = _tensors(train, "train")
    val = _tensors(val, "val")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError("nothing to train: every parameter of the model is frozen")
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(params, lr=lr)
    stopper = EarlyStopping(patience=patience)
    best = copy.deepcopy(model.state_dict())
    history = []
    for epoch in range(max_epochs):
        model.train()
        total, seen = 0.0, 0
        for xb, yb in _train_batches(train, order, batch_size, epoch):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            seen += len(yb)
        val_loss, val_accuracy = evaluate(model, val)
        history.append((total / seen, val_loss, val_accuracy))
        stop = stopper.step(val_loss)
        if stopper.best_epoch == epoch:
            best = copy.deepcopy(model.state_dict())
            if checkpoint is not None:
                torch.save(best, checkpoint)
        if reduce_lr is not None:
            rate = reduce_lr.step(val_loss, optimizer.param_groups[0]["lr"])
            for group in optimizer.param_groups:
                group["lr"] = rate
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
        if stop:
            break
    model.load_state_dict(best)
    model.eval()
    return history, stopper.best_epoch


def predict(model: nn.Module, images, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (softmax of the logits) for ``images`` (N, C, H, W)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    model.eval()
    with torch.no_grad():
        out = [torch.softmax(model(x[i:i + batch_size]), 1) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()
