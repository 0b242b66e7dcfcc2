"""Generative adversarial networks as taught: the alternating training step and its measures.

``_torch`` and ``_keras`` are twins (the same function names): ``discriminator_loss``,
``generator_loss``, ``discriminator_step``, ``generator_step``, ``train_step``, ``optimizers``,
``init_weights``, ``generate``. :mod:`.quality` (framework-free) scores generated digits;
:mod:`.demo` runs ``cnnlab gan-demo``. Importing this package imports no framework.
"""

from __future__ import annotations

from .quality import DigitsJudge, class_coverage, frechet_distance

__all__ = ["DigitsJudge", "class_coverage", "frechet_distance"]
