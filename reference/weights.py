"""Pretrained weights from local files only: the caches where torchvision and Keras keep them, or
a file given by path. Nothing is downloaded; a missing file is an error that names the file, the
folder it belongs in and where it comes from.

* torch: ``$TORCH_HOME/hub/checkpoints/<file>`` (``TORCH_HOME`` defaults to
  ``$XDG_CACHE_HOME/torch``, that to ``~/.cache/torch``), the file names of torchvision's weight
  enums (``torchvision.models.ResNet50_Weights.IMAGENET1K_V1.url`` ends in
  ``resnet50-0676ba61.pth``). cnnlab's torch modules carry torchvision's names, so the checkpoint
  loads key for key; keys the model lacks (the classifier of a base built with
  ``include_top=False``, GoogLeNet's auxiliary heads) are left out and reported.
* Keras: ``$KERAS_HOME/models/<file>`` (``KERAS_HOME`` defaults to ``~/.keras``), the files of
  ``keras.applications``. cnnlab's Keras layers are named after their torch twins
  (``features.0``) where keras.applications says ``block1_conv1``, so a file is read layer by
  layer through a name map, which exists for VGG16 and VGG19, the architectures cnnlab's Keras
  twins share weight for weight with keras.applications. A cnnlab ``.weights.h5`` file (written by
  ``model.save_weights``, or converted from a torch checkpoint by ``cnnlab.reference.porting``) loads for
  any architecture.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cnnlab.errors import UsageError

from .catalog import get
from .catalog.vgg import vgg_layers
from .frameworks import check_framework
from .layer_names import torch_path

__all__ = [
    "TORCHVISION_FILES",
    "KERAS_APPLICATIONS_FILES",
    "torch_checkpoint_dir",
    "keras_models_dir",
    "weights_file",
    "find_weights",
    "keras_applications_names",
    "existing_weights_file",
    "load_torch_state_dict",
    "load_keras_weights",
    "load_weights",
]

_TORCH_URL = "https://download.pytorch.org/models/"
#: torchvision's IMAGENET1K_V1 checkpoint of each architecture, by file name.
TORCHVISION_FILES = {
    "alexnet_tv": "alexnet-owt-7be5be79.pth",
    "vgg11": "vgg11-8a719046.pth",
    "vgg11_bn": "vgg11_bn-6002323d.pth",
    "vgg13": "vgg13-19584684.pth",
    "vgg13_bn": "vgg13_bn-abd245e5.pth",
    "vgg16": "vgg16-397923af.pth",
    "vgg16_bn": "vgg16_bn-6c64b313.pth",
    "vgg19": "vgg19-dcbb9e9d.pth",
    "vgg19_bn": "vgg19_bn-c79401a0.pth",
    "resnet18": "resnet18-f37072fd.pth",
    "resnet34": "resnet34-b627a593.pth",
    "resnet50": "resnet50-0676ba61.pth",
    "resnet101": "resnet101-63fe2227.pth",
    "resnet152": "resnet152-394f9c45.pth",
    "googlenet": "googlenet-1378be20.pth",
    "inception_v3": "inception_v3_google-0cc3c7bd.pth",
    "densenet121": "densenet121-a639ec97.pth",
    "densenet169": "densenet169-b2777c0a.pth",
    "densenet201": "densenet201-c1103571.pth",
    "mobilenet_v2": "mobilenet_v2-b0353104.pth",
}
_KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
#: keras.applications' ImageNet files that load into cnnlab's Keras twins: (with top, without).
KERAS_APPLICATIONS_FILES = {
    "vgg16": ("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
              "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "vgg19": ("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
              "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
}
# torchvision's DenseNet checkpoints predate its module names: "denselayer1.norm.1.weight" is
# "denselayer1.norm1.weight" today (torchvision renames the keys the same way when it loads them).
_DENSENET_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\.(.+)$")


def torch_checkpoint_dir() -> Path:
    """Where torchvision keeps downloaded checkpoints: ``$TORCH_HOME/hub/checkpoints``."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "torch"
    return Path(os.environ.get("TORCH_HOME", default)).expanduser() / "hub" / "checkpoints"


def keras_models_dir() -> Path:
    """Where Keras keeps downloaded application weights: ``$KERAS_HOME/models``."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"]).expanduser() / "models"
    home = Path.home()
    base = home if os.access(home, os.W_OK) else Path("/tmp")  # Keras' own fallback
    return base / ".keras" / "models"


def weights_file(arch: str, framework: str, *, include_top: bool = True) -> Path:
    """The path the ImageNet weights of ``arch`` must have in the framework's cache.

    Raises
    ------
    ValueError
        For an unknown architecture or framework, or one without published weights (the
        message lists those that have them).
    """
    get(arch)
    check_framework(framework)
    if framework == "torch":
        if arch not in TORCHVISION_FILES:
            raise UsageError(f"torchvision publishes no ImageNet weights for {arch!r}; "
                             f"architectures with weights: {', '.join(TORCHVISION_FILES)}")
        return torch_checkpoint_dir() / TORCHVISION_FILES[arch]
    if arch not in KERAS_APPLICATIONS_FILES:
        raise UsageError(
            f"no keras.applications weights map onto cnnlab's Keras {arch!r}; mapped: "
            f"{', '.join(KERAS_APPLICATIONS_FILES)}. For another architecture, convert the "
            "torchvision checkpoint with reference.porting.convert_checkpoint and pass its path")
    top, notop = KERAS_APPLICATIONS_FILES[arch]
    return keras_models_dir() / (top if include_top else notop)


def _origin(arch: str, framework: str, name: str) -> str:
    if framework == "torch":
        return _TORCH_URL + name
    return f"{_KERAS_URL}{arch}/{name}"


def find_weights(arch: str, framework: str, *, weights="imagenet", include_top: bool = True) -> Path:
    """The local file to load: the cached ImageNet weights, or the path given.

    Parameters
    ----------
    arch : str
    framework : {"torch", "keras"}
    weights : "imagenet" or path
    include_top : bool, default=True
        Keras keeps separate files with and without the classifier.

    Returns
    -------
    Path
        An existing file.

    Raises
    ------
    FileNotFoundError
        Naming the file, the folder it belongs in and its origin (nothing is downloaded).
    """
    if weights == "imagenet":
        path = weights_file(arch, framework, include_top=include_top)
        if not path.is_file():
            raise FileNotFoundError(
                f"ImageNet weights for {arch} ({framework}) not found: expected the file "
                f"{path.name} in {path.parent} (download it from "
                f"{_origin(arch, framework, path.name)} and put it there, or pass its path as "
                "weights=...)")
        return path
    if not isinstance(weights, (str, os.PathLike)):
        raise UsageError(f"weights must be 'imagenet' or a path, got {weights!r}")
    return existing_weights_file(weights)


def existing_weights_file(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path``, if it names a file; the one check of every weight-file reader.

    Raises
    ------
    FileNotFoundError
        Naming the file and the folder it must be in.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"weights file {str(path)!r} does not exist: no {path.name} in "
            f"{path.absolute().parent}; put the file there or pass the path of an existing one"
        )
    return path


def keras_applications_names(arch: str, *, include_top: bool = True) -> dict[str, str]:
    """keras.applications layer name -> cnnlab Keras layer name, for ``vgg16`` and ``vgg19``.

    In cnnlab's VGG a convolution and its ReLU take two indices of ``features``, a pooling one;
    keras.applications counts blocks and convolutions within them (``block3_conv2``). The
    dense layers fc1, fc2 and predictions are ``classifier.0``, ``.3`` and ``.6``.
    """
    if arch not in KERAS_APPLICATIONS_FILES:
        raise UsageError(f"no keras.applications name map for {arch!r}; mapped: "
                         f"{', '.join(KERAS_APPLICATIONS_FILES)}")
    names, index, block, conv = {}, 0, 1, 1
    for filters, *_ in vgg_layers(get(arch).kwargs["cfg"]):
        if filters == "M":
            names[f"block{block}_pool"] = f"features.{index}"
            index, block, conv = index + 1, block + 1, 1
        else:
            names[f"block{block}_conv{conv}"] = f"features.{index}"
            index, conv = index + 2, conv + 1
    if include_top:
        names.update({"fc1": "classifier.0", "fc2": "classifier.3", "predictions": "classifier.6"})
    return names


def _fix_densenet_keys(state: dict) -> dict:
    fixed = {}
    for key, value in state.items():
        match = _DENSENET_OLD_KEY.match(key)
        fixed[f"{match[1]}{match[2]}.{match[3]}" if match else key] = value
    return fixed


def read_torch_state_dict(path: str | os.PathLike) -> dict:
    """Read a torch ``state_dict`` file: the one torch weight-file reader.

    Parameters
    ----------
    path : str or path-like
        A file written by ``torch.save(model.state_dict(), path)``, or a checkpoint dict with a
        ``"state_dict"`` entry. torchvision's old DenseNet key names are renamed.

    Returns
    -------
    dict
        Parameter name -> tensor.

    Raises
    ------
    FileNotFoundError
        For a missing file (:func:`existing_weights_file`).
    UsageError
        For a file torch cannot read, or one that holds something else than a state_dict.
    """
    import torch

    path = existing_weights_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file: say which file
        raise UsageError(f"{str(path)!r} is not a readable torch state_dict: {exc}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise UsageError(f"{str(path)!r} holds a {type(state).__name__}, not a state_dict")
    return _fix_densenet_keys(state)


def load_torch_state_dict(model, path: str | os.PathLike, *, strict: bool = True,
                          state: dict | None = None) -> list[str]:
    """Load a torch ``state_dict`` file (:func:`read_torch_state_dict`) into ``model``.

    Parameters
    ----------
    model : torch.nn.Module
    path : str or path-like
        The file; only named in messages where ``state`` is given.
    strict : bool, default=True
        With False, weights of the file that the model has no place for (the classifier of a
        base built with ``include_top=False``) are left out and returned instead of refused.
    state : dict, optional
        The file's contents, already read (a caller that reads before it builds the model).

    Returns
    -------
    list of str
        The keys left out, sorted (empty when ``strict``).

    Raises
    ------
    FileNotFoundError
        For a missing file (:func:`existing_weights_file`).
    UsageError
        For a file torch cannot read, or one whose keys or shapes do not fit ``model``; the
        message counts each kind of mismatch and names the first.
    """
    if state is None:
        state = read_torch_state_dict(path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unused = sorted(k for k in state if k not in own)
    wrong = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    problems = [
        f"{what} {len(keys)} (first: {keys[0]})"
        for what, keys in (
            ("missing", missing),
            ("unexpected", unused if strict else []),
            ("wrong shape", wrong),
        )
        if keys
    ]
    if problems:
        raise UsageError(f"{str(path)!r} does not fit this model: " + "; ".join(problems))
    model.load_state_dict({k: state[k] for k in own}, strict=True)
    return [] if strict else unused


def check_keras_weights_file(path: str | os.PathLike) -> Path:
    """The path of a Keras ``.weights.h5`` file that exists and is HDF5 (checked before a model
    is built to receive it).

    Raises
    ------
    FileNotFoundError
        For a missing file.
    UsageError
        For a file that is not HDF5.
    """
    import h5py

    path = existing_weights_file(path)
    if not h5py.is_hdf5(path):
        raise UsageError(f"{str(path)!r} is not a readable Keras weights file (not HDF5)")
    return path


def load_keras_weights(model, path: str | os.PathLike) -> None:
    """Load a Keras ``.weights.h5`` file into ``model``, the one Keras weight-file reader.

    Raises
    ------
    FileNotFoundError
        For a missing file (:func:`existing_weights_file`).
    UsageError
        For a file that is not HDF5, or whose layers do not fit ``model``.
    """
    path = check_keras_weights_file(path)
    try:
        model.load_weights(str(path))
    except Exception as exc:  # noqa: BLE001 - Keras raises several kinds for a foreign file
        raise UsageError(
            f"{str(path)!r} does not fit the Keras model {model.name!r}: {exc}"
        ) from None


def _legacy_h5_layers(path: Path) -> dict:
    """{layer name: [arrays]} of a Keras 2 style ``.h5`` weight file (keras.applications')."""
    import h5py
    import numpy as np

    def text(value):
        return value.decode("utf8") if isinstance(value, bytes) else str(value)

    try:
        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "model_weights" in f else f
            layers = {}
            for layer in (text(n) for n in group.attrs["layer_names"]):
                names = [text(n) for n in group[layer].attrs["weight_names"]]
                if names:
                    layers[layer] = [np.asarray(group[layer][n]) for n in names]
            return layers
    except (OSError, KeyError) as exc:
        raise UsageError(f"{str(path)!r} is not a readable Keras weights file: {exc}") from None


def _load_keras_applications(model, arch: str, path: Path) -> list[str]:
    stored = _legacy_h5_layers(path)
    top = "fc1" in stored
    names = keras_applications_names(arch, include_top=top)
    ours = {torch_path(layer.name): layer for layer in model.layers if layer.weights}
    unknown = sorted(set(stored) - set(names))
    if unknown:
        raise UsageError(
            f"{str(path)!r} has layers keras.applications' {arch} does not: {unknown[:3]}"
        )
    wanted = {names[k]: k for k in stored}
    missing = sorted(set(ours) - set(wanted))
    if missing:
        hint = " (the file has no classifier: build the model with include_top=False)" \
            if not top and any(m.startswith("classifier") for m in missing) else ""
        raise UsageError(f"{str(path)!r} has no weights for layer(s) {missing[:3]}{hint}")
    extra = sorted(k for k, v in wanted.items() if k not in ours)
    for name, layer in ours.items():
        arrays = stored[wanted[name]]
        shapes = [tuple(w.shape) for w in layer.weights]
        if [tuple(a.shape) for a in arrays] != shapes:
            raise UsageError(f"{str(path)!r}: {wanted[name]} holds {[a.shape for a in arrays]}, "
                             f"layer {name} needs {shapes}")
        layer.set_weights(arrays)
    return [wanted[e] for e in extra]


def load_weights(model, arch: str, *, weights="imagenet") -> list[str]:
    """Load pretrained weights into a model built by ``cnnlab.reference.build``.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
        Built with ``cnnlab.reference.build(arch, ...)``, with or without its top.
    arch : str
        The architecture it was built as (it names the cached file).
    weights : "imagenet" or path, default="imagenet"
        ``"imagenet"`` reads the framework's cache (see the module docstring); a path reads
        that file: a torch state_dict (``.pt``/``.pth``), a cnnlab ``.weights.h5`` or a
        keras.applications ``.h5``.

    Returns
    -------
    list of str
        Weights in the file that the model has no place for (a classifier left out), sorted.

    Raises
    ------
    FileNotFoundError
        For a missing file, naming it and its folder.
    ValueError
        For a file that does not fit the model (the message names the first mismatch).
    """
    from .frameworks import framework_of

    framework = framework_of(model)
    include_top = True
    if framework == "keras":
        include_top = any(layer.name.startswith("classifier") for layer in model.layers)
    path = find_weights(arch, framework, weights=weights, include_top=include_top)
    if framework == "torch":
        return load_torch_state_dict(model, path, strict=False)
    if path.name.endswith(".weights.h5"):
        load_keras_weights(model, path)
        return []
    return _load_keras_applications(model, arch, path)
