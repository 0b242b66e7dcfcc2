"""Heat maps laid over images, and gradient images, as PNG files.

The arrays come from :mod:`cnnlab.reference.cam` (heat maps in [0, 1], input gradients); this module
only colours, blends and writes them, with matplotlib's object API on an Agg canvas (headless,
pyplot's global state untouched). No deep-learning framework is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

__all__ = [
    "as_rgb",
    "overlay",
    "gradient_image",
    "save_png",
    "save_panel",
    "explanation_figure",
    "save_explanation",
]


def as_rgb(image) -> np.ndarray:
    """An image as ``(H, W, 3)`` floats in [0, 1].

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, 1) or (H, W, 3)
        ``uint8`` values are divided by 255; floats are clipped to [0, 1].
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise UsageError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _resized(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if heatmap.shape == size:
        return heatmap
    from PIL import Image

    picture = Image.fromarray(heatmap.astype(np.float32))  # mode "F": 32-bit floats
    return np.asarray(picture.resize((size[1], size[0]), Image.BILINEAR))


def overlay(image, heatmap, *, alpha: float = 0.45, cmap: str = "jet") -> np.ndarray:
    """Blend a coloured heat map over an image.

    Parameters
    ----------
    image : array-like
        See :func:`as_rgb`.
    heatmap : array-like of shape (h, w)
        Values in [0, 1]; resized (bilinear) to the image if its size differs.
    alpha : float, default=0.45
        Weight of the heat map's colours.
    cmap : str, default="jet"
        A matplotlib colour map name.

    Returns
    -------
    ndarray of shape (H, W, 3), floats in [0, 1]
    """
    from matplotlib import colormaps

    rgb = as_rgb(image)
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.ndim != 2:
        raise UsageError(f"heatmap must be (H, W), got shape {heat.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise UsageError(f"alpha must be in [0, 1], got {alpha!r}")
    if cmap not in colormaps:
        raise UsageError(f"unknown colour map {cmap!r}; for example 'jet', 'viridis', 'inferno'")
    heat = np.clip(_resized(heat, rgb.shape[:2]), 0.0, 1.0)
    colours = colormaps[cmap](heat)[..., :3]
    return (1 - alpha) * rgb + alpha * colours


def gradient_image(gradient) -> np.ndarray:
    """Make an input gradient (guided backpropagation) viewable: centre, scale, clip to [0, 1].

    Each image is standardised, shrunk to a tenth and moved to 0.5, so that zero gradient is
    mid-grey and a gradient of three standard deviations nearly saturates.

    Parameters
    ----------
    gradient : array-like of shape (H, W) or (H, W, C)

    Returns
    -------
    ndarray of the same shape, floats in [0, 1]
    """
    g = np.asarray(gradient, dtype=np.float64)
    if g.ndim not in (2, 3):
        raise UsageError(f"gradient must be (H, W) or (H, W, C), got shape {g.shape}")
    g = (g - g.mean()) / (g.std() + 1e-12)
    return np.clip(0.5 + 0.15 * g, 0.0, 1.0).astype(np.float32)


def save_png(path: str | Path, image) -> Path:
    """Write an ``(H, W, 3)`` or ``(H, W)`` image in [0, 1] as a PNG at its own resolution."""
    from matplotlib.image import imsave

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.asarray(image)
    imsave(path, as_rgb(array), format="png")
    return path


def save_panel(path: str | Path, panels: Sequence[tuple[str, np.ndarray]], *,
               columns: int | None = None, title: str | None = None,
               cell_inches: float = 1.8) -> Path:
    """Write several labelled images side by side (a row per ``columns`` images) as one PNG.

    Parameters
    ----------
    path : str or Path
    panels : sequence of (str, array)
        Caption and ``(H, W)`` / ``(H, W, 3)`` image in [0, 1] for each cell.
    columns : int, optional
        Cells per row; all in one row by default.
    title : str, optional
    cell_inches : float, default=1.8
        Side of one cell.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not panels:
        raise UsageError("panels must hold at least one (caption, image) pair")
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(columns * cell_inches, rows * cell_inches + (0.4 if title else 0)),
                    dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, (caption, image) in zip(axes, panels, strict=False):  # extra axes stay blank
        ax.imshow(as_rgb(image), interpolation="nearest")
        ax.set_title(caption, fontsize=9)
    if title:
        figure.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


_PANEL_INCHES = 3.2  # the smallest side of a panel; larger pictures get a panel at their size
_DPI = 100


def explanation_figure(image, explanation, *, kind: str, title: str, cmap: str = "jet",
                       label: str | None = None):
    """The picture beside its explanation, with a title and, where values have a scale, a colour bar.

    Parameters
    ----------
    image : array-like
        The picture explained; see :func:`as_rgb`.
    explanation : ndarray
        ``kind="heatmap"``: an ``(H, W)`` map in [0, 1], drawn over the picture with a colour
        bar from 0 to 1. ``kind="gradient"``: an ``(H, W)`` or ``(H, W, 1)`` input gradient,
        drawn in a diverging colour map centred on 0 with a colour bar in gradient units, or an
        ``(H, W, 3)`` one drawn as colours (:func:`gradient_image`), which no bar can describe.
    title : str
    cmap : str, default="jet"
        The heat map's colour map.
    label : str, optional
        The colour bar's label (by default it says what ``kind`` draws).

    Returns
    -------
    matplotlib.figure.Figure
        Each panel at least as many pixels as the picture (at 100 dpi), so a map is never
        shown smaller than the picture it explains.
    """
    from matplotlib import cm, colors
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if kind not in ("heatmap", "gradient"):
        raise UsageError(f"kind must be one of 'heatmap', 'gradient'; got {kind!r}")
    rgb = as_rgb(image)
    height, width = rgb.shape[:2]
    values = np.asarray(explanation, dtype=np.float64)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.shape[:2] != (height, width):
        raise UsageError(
            f"explanation is {values.shape[:2]} but the image is {(height, width)}; "
            "resize it to the image first (cnnlab.reference.cam.at_size)"
        )
    side = max(_PANEL_INCHES, 1.15 * max(height, width) / _DPI)
    panel_w, panel_h = side * width / max(height, width), side * height / max(height, width)
    figure = Figure(figsize=(2 * panel_w + 1.3, panel_h + 0.9), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    left.imshow(rgb, interpolation="nearest")
    left.set_title(f"input ({width}x{height})", fontsize=10)
    mappable = None
    if kind == "heatmap":
        if values.ndim != 2:
            raise UsageError(f"a heat map must be (H, W), got shape {values.shape}")
        right.imshow(overlay(rgb, values, cmap=cmap), interpolation="nearest")
        mappable = cm.ScalarMappable(colors.Normalize(0, 1), cmap)
        label = label or "importance (0 to 1)"
        right.set_title("heat map over the input", fontsize=10)
    elif values.ndim == 2:
        peak = float(np.abs(values).max()) or 1.0
        mappable = right.imshow(values, cmap="RdBu_r", vmin=-peak, vmax=peak,
                                interpolation="nearest")
        label = label or "input gradient (red +, blue -)"
        right.set_title("input gradient", fontsize=10)
    else:
        right.imshow(gradient_image(values), interpolation="nearest")
        right.set_title("input gradient", fontsize=10)
        right.set_xlabel("per colour channel; grey = 0", fontsize=9)
    if mappable is not None:
        figure.colorbar(mappable, ax=right, fraction=0.05, pad=0.03, label=label)
    figure.suptitle(title, fontsize=11)
    return figure


def save_explanation(path: str | Path, image, explanation, *, kind: str, title: str,
                     cmap: str = "jet", label: str | None = None) -> Path:
    """Write :func:`explanation_figure` as a PNG and return its path."""
    figure = explanation_figure(image, explanation, kind=kind, title=title, cmap=cmap,
                                label=label)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
