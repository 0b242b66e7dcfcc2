"""The transfer-learning demonstration as people read it: a text table and a PNG of the
learning curves.

They take the plain record (``to_json()``) of ``cnnlab.bench.jobs.transfer_demo``'s records and
recompute nothing; no deep-learning framework is imported.
"""

from __future__ import annotations

from pathlib import Path

from cnnlab.errors import UsageError

from .plots_metrics import _figure, _save

__all__ = ["STRATEGY_LABELS", "demo_table", "plot_learning_curves", "render_demo", "render_lecture"]

STRATEGY_LABELS = {
    "scratch": "from scratch",
    "extract": "feature extraction",
    "finetune": "fine-tuning",
}
_COLOURS = {"scratch": "tab:grey", "extract": "tab:blue", "finetune": "tab:orange"}


def _check(record: dict) -> None:
    missing = {"framework", "config", "summary", "curves"} - set(record)
    if missing:
        raise UsageError(f"not a transfer-demo record: missing {', '.join(sorted(missing))}")


def demo_table(record: dict) -> str:
    """Test accuracy per strategy: mean ± std over seeds, the seeds' values, epochs trained.

    Parameters
    ----------
    record : dict
        ``TransferDemoRecord.to_json()`` (or ``DemoResult.as_dict()``).
    """
    from tabulate import tabulate

    _check(record)
    rows = []
    for row in record["summary"]:
        rows.append((STRATEGY_LABELS.get(row["strategy"], row["strategy"]),
                     f"{row['mean']:.3f} ± {row['std']:.3f}",
                     " ".join(f"{a:.3f}" for a in row["accuracies"]),
                     f"{row['epochs']:.0f}"))
    config = record["config"]
    title = (f"{record['framework']}: {config['arch']} pretrained on digits 0-4, tested on 5-9 with "
             f"{config['labels_per_class']} labels per class, {config['seeds']} seeds")
    table = tabulate(rows, headers=("strategy", "test accuracy", "per seed", "epochs"),
                     disable_numparse=True, tablefmt="github")
    return f"{title}\n\n{table}"


def plot_learning_curves(record: dict, path: str | Path | None = None):
    """Validation loss and accuracy per epoch of every run (one line per strategy and seed), and
    the test accuracy of each strategy (mean ± std over seeds).

    Fine-tuning starts where its run's feature extraction stopped (the dot), so only its second
    phase is drawn, dashed, continuing the feature-extraction line.

    Returns
    -------
    matplotlib.figure.Figure
        Also written to ``path`` as PNG when given.
    """
    _check(record)
    figure = _figure(14, 4.2)
    loss_ax, accuracy_ax, bars_ax = figure.subplots(1, 3, width_ratios=(3, 3, 2))
    runs = {}
    for point in record["curves"]:
        runs.setdefault((point["strategy"], point["seed"]), []).append(point)
    labelled = set()
    for (strategy, _seed), points in runs.items():
        points = sorted(points, key=lambda p: p["step"])
        style = "-"
        if strategy == "finetune":
            first = next((i for i, p in enumerate(points) if p["phase"] == "finetune"), len(points))
            points, style = points[max(first - 1, 0):], "--"
        label = None if strategy in labelled else STRATEGY_LABELS.get(strategy, strategy)
        labelled.add(strategy)
        for ax, key in ((loss_ax, "val_loss"), (accuracy_ax, "val_accuracy")):
            ax.plot([p["step"] for p in points], [p[key] for p in points], style,
                    color=_COLOURS.get(strategy), alpha=0.75, linewidth=1.2, label=label)
            if strategy == "finetune" and points:
                ax.plot([points[0]["step"]], [points[0][key]], "o", markersize=3,
                        color=_COLOURS.get(strategy))
    for ax, name in ((loss_ax, "validation loss"), (accuracy_ax, "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    loss_ax.set_title("Learning curves (dot: last layers unfrozen)")
    accuracy_ax.legend(loc="lower right")
    summary = record["summary"]
    names = [STRATEGY_LABELS.get(r["strategy"], r["strategy"]) for r in summary]
    bars_ax.bar(range(len(summary)), [r["mean"] for r in summary], yerr=[r["std"] for r in summary],
                color=[_COLOURS.get(r["strategy"]) for r in summary], capsize=4)
    bars_ax.set_xticks(range(len(summary)), names, rotation=15)
    bars_ax.set_ylabel("test accuracy")
    bars_ax.set_ylim(0, 1)
    bars_ax.set_title(f"Held-out digits 5-9 ({record['config']['seeds']} seeds)")
    _save(figure, path)
    return figure


def render_demo(record: dict, *, out: str | Path, record_file: str | Path) -> str:
    """Draw ``out/learning_curves.png``; return the table and a line on pretraining and files."""
    plot = Path(out) / "learning_curves.png"
    plot_learning_curves(record, plot)
    return (f"{demo_table(record)}\n\npretraining: {record['pretrain']['epochs']} epochs, validation "
            f"accuracy {record['pretrain']['val_accuracy']:.3f}; whole run {record['seconds']:.0f} s; "
            f"wrote {record_file} and {plot}")


def _rate_steps(rates: list[float]) -> str:
    """``[1e-5, 1e-5, 1e-5, 2e-6]`` as ``1e-05 (epochs 1-3), 2e-06 (epoch 4)``: when it was reduced."""
    steps, start = [], 0
    for i in range(1, len(rates) + 1):
        if i == len(rates) or f"{rates[i]:.3g}" != f"{rates[start]:.3g}":
            span = f"epoch {start + 1}" if i == start + 1 else f"epochs {start + 1}-{i}"
            steps.append(f"{rates[start]:.3g} ({span})")
            start = i
    return ", ".join(steps) if len(steps) > 1 else (f"{rates[0]:.3g}" if rates else "-")


def render_lecture(record: dict, *, out: str | Path, record_file: str | Path) -> str:
    """Draw ``out/lecture_history.png`` (where matplotlib is there); return the report, a line
    per phase and a line naming the files."""
    lines = [record["report"]]
    for phase in ("extract", "finetune"):
        rows = [r for r in record["history"] if r["phase"] == phase]
        lines.append(f"{phase}: {len(rows)} epochs, best weights from epoch {record['best_epochs'][phase] + 1} "
                     f"(kept), trainable in the base {record['trainable'][phase]:,}, validation accuracy "
                     f"{record['val_accuracy'][phase]:.3f}, learning rate {_rate_steps(record['rates'][phase])}")
    try:
        from .history import plot_history

        plot_history(record["history"], Path(out) / "lecture_history.png")
    except ImportError:
        pass
    lines.append(f"wrote {record_file}, checkpoints {record['checkpoints']} "
                 f"({record['seconds']:.0f} s)")
    return "\n".join(lines)
