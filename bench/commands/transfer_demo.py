"""``cnnlab transfer-demo``: pretraining on digits 0-4 against training from scratch on 5-9."""

from __future__ import annotations

from pathlib import Path

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
    from cnnlab.bench.jobs import transfer_demo as job
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference import check_framework
    from cnnlab.reference.frameworks import require
    from cnnlab.reports.transfer import render_demo, render_lecture

    framework = check_framework(args.framework)
    output_folder(args.out, create=False)  # before the minutes of training
    require(framework)
    out = Path(args.out)
    if args.recipe == "lecture":
        record = job.run_lecture(framework=framework, out=out, max_epochs=args.epochs,
                                 pretrain_epochs=args.pretrain_epochs, quiet=args.quiet)
        print(render_lecture(record.to_json(), out=out, record_file=out / job.LECTURE_RECORD_FILE))
        return 0
    record = job.run(framework=framework, out=out, seeds=args.seeds, max_epochs=args.epochs,
                     pretrain_epochs=args.pretrain_epochs, labels_per_class=args.labels_per_class,
                     variation=args.variation, quiet=args.quiet)
    print(render_demo(record.to_json(), out=out, record_file=out / job.RECORD_FILE))
    return 0
