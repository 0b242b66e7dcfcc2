"""``cnnlab.reference.build``: one entry point for every architecture in either framework."""

from __future__ import annotations

from typing import Any

from cnnlab.errors import UsageError

from ._validation import check_int
from .catalog import get
from .frameworks import check_framework, twin


def _side_pair(input_size: Any, arch: str) -> tuple[int, int]:
    if isinstance(input_size, int):
        input_size = (input_size, input_size)
    try:
        h, w = (int(v) for v in input_size)
    except (TypeError, ValueError):
        raise UsageError(
            f"input_size for {arch!r} must be an int or a (height, width) pair, got {input_size!r}"
        ) from None
    return h, w


def build(
    arch: str,
    framework: str,
    num_classes: int = 1000,
    include_top: bool = True,
    *,
    variant: str = "default",
    input_size: int | tuple[int, int] | None = None,
    in_channels: int | None = None,
    **kwargs: Any,
):
    """Build a reference architecture.

    Parameters
    ----------
    arch : str
        Lower-case architecture name, e.g. ``"vgg16"``; see ``cnnlab.reference.catalog.names()``.
    framework : {"torch", "keras"}
        Returns a ``torch.nn.Module`` or a ``keras.Model``.
    num_classes : int, default=1000
        Width of the classifier. The architecture's own default applies when the caller leaves
        1000 and the architecture is a 10-class course network.
    include_top : bool, default=True
        False returns the convolutional base (for transfer learning).
    variant : str, default="default"
        A named layout, e.g. ``"keras"`` for keras.applications' ResNet50 or ``"aux"`` for
        GoogLeNet with auxiliary classifiers.
    input_size : int or (int, int), optional
        Spatial input size; the catalog's default if omitted. Architectures with a Flatten
        before their classifier accept only their default size with ``include_top=True``.
    in_channels : int, optional
        Input channels; the catalog's default if omitted.
    **kwargs
        Passed to the builder (for example ``dropout=0.0``).

    Returns
    -------
    torch.nn.Module or keras.Model
    """
    spec = get(arch)
    check_framework(framework)
    var = spec.variant(variant)
    if num_classes == 1000 and spec.num_classes != 1000:
        num_classes = spec.num_classes
    check_int(num_classes, name="num_classes", low=1)
    size = _side_pair(input_size if input_size is not None else spec.input_size, arch)
    if min(size) < spec.min_input_size:
        raise UsageError(
            f"{arch} needs an input of at least {spec.min_input_size}x{spec.min_input_size}, "
            f"got {size[0]}x{size[1]}"
        )
    if spec.fixed_input_size and include_top and size != tuple(spec.input_size):
        raise UsageError(
            f"{arch} with include_top=True takes only {spec.input_size[0]}x{spec.input_size[1]} "
            f"inputs (its classifier follows a Flatten); got {size[0]}x{size[1]}. "
            "Use include_top=False for other sizes."
        )
    channels = spec.in_channels if in_channels is None else int(in_channels)
    if channels < 1:
        raise UsageError(f"in_channels must be positive, got {in_channels!r}")
    module = twin("cnnlab.reference", framework, module=spec.family)
    builder = getattr(module, spec.builder)
    options = {**spec.kwargs, **var.kwargs, **kwargs}
    return builder(
        num_classes=num_classes,
        include_top=include_top,
        input_size=size,
        in_channels=channels,
        **options,
    )
