"""The ``cnnlab transfer-demo`` job: pretraining on digits 0-4 against training from scratch on
5-9 (``--recipe compare``), or the Advance CNN lecture's 8-step recipe (``--recipe lecture``).

The training itself is the answer key's (:mod:`cnnlab.reference.transfer.demo`,
:mod:`cnnlab.reference.transfer.lecture`); this module turns what it measured into the job's
records and writes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .record import JobRecord

SCHEMA_VERSION = 1
#: The files in ``out`` that hold the records of the two recipes.
RECORD_FILE = "transfer_demo.json"
LECTURE_RECORD_FILE = "lecture_recipe.json"
#: The lecture trains at most this many epochs per phase (and 4 of pretraining).
LECTURE_EPOCHS, LECTURE_PRETRAIN_EPOCHS = 15, 4


@dataclass(frozen=True)
class TransferDemoRecord(JobRecord):
    """Scratch, feature extraction and fine-tuning on digits 5-9, over several seeds.

    Attributes
    ----------
    framework : str
        ``torch`` or ``keras``
    config : dict
        the settings (``DemoConfig``: architecture, image size, labels per class, seeds, epochs,
        learning rates, ...)
    pretrain : dict
        the pretraining on digits 0-4: its epochs and validation accuracy
    runs : list of dict
        one per (strategy, seed): test accuracy and epochs trained
    curves : list of dict
        validation loss and accuracy per epoch of every run, by strategy, seed and phase
    summary : list of dict
        per strategy: mean and std of the test accuracy over seeds, the seeds' values, the mean
        epochs trained
    seconds : float
        wall time of the whole run
    """

    SCHEMA = f"cnnlab.transfer-demo/{SCHEMA_VERSION}"

    framework: str
    config: dict
    pretrain: dict
    runs: list
    curves: list
    summary: list
    seconds: float


@dataclass(frozen=True)
class LectureRecipeRecord(JobRecord):
    """The lecture's recipe on a synthetic image folder: feature extraction, then fine-tuning.

    Attributes
    ----------
    framework, arch : str
        what was trained
    distribution : dict
        training and validation images per class
    report : str
        the classification report of the validation split, as text
    history : list of dict
        epoch records of both phases
    best_epochs, trainable, rates, val_accuracy : dict
        per phase: the epoch of the best checkpoint, the trainable parameters of the base (0 while
        it is frozen: the head trains alone), the learning rate
        of each epoch, the validation accuracy after the phase
    finetune_count : int
        conv layers unfrozen for fine-tuning
    checkpoints : list of str
        the best-weights files written
    seconds : float
        wall time of the whole run
    """

    SCHEMA = f"cnnlab.transfer-lecture/{SCHEMA_VERSION}"

    framework: str
    arch: str
    distribution: dict
    report: str
    history: list
    best_epochs: dict
    trainable: dict
    rates: dict
    val_accuracy: dict
    finetune_count: int
    checkpoints: list
    seconds: float


def run(*, framework: str, out: Path, seeds: int = 5, max_epochs: int = 200,
        pretrain_epochs: int = 30, labels_per_class: int = 5, variation: float = 1.5,
        quiet: bool = False) -> TransferDemoRecord:
    """Run the comparison of strategies and write ``out/transfer_demo.json``.

    Parameters
    ----------
    framework : {"torch", "keras"}
        Checked and installed.
    out : Path
        The folder for the record; created once the settings are checked.
    seeds, max_epochs, pretrain_epochs, labels_per_class, variation
        See ``cnnlab.reference.transfer.demo.DemoConfig`` (``labels_per_class`` also sets the
        validation examples per class).
    quiet : bool, default=False
        No progress bar.

    Returns
    -------
    TransferDemoRecord
    """
    from dataclasses import replace

    from tqdm import tqdm

    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference.transfer.demo import DemoConfig, run_demo

    config = replace(DemoConfig(), seeds=seeds, max_epochs=max_epochs,
                     pretrain_epochs=pretrain_epochs, labels_per_class=labels_per_class,
                     val_per_class=labels_per_class, variation=variation)
    out = output_folder(out)
    with tqdm(total=1 + 2 * config.seeds, desc=f"transfer-demo ({framework})", unit="step",
              disable=quiet, leave=False) as bar:
        def step(text):
            bar.set_postfix_str(text)
            bar.update()

        result = run_demo(config, framework=framework, progress=step)
    record = TransferDemoRecord(framework=result.framework, config=asdict(result.config),
                                pretrain=result.pretrain, runs=result.runs, curves=result.curves,
                                summary=result.summary(), seconds=result.seconds)
    (out / RECORD_FILE).write_text(json.dumps(record.to_json(), indent=1), encoding="utf-8")
    return record


def run_lecture(*, framework: str, out: Path, max_epochs: int = LECTURE_EPOCHS,
                pretrain_epochs: int = LECTURE_PRETRAIN_EPOCHS,
                quiet: bool = False) -> LectureRecipeRecord:
    """Run the lecture's recipe into ``out`` (checkpoints, ``lecture_recipe.json``).

    Parameters
    ----------
    framework : {"torch", "keras"}
    out : Path
        The folder for checkpoints and the record; created if missing.
    max_epochs, pretrain_epochs : int
        Each is capped at the lecture's own (15 per phase, 4 of pretraining).
    quiet : bool, default=False
        No line per finished step.

    Returns
    -------
    LectureRecipeRecord
    """
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference.transfer import Recipe
    from cnnlab.reference.transfer.lecture import LectureConfig, run_lecture_recipe

    out = output_folder(out)
    epochs = min(max_epochs, LECTURE_EPOCHS)
    config = LectureConfig(pretrain_epochs=min(pretrain_epochs, LECTURE_PRETRAIN_EPOCHS),
                           recipe=Recipe.lecture(max_epochs=epochs, finetune_epochs=epochs))
    printer = None if quiet else (lambda text: print(f"  {text} done", flush=True))
    data = run_lecture_recipe(out, config, framework=framework, progress=printer)
    record = LectureRecipeRecord(**data)
    # the recipe wrote its plain dict; the job's file carries the schema too
    (out / LECTURE_RECORD_FILE).write_text(json.dumps(record.to_json(), indent=1),
                                                 encoding="utf-8")
    return record
