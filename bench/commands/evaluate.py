"""``cnnlab evaluate``: classification report, top-k accuracy, ROC AUC and plots from a CSV
(the job: :mod:`cnnlab.bench.jobs.evaluate`)."""

from __future__ import annotations

from pathlib import Path

NAME = "evaluate"
HELP = "classification report, top-k accuracy, ROC AUC and plots from a predictions CSV"


def configure(parser) -> None:
    parser.add_argument(
        "predictions",
        type=Path,
        metavar="PREDICTIONS.csv",
        help="columns y_true and y_pred, or y_true and one score column per class",
    )
    parser.add_argument(
        "--out",
        default=str(Path("out") / "evaluate"),
        metavar="DIR",
        help="folder for the plots and evaluation.json (default: out/evaluate)",
    )
    parser.add_argument(
        "--k",
        type=int,
        nargs="+",
        metavar="K",
        help="top-k accuracies to report (default: 1 and 5, those not above the classes)",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=2,
        metavar="N",
        help="decimal places in the classification report (default: 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the record as JSON")


def run(args) -> int:
    from cnnlab.bench.jobs import evaluate as job
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference._validation import check_int
    from cnnlab.reports.evaluation import render_evaluation

    check_int(args.digits, name="--digits", low=0, high=10)
    ks = None if args.k is None else [check_int(k, name="--k", low=1) for k in args.k]
    output_folder(args.out, create=False)  # before the work: an empty or file --out
    record = job.run(predictions=args.predictions, out=Path(args.out), ks=ks, digits=args.digits)
    print(render_evaluation(record.to_json(), digits=args.digits, as_json=args.json,
                            record_file=str(Path(args.out) / job.RECORD_FILE)))
    return 0
