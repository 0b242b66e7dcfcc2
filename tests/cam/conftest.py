"""Load torch's compiler stack before TensorFlow.

torch's optimisers import ``torch._dynamo``, which loads triton's LLVM; TensorFlow carries its own
LLVM, and whichever comes second aborts the process ("inconsistency in registered CommandLine
options") if it is triton. Loading triton first is safe; if TensorFlow is already in, torch is
told triton is absent (it is not needed on CPU).
"""

import sys

if "tensorflow" in sys.modules:
    sys.modules.setdefault("triton", None)
else:
    import torch._dynamo  # noqa: F401

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from reference.data import make_shapes  # noqa: E402


@pytest.fixture(scope="session")
def shapes_net():
    """A GAP network trained on 2,000 synthetic shapes images (seconds on one CPU thread)."""
    import torch

    from reference.cam.training import train_gap_net

    threads = torch.get_num_threads()
    # small convolutions gain nothing from a second thread, and on a busy machine its
    # spin-waiting costs several times the work itself
    torch.set_num_threads(1)
    try:
        return train_gap_net(make_shapes(2000, layout="nchw", seed=100), epochs=6, seed=0)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def held_out():
    """Held-out shapes images (another seed than the training set), channels first."""
    return make_shapes(400, layout="nchw", seed=1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
