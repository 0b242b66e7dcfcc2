"""Pictures and tables of a GAN run: sample grids, loss curves, the quality table by epoch.

Everything here takes plain numbers and numpy arrays (``gan_demo.json`` and NHWC images in
[-1, 1]); no framework is imported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tile(images, *, columns: int = 8, gap: int = 1) -> np.ndarray:
    """NHWC images in [-1, 1] (1 or 3 channels) tiled into one ``(H, W)`` or ``(H, W, 3)`` array
    in [0, 1], ``columns`` per row, separated by ``gap`` pixels (white as :func:`save_grid` draws
    them)."""
    images = np.clip((np.asarray(images, np.float32) + 1.0) / 2.0, 0.0, 1.0)
    n, h, w, c = images.shape
    rows = -(-n // columns)
    # white gaps: 0 in a grey image drawn with gray_r (ink dark), 1 in a colour image
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, c), 0.0 if c == 1 else 1.0,
                     np.float32)
    for i, img in enumerate(images):
        r, col = divmod(i, columns)
        canvas[r * (h + gap):r * (h + gap) + h, col * (w + gap):col * (w + gap) + w] = img
    return canvas[..., 0] if c == 1 else canvas


def save_grid(images, path, *, title: str | None = None, columns: int = 8) -> Path:
    """Write a grid of NHWC images in [-1, 1] as a PNG (grey for one channel)."""
    plt = _pyplot()
    canvas = tile(images, columns=columns)
    fig, ax = plt.subplots(figsize=(4, 4 * canvas.shape[0] / canvas.shape[1] + (0.3 if title else 0)))
    # grey digits as ink on paper: gray_r draws 1 (ink) black and 0 (background) white
    ax.imshow(canvas, cmap="gray_r" if canvas.ndim == 2 else None, vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout(pad=0.2)
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_losses(losses: dict, path, *, title: str = "GAN losses", smooth: int = 20) -> Path:
    """Discriminator and generator loss per step (thin) and their running means (thick)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    steps = np.asarray(losses["step"])
    for key, label, colour in (("d_loss", "discriminator", "tab:blue"),
                               ("g_loss", "generator (non-saturating)", "tab:orange")):
        values = np.asarray(losses[key], np.float64)
        if not len(values):
            continue
        ax.plot(steps, values, color=colour, alpha=0.25, lw=0.8)
        if len(values) >= smooth:
            mean = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
            ax.plot(steps[smooth - 1:], mean, color=colour, lw=1.8, label=label)
        else:
            ax.plot(steps, values, color=colour, lw=1.8, label=label)
    ax.axhline(2 * np.log(2), color="grey", ls=":", lw=1, label="D loss at D(x) = D(G(z)) = 0.5")
    ax.set_xlabel("alternating step")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def quality_table(record: dict) -> str:
    """The quality table of ``gan_demo.json``: coverage and Frechet distance by epoch, with the
    untrained generator (epoch 0) and the real-vs-real floor."""
    from tabulate import tabulate

    floor = record["floor"]
    rows = [["real digits (floor)", floor["classes_covered"], f"{floor['entropy']:.3f}",
             f"{floor['frechet']:.2f}", "1.0", "", ""]]
    for row in record["rows"]:
        label = "untrained (epoch 0)" if row["epoch"] == 0 else f"epoch {row['epoch']}"
        ratio = row["frechet"] / floor["frechet"] if floor["frechet"] else float("inf")
        rows.append([label, row["classes_covered"], f"{row['entropy']:.3f}", f"{row['frechet']:.2f}",
                     f"{ratio:.1f}", "" if row["d_loss"] is None else f"{row['d_loss']:.3f}",
                     "" if row["g_loss"] is None else f"{row['g_loss']:.3f}"])
    return tabulate(rows, headers=["samples", "classes (of 10)", "entropy (max 2.303)",
                                   "Frechet distance", "x floor", "D loss", "G loss"],
                    tablefmt="github")
