"""Train the digits DCGAN and watch it learn: the engine of ``cnnlab gan-demo``.

Framework-free orchestration over the twins ``_torch.py`` / ``_keras.py``: the data, the noise,
the schedule and the quality measure are the same numpy arrays for both frameworks. Outputs go
to a folder: one PNG grid of samples per epoch (epoch 0 is the untrained generator), the loss
curves of both networks, and ``gan_demo.json`` with the quality table.
"""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_int
from ..catalog import get
from ._common import ADAM

ARCH = "dcgan_digits"


@dataclass(frozen=True)
class GanDemoConfig:
    """Settings of one demo run (the defaults are the measured run in the README)."""

    epochs: int = 30
    batch_size: int = 32
    k: int = 1  # discriminator steps per generator step
    real_label: float = 1.0  # 0.9: one-sided label smoothing
    lr: float = ADAM["lr"]
    seed: int = 0
    eval_samples: int = 500
    grid: int = 64
    steps_per_epoch: int | None = None  # None: one pass over the training digits

    def check(self) -> GanDemoConfig:
        for name in ("epochs", "batch_size", "k", "eval_samples", "grid"):
            check_int(getattr(self, name), name=name, low=1)
        if not 0.0 < self.real_label <= 1.0:
            raise UsageError(f"real_label must be in (0, 1]; got {self.real_label!r}")
        if self.steps_per_epoch is not None:
            check_int(self.steps_per_epoch, name="steps_per_epoch", low=1)
        if not self.lr > 0:
            raise UsageError(f"lr must be positive; got {self.lr!r}")
        if self.eval_samples < 20:
            raise UsageError(f"eval_samples must be at least 20 (a covariance); got {self.eval_samples}")
        return self


class Diverged(RuntimeError):
    """A loss became NaN or infinite: training stopped at ``step``."""

    def __init__(self, step: int, epoch: int, which: str, value: float):
        self.step, self.epoch, self.which, self.value = step, epoch, which, value
        super().__init__(f"training diverged at step {step} (epoch {epoch}): the {which} loss "
                         f"is {value}")


@dataclass
class GanDemoResult:
    """What a run produced; ``as_dict`` is ``gan_demo.json``."""

    framework: str
    config: dict
    judge_accuracy: float
    floor: dict
    rows: list = field(default_factory=list)  # per epoch: quality and mean losses
    losses: dict = field(default_factory=lambda: {"step": [], "d_loss": [], "g_loss": []})
    files: list = field(default_factory=list)
    seconds: float = 0.0
    train_seconds: float = 0.0
    diverged: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def twin(framework: str):
    """The training-loop module of ``framework`` (imports that framework only)."""
    from .. import check_framework
    from ..frameworks import require

    require(check_framework(framework))
    return importlib.import_module(f"cnnlab.reference.gan._{framework}")


def build_pair(framework: str, *, seed: int, arch: str = ARCH):
    """The generator and discriminator of ``arch`` with DCGAN initial weights."""
    from .. import build

    loop = twin(framework)
    loop.seed(seed)
    g, d = build(f"{arch}_g", framework), build(f"{arch}_d", framework)
    loop.init_weights(g, seed=seed)
    loop.init_weights(d, seed=seed + 1)
    return g, d


def run_gan_demo(config: GanDemoConfig, *, framework: str, out: str | Path,
                 progress=None, judge=None) -> GanDemoResult:
    """Train the digits DCGAN; write sample grids, loss curves and the quality table to ``out``.

    Parameters
    ----------
    config : GanDemoConfig
    framework : {"torch", "keras"}
    out : path
        Folder for ``samples_epoch_NN.png``, ``losses.png`` and ``gan_demo.json``.
    progress : callable, optional
        Called as ``progress(step, total_steps, losses_dict)`` after every alternating step.
    judge : DigitsJudge, optional
        The quality measure (built, or loaded from the cache, if omitted).

    Returns
    -------
    GanDemoResult
        With ``diverged`` set (step, epoch, which loss) when a loss became NaN; the grids of the
        epochs finished before it, and the loss curves up to it, are written all the same.
    """
    from cnnlab.reports.gan import plot_losses, save_grid

    from .quality import DigitsJudge

    config = config.check()
    start = time.perf_counter()
    loop = twin(framework)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    judge = judge or DigitsJudge()
    x = judge.x_train
    g, d = build_pair(framework, seed=config.seed)
    g_opt, d_opt = loop.optimizers(g, d, lr=config.lr)
    nz = get(f"{ARCH}_g").in_channels
    rng = np.random.default_rng(config.seed)
    grid_z = rng.standard_normal((config.grid, nz)).astype(np.float32)
    eval_z = rng.standard_normal((config.eval_samples, nz)).astype(np.float32)
    floor = judge.floor(config.eval_samples)
    result = GanDemoResult(framework=framework, config=asdict(config),
                           judge_accuracy=round(judge.accuracy, 4), floor=floor.as_dict())

    def evaluate(epoch, d_mean=None, g_mean=None):
        path = out / f"samples_epoch_{epoch:02d}.png"
        save_grid(loop.generate(g, grid_z), path, title=f"{framework}, epoch {epoch}")
        result.files.append(path.name)
        quality = judge.score(loop.generate(g, eval_z))
        result.rows.append({"epoch": epoch, **quality.as_dict(), "d_loss": d_mean, "g_loss": g_mean})

    evaluate(0)
    per_step = config.batch_size * config.k
    steps_per_epoch = len(x) // per_step
    if config.steps_per_epoch is not None:
        steps_per_epoch = min(steps_per_epoch, config.steps_per_epoch)
    total = steps_per_epoch * config.epochs
    step = 0
    train_start = time.perf_counter()
    try:
        for epoch in range(1, config.epochs + 1):
            order = rng.permutation(len(x))
            d_losses, g_losses = [], []
            for i in range(steps_per_epoch):
                idx = order[i * per_step:(i + 1) * per_step]
                reals = [x[idx[j * config.batch_size:(j + 1) * config.batch_size]]
                         for j in range(config.k)]
                noises = [rng.standard_normal((config.batch_size, nz)).astype(np.float32)
                          for _ in range(config.k + 1)]
                losses = loop.train_step(g, d, g_opt, d_opt, reals, noises,
                                         real_label=config.real_label)
                step += 1
                result.losses["step"].append(step)
                result.losses["d_loss"].append(losses.d_loss)
                result.losses["g_loss"].append(losses.g_loss)
                which = losses.first_non_finite()
                if which is not None:
                    value = losses.d_loss if which == "discriminator" else losses.g_loss
                    raise Diverged(step, epoch, which, value)
                d_losses.append(losses.d_loss)
                g_losses.append(losses.g_loss)
                if progress is not None:
                    progress(step, total, losses.as_dict())
            evaluate(epoch, round(float(np.mean(d_losses)), 4), round(float(np.mean(g_losses)), 4))
    except Diverged as exc:
        result.diverged = {"step": exc.step, "epoch": exc.epoch, "loss": exc.which,
                           "value": str(exc.value), "message": str(exc)}
    result.train_seconds = round(time.perf_counter() - train_start, 1)
    plot_losses(result.losses, out / "losses.png", title=f"digits DCGAN ({framework})")
    result.files.append("losses.png")
    result.seconds = round(time.perf_counter() - start, 1)
    (out / "gan_demo.json").write_text(json.dumps(result.as_dict(), indent=1), encoding="utf-8")
    return result
