"""What a benchmark run can be asked for, and the validation of each choice.

Nothing here imports a deep-learning framework: whether a backend is installed is decided with
``importlib.util.find_spec``, which finds a package without importing it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cnnlab.errors import UsageError
from cnnlab.reference.frameworks import is_installed

#: label -> (framework, Keras backend or None, packages it needs).
FRAMEWORKS = {
    "torch": ("torch", None, ("torch",)),
    "keras-tensorflow": ("keras", "tensorflow", ("keras", "tensorflow")),
    "keras-jax": ("keras", "jax", ("keras", "jax")),
    "keras-torch": ("keras", "torch", ("keras", "torch")),
}
DEVICES = ("cpu", "cuda", "auto")
PRECISIONS = ("fp32", "bf16", "fp16")
MODES = ("infer", "train")


def _check_choice(value, choices, what: str):
    if value not in choices:
        raise UsageError(f"unknown {what} {value!r}; valid {what}s: {', '.join(choices)}")
    return value


def check_framework(label: str) -> str:
    """Return ``label`` if it names a framework/backend, else a ``ValueError`` listing them."""
    return _check_choice(label, tuple(FRAMEWORKS), "framework")


def check_device(device: str) -> str:
    return _check_choice(device, DEVICES, "device")


def check_precision(precision: str) -> str:
    return _check_choice(precision, PRECISIONS, "precision")


def check_mode(mode: str) -> str:
    return _check_choice(mode, MODES, "mode")


def missing_packages(label: str) -> list[str]:
    """Packages that ``label`` needs and this Python cannot find (nothing is imported)."""
    return [name for name in FRAMEWORKS[label][2] if not is_installed(name)]


@dataclass(frozen=True)
class TimingPlan:
    """How long to time each run.

    Parameters
    ----------
    warmup : int
        Untimed steps after the first one; three times as many when compiling.
    steps : int
        At least this many timed steps per repeat.
    min_time : float
        And at least this many seconds per repeat.
    repeats : int
        Repeats; images per second are reported as their median and IQR.
    """

    warmup: int = 3
    steps: int = 10
    min_time: float = 1.0
    repeats: int = 5

    def __post_init__(self):
        for name in ("warmup", "steps", "repeats"):
            value = getattr(self, name)
            low = 0 if name == "warmup" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise UsageError(f"{name} must be an int >= {low}, got {value!r}")
        if not isinstance(self.min_time, (int, float)) or self.min_time < 0:
            raise UsageError(f"min_time must be a number of seconds >= 0, got {self.min_time!r}")

    def warmup_steps(self, compiled: bool) -> int:
        return self.warmup * 3 if compiled else self.warmup


@dataclass(frozen=True)
class RunSpec:
    """One measurement: an architecture in one framework/backend at one batch size and setting."""

    arch: str
    label: str
    device: str = "cpu"
    batch_size: int = 1
    precision: str = "fp32"
    mode: str = "infer"
    channels_last: bool = False
    compile: bool = False
    timing: TimingPlan = field(default_factory=TimingPlan)

    def __post_init__(self):
        from cnnlab.reference.catalog import get

        get(self.arch)
        check_framework(self.label)
        check_device(self.device)
        check_precision(self.precision)
        check_mode(self.mode)
        if not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool) or self.batch_size < 1:
            raise UsageError(f"batch_size must be a positive int, got {self.batch_size!r}")

    @property
    def framework(self) -> str:
        return FRAMEWORKS[self.label][0]

    @property
    def backend(self) -> str | None:
        return FRAMEWORKS[self.label][1]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        data = dict(data)
        data["timing"] = TimingPlan(**data.get("timing", {}))
        return cls(**data)


def plan_runs(
    *,
    archs,
    labels,
    batch_sizes=(1,),
    precisions=("fp32",),
    modes=("infer",),
    device: str = "cpu",
    channels_last: bool = False,
    compile: bool = False,
    timing: TimingPlan | None = None,
) -> list[RunSpec]:
    """Every combination of the choices, validated, grouped by framework label (worker order)."""
    timing = timing or TimingPlan()
    for label in labels:
        check_framework(label)
    return [
        RunSpec(
            arch=arch, label=label, device=device, batch_size=batch, precision=precision,
            mode=mode, channels_last=channels_last, compile=compile, timing=timing,
        )
        for label in dict.fromkeys(labels)
        for arch in archs
        for mode in modes
        for precision in precisions
        for batch in batch_sizes
    ]
