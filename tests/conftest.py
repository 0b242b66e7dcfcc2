"""Shared test set-up: quiet TensorFlow, a fixed Keras backend, and a safe import order.

torchvision imports triton; if TensorFlow is already loaded, the two copies of LLVM abort the
process ("inconsistency in registered CommandLine options", torch 2.15 + TF 2.21). Tests use
both frameworks in one process, so torch and torchvision are imported first, here.
"""

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under `pytest -n 2` on two cores, a second intra-op thread per worker only spins.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(var, "1")

if importlib.util.find_spec("torchvision") is not None:
    import torch  # noqa: F401
    import torchvision  # noqa: F401

import pytest  # noqa: E402

# tox's torch-only and keras-only environments: what a test needs that is not installed
MISSING = {name for name in ("torch", "keras") if importlib.util.find_spec(name) is None}


def pytest_collection_modifyitems(items):
    """A test parametrized by ``framework`` needs that framework: skip it, saying so, where it is
    not installed (modules and tests that import a framework skip themselves)."""
    if not MISSING:
        return
    for item in items:
        framework = getattr(getattr(item, "callspec", None), "params", {}).get("framework")
        if framework in MISSING:
            item.add_marker(pytest.mark.skip(reason=f"{framework} is not installed"))


@pytest.fixture
def one_torch_thread():
    """Small models on a busy CI machine: one intra-op thread is several times faster than two
    (thread hand-offs cost more than the arithmetic). Restored after each test; the data and
    transfer tests use it for every test."""
    torch = pytest.importorskip("torch")

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def load_module(path, name):
    """Import the Python file ``path`` as a module named ``name`` (a solution, a submission, a
    fixture script), without putting its folder on ``sys.path``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cli(capsys, *argv):
    """``cnnlab ARGV`` in this process: (exit code, stdout, stderr)."""
    from cnnlab.bench.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors (an invalid choice) exit 2 as well
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
