"""Lazy framework imports: numpy-only modules import no framework, each twin only its own."""

import json
import subprocess
import sys

import pytest

FRAMEWORKS = ("torch", "keras", "tensorflow")


def _imported_after(statement):
    code = f"import sys, json; {statement}; print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("statement,allowed", [
    ("import cnnlab.reference.ops, cnnlab.reference.data, cnnlab.reference.cam, cnnlab.reports.overlay, cnnlab.bench.commands.explain", []),
    ("import cnnlab.reference.cam._torch, cnnlab.reference.cam.training", ["torch"]),
    ("import cnnlab.reference.cam._keras", ["keras", "tensorflow"]),
])
def test_imports(statement, allowed):
    for module in allowed:
        pytest.importorskip(module)
    assert set(_imported_after(statement)) <= set(allowed)
