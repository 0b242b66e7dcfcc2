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
