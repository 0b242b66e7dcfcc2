"""Shared set-up of the transfer tests."""

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small models on a busy CI machine: one intra-op thread is several times faster than two
    (thread hand-offs cost more than the arithmetic). Restored after each test."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
