"""Shared fixtures: a GAP network trained on the shapes dataset, and held-out images."""

import numpy as np
import pytest

from cnnlab.reference.data import make_shapes


@pytest.fixture(scope="session")
def shapes_net():
    """A GAP network trained on 2,000 synthetic shapes images (seconds on one CPU thread)."""
    torch = pytest.importorskip("torch")

    from cnnlab.reference.cam.training import train_gap_net

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
