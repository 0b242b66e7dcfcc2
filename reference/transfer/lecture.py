"""The Advance CNN lecture's transfer-learning recipe, end to end and offline.

The lecture's eight steps, on a small synthetic flowers-style folder that cnnlab writes (no
download): (1) prepare the data: the folder ``images/<class>/*.png|jpg``, a stratified 80/20 split
of the files and the class distribution; shuffled, augmented training batches (rescale 1/255,
rotation 30°, shifts 0.2, horizontal flip) and in-order validation batches; (2) a "pretrained"
base: ImageNet weights cannot be downloaded, so the base is first trained on another shapes task
(:func:`cnnlab.reference.data.make_shapes`); (3) freeze it; (4) add the lecture's head (GAP,
Dense 1024, Dropout 0.5, Dense 512, output); (5, 6) train with Adam 1e-4, early stopping on the
validation loss (patience 3), the best weights checkpointed, the rate reduced on a plateau; then
fine-tune the last 4 convolution layers at 1e-5; (7) evaluate; (8) save the history.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..data.augment import Augmentation
from ..data.image_folder import (
    FolderBatches,
    class_distribution,
    distribution_report,
    make_image_folder,
    split_folder,
)
from ..data.shapes import make_shapes
from .freezing import freeze, trainable_summary
from .heads import with_head
from .recipe import Recipe, _as_arrays, evaluate, fit

__all__ = ["LectureConfig", "run_lecture_recipe", "LECTURE_AUGMENTATION"]

#: The lecture's training generator: rescale 1/255, rotation 30°, width and height shift 0.2,
#: horizontal flip (ImageDataGenerator's names and its "nearest" fill).
LECTURE_AUGMENTATION = Augmentation.from_keras(rescale=1 / 255, rotation_range=30,
                                               width_shift_range=0.2, height_shift_range=0.2,
                                               horizontal_flip=True)


@dataclass(frozen=True)
class LectureConfig:
    """Settings of :func:`run_lecture_recipe`; the recipe is :meth:`Recipe.lecture`.

    Attributes
    ----------
    arch : str, default="vgg11_bn"
        The base (``include_top=False``); it needs 4 convolutions for the fine-tuning step.
        BatchNorm lets the stand-in pretraining learn in a few epochs (measured: validation
        accuracy 0.667 on 12 images, chance 0.333, after the full recipe, 17 s on the 2-core machine;
        plain vgg11 stayed at chance in a 2-epoch run).
    size : int, default=32
        Image side (the lecture's 224 costs minutes per epoch on a CPU).
    classes : tuple of str
        The target classes, shapes that the folder draws.
    per_class : int, default=20
    pretrain_images, pretrain_epochs : int
        The stand-in for ImageNet: a 4-shape task on grey images.
    batch_size : int, default=16
    recipe : Recipe, default=Recipe.lecture()
    seed : int, default=0
    """

    arch: str = "vgg11_bn"
    size: int = 32
    classes: tuple = ("circle", "square", "triangle")
    per_class: int = 20
    pretrain_images: int = 240
    pretrain_epochs: int = 4
    batch_size: int = 16
    recipe: Recipe = field(default_factory=Recipe.lecture)
    seed: int = 0


def _layout(images, framework):
    return images.transpose(0, 3, 1, 2) if framework == "torch" else images


def run_lecture_recipe(out, config: LectureConfig = LectureConfig(), *, framework: str = "torch",
                       progress=None) -> dict:
    """Run the lecture's feature-extraction and fine-tuning recipe on a synthetic folder.

    Parameters
    ----------
    out : str or Path
        Folder for ``images/``, ``checkpoints/`` and ``lecture_recipe.json``.
    config : LectureConfig
    framework : {"torch", "keras"}
    progress : callable, optional
        Called with a short text after each step.

    Returns
    -------
    dict
        ``distribution`` (train and validation images per class), ``report`` (its text table),
        ``history`` (epoch records of both phases), ``best_epochs``, ``rates`` (learning rate
        per epoch and phase), ``trainable`` (parameters per phase), ``val_accuracy`` (after each
        phase), ``checkpoints`` and ``seconds``.
    """
    from .. import build, check_framework

    check_framework(framework)
    note = progress or (lambda _text: None)
    started = time.perf_counter()
    out = Path(out)
    # (1) the data
    folder = make_image_folder(out / "images", classes=config.classes, per_class=config.per_class,
                               size=config.size, seed=config.seed)
    train, val = split_folder(folder, val=0.2, seed=config.seed)
    report = distribution_report(train=train, val=val)
    train_batches = FolderBatches(train, size=config.size, batch_size=config.batch_size,
                                  augmentation=LECTURE_AUGMENTATION, seed=config.seed)
    val_batches = FolderBatches(val, size=config.size, batch_size=config.batch_size,
                                shuffle=False, augmentation=Augmentation(rescale=1 / 255))
    note("data")
    # (2) a pretrained base, from another task (grey shapes, four classes, with noise)
    if framework == "torch":
        import torch

        torch.manual_seed(config.seed)
    else:
        import keras

        keras.utils.set_random_seed(config.seed)
    base = build(config.arch, framework, include_top=False, input_size=config.size)
    source = make_shapes(config.pretrain_images, image_size=config.size, channels=3,
                         min_size=config.size // 4, max_size=config.size // 2,
                         seed=config.seed + 1)
    cut = len(source.labels) * 4 // 5
    images = _layout(source.images, framework)
    pretrainer = with_head(base, len(source.class_names), head="linear",
                           input_size=(config.size, config.size))
    fit(pretrainer, (images[:cut], source.labels[:cut]), (images[cut:], source.labels[cut:]),
        lr=1e-3, max_epochs=config.pretrain_epochs, patience=config.pretrain_epochs,
        batch_size=config.batch_size, seed=config.seed, phase="pretrain")
    note("pretrained base")
    # (3)-(6) freeze, the lecture's head, feature extraction then fine-tuning
    model = with_head(base, len(config.classes), head="lecture",
                      input_size=(config.size, config.size))
    trainable, accuracy, rates = {}, {}, {}
    val_arrays = _as_arrays(val_batches, framework)

    def phase_end(phase):
        trainable[phase] = trainable_summary(base).trainable
        accuracy[phase] = evaluate(model, val_arrays)[1]
        note(phase)

    recipe = config.recipe
    folder_ckpt = out / "checkpoints"
    folder_ckpt.mkdir(parents=True, exist_ok=True)
    suffix = ".pt" if framework == "torch" else ".weights.h5"
    freeze(base)
    history = None
    for phase, lr, epochs in (("extract", recipe.extract_lr, recipe.max_epochs),
                              ("finetune", recipe.finetune_lr,
                               recipe.finetune_epochs or recipe.max_epochs)):
        if phase == "finetune":
            recipe.unfreeze_base(base)
        plateau = recipe.reduce_lr()
        part = fit(model, train_batches, val_arrays, lr=lr, max_epochs=epochs,
                   patience=recipe.patience, batch_size=config.batch_size, seed=config.seed,
                   phase=phase, checkpoint=folder_ckpt / f"{phase}.best{suffix}",
                   reduce_lr=plateau)
        rates[phase] = [lr] + (plateau.rates[:-1] if plateau is not None else [])
        rates[phase] = rates[phase][:len(part.records)]
        history = part if history is None else (history.extend(part) or history)
        phase_end(phase)
    # (7) evaluate, (8) save
    record = {
        "framework": framework,
        "arch": config.arch,
        "distribution": {"train": class_distribution(train), "val": class_distribution(val)},
        "report": report,
        "history": history.as_records(),
        "best_epochs": history.best_epochs,
        "trainable": trainable,
        "rates": rates,
        "val_accuracy": accuracy,
        "finetune_count": recipe.finetune_count,
        "checkpoints": sorted(p.name for p in (out / "checkpoints").iterdir()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "lecture_recipe.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


