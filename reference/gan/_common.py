"""What the PyTorch and the Keras training loops share: settings, the step record, input checks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from cnnlab.errors import UsageError

#: Adam as in the DCGAN paper (lr 2e-4, beta_1 0.5); epsilon set explicitly because the
#: frameworks' defaults differ (torch 1e-8, Keras 1e-7).
ADAM = {"lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "epsilon": 1e-8}
#: Standard deviation of the DCGAN weight initialisation (paper Sec. 4).
INIT_STD = 0.02


@dataclass(frozen=True)
class StepLosses:
    """The numbers of one alternating step.

    ``d_loss`` is averaged over the step's discriminator updates; ``d_real`` and ``d_fake`` are
    the mean probabilities ``D(x)`` and ``D(G(z))`` the discriminator gave before its updates.
    """

    d_loss: float
    g_loss: float
    d_real: float
    d_fake: float

    def as_dict(self) -> dict:
        return asdict(self)

    def first_non_finite(self) -> str | None:
        """``"discriminator"`` or ``"generator"`` if that loss is NaN or infinite, else None."""
        if not math.isfinite(self.d_loss):
            return "discriminator"
        if not math.isfinite(self.g_loss):
            return "generator"
        return None


def check_step_inputs(reals, noises, real_label) -> None:
    """``k >= 1`` real batches, ``k + 1`` noise batches, a real label in (0, 1]."""
    if len(reals) < 1:
        raise UsageError("an alternating step needs at least one real batch (k >= 1)")
    if len(noises) != len(reals) + 1:
        raise UsageError(f"{len(reals)} discriminator steps need {len(reals) + 1} noise batches "
                         f"(one per discriminator step and one for the generator); got {len(noises)}")
    if not 0.0 < float(real_label) <= 1.0:
        raise UsageError(f"real_label must be in (0, 1]; got {real_label!r}")
