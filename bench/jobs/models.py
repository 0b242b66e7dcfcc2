"""The ``cnnlab models`` job: build each architecture and hold its numbers against the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from .record import JobRecord

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelRecord(JobRecord):
    """One build of one architecture, variant and framework, checked against the catalog.

    Attributes
    ----------
    arch, framework, variant : str
        what was built
    params, trainable_params : int
        torch ``sum(p.numel())``; Keras ``count_params()`` (which includes BatchNorm moving
        statistics) and its trainable count
    expected_params, expected_source : int or None, str or None
        the catalog's number for this framework and where it comes from
    input_shape, output_shape : tuple of int
        without the batch axis; torch ``C,H,W``, Keras ``H,W,C``
    gmacs, expected_gmacs : float, float or None
        multiply-accumulates of convolutions and dense layers per image (torchvision's ``_ops``
        unit); torch counted with forward hooks, Keras from layer arithmetic
    matches : bool
        counts (and GMACs where the catalog has them) equal the catalog
    """

    SCHEMA = f"cnnlab.models/{SCHEMA_VERSION}"

    arch: str
    framework: str
    variant: str
    params: int
    trainable_params: int
    expected_params: int | None
    expected_source: str | None
    input_shape: tuple
    output_shape: tuple
    gmacs: float
    expected_gmacs: float | None
    matches: bool


def expected_counts(spec_variant, framework: str) -> tuple:
    """``(total, trainable, source)`` the catalog expects for this framework (None if unknown).

    Keras' total counts BatchNorm moving statistics, so for Keras the catalog's torch-style count
    is the *trainable* expectation and ``keras_params`` the total.
    """
    params, keras_params = spec_variant.params, spec_variant.keras_params
    if framework == "torch":
        return (params.value if params else None, params.value if params else None,
                params.source if params else None)
    total = keras_params.value if keras_params else None
    trainable = params.value if params else None
    source = (keras_params or params).source if (keras_params or params) else None
    return total, trainable, source


def describe(arch: str, framework: str, *, variant: str = "default") -> ModelRecord:
    """Build ``arch`` (torch on the ``meta`` device) and hold its numbers against the catalog."""
    from cnnlab.reference import build
    from cnnlab.reference.catalog import get
    from cnnlab.reference.flops import gmacs
    from cnnlab.reference.summary import count_params, first_output, torch_layer_table

    spec = get(arch)
    var = spec.variant(variant)
    size = tuple(spec.input_size)
    if framework == "torch":
        import torch

        with torch.device("meta"):
            model = build(arch, "torch", variant=variant)
        _, out_shape = torch_layer_table(model, (1, spec.in_channels, *size))
        input_shape = (spec.in_channels, *size)
    else:
        model = build(arch, "keras", variant=variant)
        out_shape = tuple(first_output(model.outputs).shape[1:])
        input_shape = (*size, spec.in_channels)
    total, trainable = count_params(model)
    g = gmacs(model, input_size=size, in_channels=spec.in_channels)
    exp_total, exp_trainable, source = expected_counts(var, framework)
    matches = (exp_total is None or exp_total == total) and (
        exp_trainable is None or exp_trainable == trainable
    )
    if var.gmacs is not None:
        matches = matches and abs(g - var.gmacs.value) <= 0.0006 * max(1.0, var.gmacs.value)
    del model
    return ModelRecord(
        arch=arch,
        framework=framework,
        variant=variant,
        params=total,
        trainable_params=trainable,
        expected_params=exp_total if exp_total is not None else exp_trainable,
        expected_source=source,
        input_shape=tuple(int(d) for d in input_shape),
        output_shape=tuple(int(d) for d in out_shape),
        gmacs=round(g, 4),
        expected_gmacs=var.gmacs.value if var.gmacs else None,
        matches=bool(matches and (exp_total is not None or exp_trainable is not None)),
    )


def run(*, archs, frameworks, variants=None, quiet: bool = False) -> list[ModelRecord]:
    """Every (architecture, variant, framework) asked for, described in that order.

    Parameters
    ----------
    archs : list of str
        Catalog names (already checked).
    frameworks : list of str
        Installed frameworks.
    variants : list of str, optional
        Variants to keep (default: every variant of each architecture).
    quiet : bool, default=False
        No progress bar.

    Returns
    -------
    list of ModelRecord
    """
    from cnnlab.bench.jobs.common import arch_variants, progress

    jobs = [(arch, framework, variant) for arch, variant in arch_variants(archs, variants)
            for framework in frameworks]
    return [describe(arch, framework, variant=variant)
            for arch, framework, variant in progress(jobs, desc="models", quiet=quiet)]
