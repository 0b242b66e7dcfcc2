"""Peak dense throughput of common GPUs, per precision, from NVIDIA's product datasheets.

Figures are TFLOP/s without structured sparsity (datasheets often print the sparse figure, which
is twice the dense one). ``fp32`` is the CUDA-core FP32 rate; convolutions that cuDNN runs in
TF32 (PyTorch allows that by default) can go past it, which is why every run also measures a
practical peak with a matmul.
"""

from __future__ import annotations

import re

#: (pattern matched against the device name, display name, {precision: dense TFLOP/s}).
#: Ordered from the most specific pattern to the least.
GPU_PEAKS = (
    (r"H100.*NVL", "H100 NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5}),
    (r"H100.*PCIe", "H100 PCIe", {"fp32": 51.0, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0}),
    (r"H100|GH200", "H100 SXM", {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    (r"H200.*NVL", "H200 NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5}),
    (r"H200", "H200 SXM", {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    (r"A100", "A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    (r"L40S", "L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.0, "fp16": 362.0}),
    (r"\bL4\b", "L4", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}),
    (r"\bA10\b", "A10", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}),
    (r"V100.*PCI", "V100 PCIe", {"fp32": 14.0, "fp16": 112.0}),
    (r"V100", "V100 SXM2", {"fp32": 15.7, "fp16": 125.0}),
    (r"\bT4\b", "T4", {"fp32": 8.1, "fp16": 65.0}),
    (r"RTX 4090", "GeForce RTX 4090", {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    (r"RTX 3090", "GeForce RTX 3090", {"fp32": 35.6, "tf32": 35.6, "bf16": 71.0, "fp16": 71.0}),
)


def table_peak(device_name: str, precision: str) -> tuple[float | None, str | None]:
    """Datasheet dense peak of ``device_name`` for ``precision`` in TFLOP/s, and the row it came from.

    Parameters
    ----------
    device_name : str
        As the framework reports it, e.g. ``"NVIDIA H100 80GB HBM3"``.
    precision : {"fp32", "tf32", "bf16", "fp16"}

    Returns
    -------
    peak, row : (float or None, str or None)
        ``(None, None)`` for a device not in the table (every CPU), ``(None, row)`` for a known
        GPU without that precision (a T4 has no bf16 tensor cores).
    """
    for pattern, display, peaks in GPU_PEAKS:
        if re.search(pattern, device_name or ""):
            return peaks.get(precision), display
    return None, None
