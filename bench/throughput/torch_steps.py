"""PyTorch side of the benchmark: device, model step, synchronisation, memory, matmul peak.

The Keras twin is ``keras_steps.py``: same function names, same order. This module is imported
only inside a torch worker process.
"""

from __future__ import annotations

import gc
import time

import torch
import torch.nn.functional as F

from cnnlab.errors import UsageError

from .environment import peak_rss_bytes, reset_peak_rss
from .prepared import Prepared, first_output, model_gmacs

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(requested: str) -> str:
    """``"cuda"`` or ``"cpu"``; a ``ValueError`` when CUDA is asked for and torch cannot use it."""
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        build = "built without CUDA" if torch.version.cuda is None else "sees no CUDA device"
        raise UsageError(f"--device cuda: torch {torch.__version__} {build}")
    return "cuda" if requested in ("cuda", "auto") and available else "cpu"


def device_name(device: str) -> str:
    return torch.cuda.get_device_name() if device == "cuda" else "cpu"


def threads() -> int:
    return torch.get_num_threads()


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the CUDA caching allocator's error and for the CPU allocator's failure."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "DefaultCPUAllocator: can't allocate memory" in str(exc)


def release() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def prepare(spec, device: str, batch_size: int) -> Prepared:
    """Build ``spec.arch``, put it and a random batch on ``device``, and return its step.

    Inference runs the whole model in the requested precision (weights and input converted, as
    deployed models are) under ``torch.inference_mode``. Training keeps float32 weights and runs
    forward and loss under ``torch.autocast`` (mixed precision), then backward and an SGD step;
    float16 training scales the loss with ``torch.amp.GradScaler``.
    """
    from cnnlab.reference import build
    from cnnlab.reference.catalog import get

    arch = get(spec.arch)
    model = build(spec.arch, "torch")
    params = sum(p.numel() for p in model.parameters())
    gmacs, gmacs_source = model_gmacs(model, arch)
    dtype = _DTYPES[spec.precision]
    layout = torch.channels_last if spec.channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=layout)
    x = torch.randn(batch_size, arch.in_channels, *arch.input_size, device=device)
    x = x.contiguous(memory_format=layout)
    flags = {"torch.compile": spec.compile, "cudnn.benchmark": device == "cuda"}
    torch.backends.cudnn.benchmark = device == "cuda"

    if spec.mode == "infer":
        model.eval()
        if dtype is not torch.float32:
            model, x = model.to(dtype), x.to(dtype)
        forward = torch.compile(model) if spec.compile else model

        def step():
            with torch.inference_mode():
                return forward(x)

        precision_mode = "pure"
        flags["inference_mode"] = True
    else:
        model.train()
        labels = torch.randint(0, arch.num_classes, (batch_size,), device=device)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        forward = torch.compile(model) if spec.compile else model
        scaler = torch.amp.GradScaler(device) if dtype is torch.float16 else None
        autocast = dtype is not torch.float32

        def step():
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device, dtype=dtype, enabled=autocast):
                loss = F.cross_entropy(first_output(forward(x)), labels)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            return loss

        precision_mode = "mixed (autocast)" if autocast else "pure"
        flags.update(optimizer="SGD(momentum=0.9)", grad_scaler=scaler is not None)

    return Prepared(
        step=step,
        sync=_sync(device),
        params=params,
        gmacs=gmacs,
        gmacs_source=gmacs_source,
        input_size=tuple(arch.input_size),
        layout="NHWC (channels_last)" if spec.channels_last else "NCHW",
        precision_mode=precision_mode,
        flags=flags,
    )


def _sync(device: str):
    if device == "cuda":
        # Waits for every kernel queued on the device, so the step's time is the GPU's time.
        return lambda _result: torch.cuda.synchronize()
    # Eager CPU ops run to completion before they return.
    return lambda _result: None


def reset_peak_memory(device: str) -> None:
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    else:
        reset_peak_rss()


def peak_memory(device: str) -> tuple[int, str]:
    """Peak bytes since :func:`reset_peak_memory` and what they measure."""
    if device == "cuda":
        return torch.cuda.max_memory_allocated(), "torch.cuda.max_memory_allocated"
    return peak_rss_bytes(), "process peak RSS"


def matmul_peak(device: str, precision: str, *, seconds: float = 0.5) -> float:
    """Practical peak in TFLOP/s: the best rate of square matmuls in ``precision`` on ``device``."""
    n = 8192 if device == "cuda" else 1024
    dtype = _DTYPES[precision]
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    sync = _sync(device)
    with torch.inference_mode():
        sync(torch.mm(a, b))
        best = 0.0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            for _ in range(4):
                c = torch.mm(a, b)
            sync(c)
            elapsed = time.perf_counter() - start
            best = max(best, 4 * 2 * n**3 / elapsed / 1e12)
    return best
