"""``plot_history``: loss and accuracy curves of any training history, in one PNG.

Reads a Keras ``History``, cnnlab's ``TransferHistory`` or records, or a list of per-epoch dicts
through :func:`cnnlab.reference.diagnostics.curves` (which imports no framework), and marks the
epoch of the lowest validation loss, with :func:`~cnnlab.reference.diagnostics.diagnose`'s label
in the title where both losses are there. Epochs are counted from 1; a history whose records name
their ``phase`` (feature extraction, then fine-tuning) shows where each phase starts.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_history"]


def _phase_starts(history) -> list[tuple[int, str]]:
    """(index of the first epoch, phase name) for each phase of a history whose records have one."""
    if hasattr(history, "as_records"):
        history = history.as_records()
    if not isinstance(history, (list, tuple)):
        return []
    phases = [(r if isinstance(r, dict) else vars(r)).get("phase") for r in history]
    return [(i, p) for i, p in enumerate(phases) if p is not None and (i == 0 or phases[i - 1] != p)]


def plot_history(history, path, *, title: str = "training history") -> Path:
    """Write the loss (left) and accuracy (right) curves of ``history`` to ``path`` (PNG).

    Parameters
    ----------
    history : keras History, TransferHistory, dict of lists or list of dicts
    path : str or Path
    title : str, default="training history"

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from cnnlab.reference.diagnostics import curves, diagnose

    c = curves(history)
    label = ""
    if "train_loss" in c and "val_loss" in c and len(c["val_loss"]) >= 3:
        label = f" ({diagnose(c).label})"
    has_acc = "train_accuracy" in c or "val_accuracy" in c
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4),
                             squeeze=False)
    panels = [("loss", "train_loss", "val_loss")]
    if has_acc:
        panels.append(("accuracy", "train_accuracy", "val_accuracy"))
    phases = _phase_starts(history)
    for ax, (what, train_key, val_key) in zip(axes[0], panels, strict=True):
        for key, style, name in ((train_key, "-o", "training"), (val_key, "-s", "validation")):
            if key in c:
                ax.plot(range(1, len(c[key]) + 1), c[key], style, markersize=3, label=name)
        if "val_loss" in c:
            best = min(range(len(c["val_loss"])), key=c["val_loss"].__getitem__) + 1
            ax.axvline(best, color="grey", linestyle=":", label=f"lowest val loss (epoch {best})")
        if len(phases) > 1:
            for start, name in phases:
                if start:
                    ax.axvline(start + 0.5, color="black", linewidth=0.8, alpha=0.5)
                ax.text(start + 0.6, 1.01, name, transform=ax.get_xaxis_transform(), fontsize=8,
                        va="bottom", color="dimgrey")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title + label)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
