"""The torch<->Keras equivalence on the other Keras backends, JAX and torch.

tests/test_porting.py proves every catalog architecture on the TensorFlow backend; here one
architecture of each family is proven on each other backend that is installed. The backend is
fixed when Keras is imported, so each runs in its own process. (This module sits early in the
collection order because it is the longest single test: under ``pytest -n 2`` it then overlaps
the rest of the suite instead of finishing last.)
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from cnnlab.reference.catalog import CATALOG
from cnnlab.reference.compare import ATOL

_BACKEND_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from cnnlab.bench.jobs.compare import compare_arch
    out = []
    for arch, size, include_top in json.loads(sys.argv[1]):
        size = None if size is None else tuple(size)
        for rec in compare_arch(arch, input_size=size, batch=1, include_top=include_top):
            out.append([arch, rec.direction, rec.keras_backend, rec.max_abs_diff,
                        rec.keras_trainable_params == rec.torch_params])
    print(json.dumps(out))
    """
)

# One architecture of each family, small inputs: what the TensorFlow backend proves for the whole
# catalog above, each other backend proves family by family (the whole catalog per backend is
# `KERAS_BACKEND=jax cnnlab compare`, measured in the README).
BACKEND_CASES = [
    ("lenet5", None, True),  # flatten order before the first Dense
    ("course_cifar", None, True),
    ("alexnet", None, True),  # 11x11 stride 4, overlapping pooling, a 6x6x256 flatten
    ("vgg11_bn", (32, 32), False),
    ("googlenet", (64, 64), True),  # ceil_mode pooling, the adaptive pooling layer of cnnlab
    ("inception_v3", (75, 75), True),  # asymmetric kernels and paddings
    ("resnet18", (32, 32), True),  # residual + BN
    ("densenet121", (32, 32), True),  # concatenation
    ("mobilenet_v2", (32, 32), True),  # depthwise + ReLU6
    ("dcgan_digits_g", None, True),  # transposed convolutions, valid plus a crop
]


def test_backend_cases_cover_every_family():
    assert {CATALOG[arch].family for arch, _, _ in BACKEND_CASES} == {
        spec.family for spec in CATALOG.values()}


# The Keras torch backend registers each Keras weight as a torch parameter named after its layer;
# torch forbids dots there, so reference.layer_names swaps them for "__" on that backend only.
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_equivalence_holds_on_other_keras_backends(backend):
    """Each Keras backend runs in its own process (the backend is fixed at import)."""
    pytest.importorskip("keras")
    pytest.importorskip("torch")  # the reference side of every comparison
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-c", _BACKEND_SCRIPT, json.dumps(BACKEND_CASES)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {r[2] for r in rows} == {backend}
    assert [r[0] for r in rows] == [arch for arch, _, _ in BACKEND_CASES for _ in range(2)]
    for arch, direction, _, diff, same_count in rows:
        assert diff <= ATOL, (arch, direction, diff)
        assert same_count, (arch, direction, "trainable parameter counts differ")
