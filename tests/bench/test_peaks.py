"""The table of GPU peaks: device names as frameworks report them, dense datasheet figures."""

import pytest

from cnnlab.bench.throughput.peaks import table_peak


@pytest.mark.parametrize(
    "name,precision,peak,row",
    [
        # NVIDIA datasheets print bf16 with sparsity (1,979 / 624 / 1,513 TFLOPS): dense is half
        ("NVIDIA H100 80GB HBM3", "bf16", 989.4, "H100 SXM"),
        ("NVIDIA H100 PCIe", "bf16", 756.0, "H100 PCIe"),
        ("NVIDIA H200", "bf16", 989.4, "H200 SXM"),
        ("NVIDIA A100-SXM4-80GB", "bf16", 312.0, "A100"),
        ("NVIDIA A100-SXM4-40GB", "fp32", 19.5, "A100"),
        ("NVIDIA L4", "fp16", 121.0, "L4"),
        ("NVIDIA L40S", "bf16", 362.0, "L40S"),
        ("Tesla V100-SXM2-16GB", "fp16", 125.0, "V100 SXM2"),
        ("Tesla T4", "bf16", None, "T4"),  # Turing has no bf16 tensor cores
    ],
)
def test_known_gpus(name, precision, peak, row):
    assert table_peak(name, precision) == (peak, row)


def test_l4_is_not_mistaken_for_l40s_nor_a10_for_a100():
    assert table_peak("NVIDIA L40S", "fp32")[1] == "L40S"
    assert table_peak("NVIDIA A10", "bf16") == (125.0, "A10")


@pytest.mark.parametrize("name", ["cpu", "Intel(R) Xeon(R) Processor", "AMD Instinct MI300X", ""])
def test_unknown_devices_have_no_peak(name):
    assert table_peak(name, "bf16") == (None, None)
