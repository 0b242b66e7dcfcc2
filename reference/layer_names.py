"""How a Keras layer is named after the torch module it is the twin of.

Every Keras layer with weights carries the dotted path of its torch module (``"features.0"``,
``"layer1.0.bn2"``), which is what porting and layer-by-layer comparison match on. One backend
forces an exception: Keras on the **torch** backend registers each Keras weight as a torch
parameter named after its layer, and torch refuses dots in parameter names. There the dots
become ``"__"``, a separator no torchvision module path contains, so the mapping stays
reversible. Only layers with weights need it; weightless layers keep their dots everywhere.
"""

from __future__ import annotations

__all__ = ["TORCH_BACKEND_SEPARATOR", "keras_layer_name", "torch_path"]

TORCH_BACKEND_SEPARATOR = "__"


def keras_layer_name(path: str) -> str:
    """The name of the Keras layer (with weights) that twins torch module ``path``.

    Parameters
    ----------
    path : str
        Dotted path of the torch module, as ``named_modules()`` gives it.

    Returns
    -------
    str
        ``path`` itself, or ``path`` with ``"."`` replaced by ``"__"`` when Keras runs on the
        torch backend.
    """
    import keras  # only Keras builders call this, so keras is already imported

    if keras.backend.backend() == "torch":
        return path.replace(".", TORCH_BACKEND_SEPARATOR)
    return path


def torch_path(keras_name: str) -> str:
    """The torch module path a Keras layer name stands for (the inverse of
    :func:`keras_layer_name` on every backend)."""
    return keras_name.replace(TORCH_BACKEND_SEPARATOR, ".")
