"""Batch-size step-down on out-of-memory: try smaller batches until one fits.

The sequence goes down in quarter steps within each power of two (256, 192, 128, 96, 64, 48, ...),
finer than halving, so the batch that finally runs is close to the largest that fits. This is
the schedule timm's benchmark uses; the code here is cnnlab's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def next_batch_size(batch_size: int) -> int:
    """The next smaller batch to try after ``batch_size`` ran out of memory; 0 when none is left."""
    if batch_size <= 1:
        return 0
    power = 1 << (batch_size.bit_length() - 1)  # largest power of two <= batch_size
    if power == batch_size:
        step = max(1, power // 4)
        return batch_size - step
    step = max(1, power // 2)
    # Round down onto the grid of half-powers, so 200 goes to 192 and 130 to 128.
    return max(power, (batch_size - 1) // step * step)


def run_with_step_down(
    attempt: Callable[[int], T],
    batch_size: int,
    *,
    is_out_of_memory: Callable[[BaseException], bool],
    release: Callable[[], None] = lambda: None,
) -> tuple[T, int, list[int]]:
    """Call ``attempt(batch)`` with ``batch_size``, then smaller batches while it runs out of memory.

    Parameters
    ----------
    attempt : callable
        Builds and times one run at the given batch size.
    batch_size : int
        The batch size asked for.
    is_out_of_memory : callable
        True for the framework's out-of-memory exceptions; any other exception propagates.
    release : callable, optional
        Frees what the failed attempt left behind (``torch.cuda.empty_cache``, a Keras session).

    Returns
    -------
    result, batch_size, failed : (object, int, list of int)
        What ``attempt`` returned, the batch size that fitted, and the sizes that did not.

    Raises
    ------
    MemoryError
        When even a batch of one runs out of memory; the message quotes the framework's error.
    """
    failed: list[int] = []
    batch = batch_size
    while True:
        try:
            return attempt(batch), batch, failed
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            failed.append(batch)
            # Keep the message only: the exception's traceback holds the failed attempt's tensors.
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        release()
        batch = next_batch_size(batch)
        if batch == 0:
            raise MemoryError(
                f"out of memory even at batch size 1 (tried {', '.join(map(str, failed))}); "
                f"last error: {reason}"
            )
