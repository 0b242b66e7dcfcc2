"""The ``cnnlab compare`` job: port random weights between the PyTorch and the Keras build of
each architecture and compare their outputs (primitives in :mod:`cnnlab.reference.compare`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError
from cnnlab.reference.compare import (
    ATOL,
    DIRECTIONS,
    first_divergent_layer,
    keras_forward,
    layer_differences,
    randomize_batchnorm,
    reset_torch_weights,
    to_nhwc,
    torch_forward,
)

from .record import JobRecord

SCHEMA_VERSION = 1

__all__ = ["ATOL", "DIRECTIONS", "SCHEMA_VERSION", "CompareRecord", "compare_arch", "run"]


@dataclass(frozen=True)
class CompareRecord(JobRecord):
    """One direction of porting one architecture and variant, and how far the outputs differ.

    Attributes
    ----------
    arch, variant, direction : str
        what was compared; ``direction`` is ``keras->torch`` or ``torch->keras`` (the framework
        whose random weights were ported into the other)
    keras_backend : str
        the Keras backend of the process
    input_shape : tuple of int
        ``C,H,W`` of the random input, without the batch axis
    torch_params, keras_params, keras_trainable_params : int
        parameter counts of both builds (Keras' total includes BatchNorm moving statistics)
    max_abs_diff, max_rel_diff : float
        largest difference of the outputs, absolute and relative to the largest torch output
    first_divergent_layer : str or None
        where the layer activations first differ by more than ``ATOL``, when the outputs do
    ok : bool
        ``max_abs_diff`` is at most 1e-4 (float32 logits)
    torch_gmacs, keras_gmacs : float
        multiply-accumulates per image, counted in each framework
    torch_output_shape, keras_output_shape : tuple of int
        output shapes without the batch axis (the torch one moved to channels-last)
    """

    SCHEMA = f"cnnlab.compare/{SCHEMA_VERSION}"

    arch: str
    variant: str
    direction: str
    keras_backend: str
    input_shape: tuple
    torch_params: int
    keras_params: int
    keras_trainable_params: int
    max_abs_diff: float
    max_rel_diff: float
    first_divergent_layer: str | None
    ok: bool
    torch_gmacs: float
    keras_gmacs: float
    torch_output_shape: tuple
    keras_output_shape: tuple


def check_directions(directions) -> tuple[str, ...]:
    """``directions`` as a tuple, each one of :data:`DIRECTIONS`."""
    for direction in directions:
        if direction not in DIRECTIONS:
            raise UsageError(f"unknown direction {direction!r}; valid directions: {', '.join(DIRECTIONS)}")
    return tuple(directions)


def compare_arch(
    arch: str,
    *,
    variant: str = "default",
    directions: tuple[str, ...] = DIRECTIONS,
    input_size: tuple[int, int] | None = None,
    batch: int = 2,
    seed: int = 0,
    locate: bool = True,
    include_top: bool = True,
) -> list[CompareRecord]:
    """Build ``arch`` once per framework, port random weights each way, compare the logits.

    Parameters
    ----------
    arch : str
        Catalog name.
    variant : str, default="default"
    directions : tuple of {"keras->torch", "torch->keras"}
        Each direction starts from weights drawn natively in its source framework.
    input_size : (int, int), optional
        Defaults to the catalog's input size.
    batch : int, default=2
    seed : int, default=0
    locate : bool, default=True
        When the logits differ, compare every shared layer to name the first divergent one.
    include_top : bool, default=True
        False compares the convolutional bases (their feature maps, NCHW moved to NHWC), which
        lets fixed-size networks be compared at a small input.

    Returns
    -------
    list of CompareRecord, one per direction.
    """
    import keras
    import torch

    from cnnlab.reference import build
    from cnnlab.reference.catalog import get
    from cnnlab.reference.flops import gmacs
    from cnnlab.reference.porting import port_weights
    from cnnlab.reference.summary import count_params

    check_directions(directions)
    spec = get(arch)
    size = tuple(input_size or spec.input_size)
    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)
    tm = build(arch, "torch", variant=variant, input_size=size, include_top=include_top)
    km = build(arch, "keras", variant=variant, input_size=size, include_top=include_top)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, spec.in_channels, *size)).astype(np.float32)
    torch_total = count_params(tm)[0]
    torch_gmacs = round(gmacs(tm, input_size=size, in_channels=spec.in_channels), 4)
    keras_gmacs = round(gmacs(km, input_size=size, in_channels=spec.in_channels), 4)
    keras_total, keras_trainable = count_params(km)
    records = []
    for i, direction in enumerate(directions):
        if direction == "torch->keras":
            if i:
                reset_torch_weights(tm, seed + i)
            randomize_batchnorm(tm, seed=seed + i)
            port_weights(tm, km)
        else:
            randomize_batchnorm(km, seed=seed + i)
            port_weights(km, tm)
        ref = to_nhwc(torch_forward(tm, x))
        got = keras_forward(km, to_nhwc(x))
        max_abs = float(np.max(np.abs(ref - got))) if ref.shape == got.shape else float("inf")
        scale = float(np.max(np.abs(ref))) or 1.0
        ok = bool(max_abs <= ATOL)
        divergent = None
        if not ok and locate:
            divergent = first_divergent_layer(layer_differences(tm, km, x))
        records.append(
            CompareRecord(
                arch=arch,
                variant=variant,
                direction=direction,
                keras_backend=keras.backend.backend(),
                input_shape=(spec.in_channels, *size),
                torch_params=torch_total,
                keras_params=keras_total,
                keras_trainable_params=keras_trainable,
                max_abs_diff=max_abs,
                max_rel_diff=max_abs / scale,
                first_divergent_layer=divergent,
                ok=ok,
                torch_gmacs=torch_gmacs,
                keras_gmacs=keras_gmacs,
                torch_output_shape=tuple(ref.shape[1:]),
                keras_output_shape=tuple(got.shape[1:]),
            )
        )
    return records


def run(*, archs, variants=None, directions=DIRECTIONS, batch: int = 2, seed: int = 0,
        quiet: bool = False) -> list[CompareRecord]:
    """Every (architecture, variant) asked for, compared in each direction.

    Parameters
    ----------
    archs : list of str
        Catalog names (already checked).
    variants : list of str, optional
        Variants to keep (default: every variant of each architecture).
    directions : sequence of {"keras->torch", "torch->keras"}
    batch, seed : int
        Images per comparison and the seed of weights and input.
    quiet : bool, default=False
        No progress bar.

    Returns
    -------
    list of CompareRecord
    """
    from cnnlab.bench.jobs.common import arch_variants, progress

    directions = check_directions(directions)
    return [record
            for arch, variant in progress(arch_variants(archs, variants), desc="compare", quiet=quiet)
            for record in compare_arch(arch, variant=variant, directions=directions, batch=batch,
                                       seed=seed)]
