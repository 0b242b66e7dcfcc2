"""``cnnlab transfer-demo``: pretraining on digits 0-4 against training from scratch on 5-9."""

from __future__ import annotations

import json
from dataclasses import replace

NAME = "transfer-demo"
HELP = ("pretrain a CNN on digits 0-4, then compare from-scratch, feature extraction and "
        "fine-tuning on 5-9 with a few labels per class (offline)")


def configure(parser) -> None:
    parser.add_argument("--framework", default="torch", help="torch or keras (default torch)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds, i.e. draws of the labelled "
                        "examples (default 5)")
    parser.add_argument("--epochs", type=int, default=200,
                        help="most epochs of each training phase on digits 5-9 (default 200; "
                        "early stopping usually ends a phase sooner)")
    parser.add_argument("--pretrain-epochs", type=int, default=30,
                        help="most epochs of pretraining on digits 0-4 (default 30)")
    parser.add_argument("--labels-per-class", type=int, default=5,
                        help="labelled training examples per target digit (default 5)")
    parser.add_argument("--variation", type=float, default=1.5,
                        help="strength of the random pose change of each digit, 0 to 3; 0 keeps "
                        "the digits as shipped (default 1.5)")
    parser.add_argument("--out", default="out/transfer",
                        help="folder for transfer_demo.json and learning_curves.png "
                        "(default out/transfer)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--recipe", choices=("compare", "lecture"), default="compare",
                        help="compare: scratch / feature extraction / fine-tuning on digits "
                             "(default); lecture: the Advance CNN lecture's 8-step recipe on a "
                             "synthetic image folder (80/20 split, augmented batches, early "
                             "stopping, best-weights checkpoints, LR reduction on plateau, the "
                             "last 4 conv layers fine-tuned)")


def run(args) -> int:
    from cnnlab.reference import check_framework
    from cnnlab.reference.frameworks import require
    from cnnlab.reference.transfer.demo import DemoConfig, run_demo

    from ._common import output_folder

    framework = check_framework(args.framework)
    output_folder(args.out, create=False)  # before the minutes of training
    require(framework)
    if args.recipe == "lecture":
        return _run_lecture(args, framework, output_folder(args.out))
    config = replace(DemoConfig(), seeds=args.seeds, max_epochs=args.epochs,
                     pretrain_epochs=args.pretrain_epochs, labels_per_class=args.labels_per_class,
                     val_per_class=args.labels_per_class, variation=args.variation)
    out = output_folder(args.out)

    from tqdm import tqdm

    from cnnlab.reports.transfer import demo_table, plot_learning_curves

    with tqdm(total=1 + 2 * config.seeds, desc=f"transfer-demo ({framework})", unit="step",
              disable=args.quiet, leave=False) as bar:
        def step(text):
            bar.set_postfix_str(text)
            bar.update()

        result = run_demo(config, framework=framework, progress=step)
    record = result.as_dict()
    (out / "transfer_demo.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    plot_learning_curves(record, out / "learning_curves.png")
    print(demo_table(record))
    print(f"\npretraining: {record['pretrain']['epochs']} epochs, validation accuracy "
          f"{record['pretrain']['val_accuracy']:.3f}; whole run {result.seconds:.0f} s; "
          f"wrote {out / 'transfer_demo.json'} and {out / 'learning_curves.png'}")
    return 0


def _run_lecture(args, framework, out) -> int:
    from cnnlab.reference.transfer import Recipe
    from cnnlab.reference.transfer.lecture import LectureConfig, run_lecture_recipe

    epochs = min(args.epochs, 15)  # the lecture's 15 epochs per phase, unless fewer are asked
    config = LectureConfig(pretrain_epochs=min(args.pretrain_epochs, 4),
                           recipe=Recipe.lecture(max_epochs=epochs, finetune_epochs=epochs))
    printer = None if args.quiet else (lambda text: print(f"  {text} done", flush=True))
    record = run_lecture_recipe(out, config, framework=framework, progress=printer)
    print(record["report"])
    for phase in ("extract", "finetune"):
        rows = [r for r in record["history"] if r["phase"] == phase]
        print(f"{phase}: {len(rows)} epochs, best {record['best_epochs'][phase]}, trainable "
              f"{record['trainable'][phase]:,}, validation accuracy "
              f"{record['val_accuracy'][phase]:.3f}, learning rates {record['rates'][phase]}")
    try:
        from cnnlab.reports.history import plot_history

        plot_history(record["history"], out / "lecture_history.png")
    except ImportError:
        pass
    print(f"wrote {out / 'lecture_recipe.json'}, checkpoints {record['checkpoints']} "
          f"({record['seconds']:.0f} s)")
    return 0
