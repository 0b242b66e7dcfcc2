"""``cnnlab explain``: where a trained network looks, drawn over the image as a PNG.

The weights file decides the framework unless ``--framework`` says it: a torch ``state_dict``
(``.pt``/``.pth``) or a Keras ``.weights.h5``. The image is read with Pillow, converted to the
architecture's channels, resized to its input size and scaled to [0, 1] (then standardised
with ``--mean``/``--std`` if given, as the network was trained). The explanation is enlarged to
the image's own size and written twice: ``<image>_<method>.png`` (the image beside it, with a
title and a colour bar) and ``<image>_<method>.npy`` (the numbers).

``cnnlab explain --make-example DIR`` writes the files of the documented example: LeNet-5
trained for seconds on scikit-learn's digits, and a held-out digit.
"""

from __future__ import annotations

from pathlib import Path

from cnnlab.errors import UsageError

NAME = "explain"
HELP = "draw where a network looks (CAM, Grad-CAM, guided backpropagation) over an image as PNG"

_TORCH_SUFFIXES = (".pt", ".pth")
_KERAS_SUFFIX = ".weights.h5"


def configure(parser) -> None:
    from cnnlab.reference.cam import METHODS  # numpy only

    parser.add_argument("arch", nargs="?",
                        help="architecture name, e.g. resnet18 (see cnnlab models)")
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="trained weights: torch state_dict (.pt/.pth) or Keras .weights.h5")
    parser.add_argument("--image", type=Path, nargs="+", metavar="IMG",
                        help="image file(s) to explain (PNG, JPEG, ...)")
    parser.add_argument("--make-example", type=Path, metavar="DIR",
                        help="instead: train LeNet-5 on the digits (seconds) and write "
                             "lenet_digits.pt (or .weights.h5 with --framework keras) and "
                             "digit.png into DIR, the files of the documented example")
    parser.add_argument("--method", choices=list(METHODS), default="gradcam",
                        help="explanation method (default: gradcam)")
    parser.add_argument("--framework", choices=("torch", "keras"),
                        help="framework of the weights (default: from the file name)")
    parser.add_argument("--layer", metavar="NAME",
                        help="layer to explain (default: the last spatial feature map)")
    parser.add_argument("--class-index", type=int, metavar="K",
                        help="class to explain (default: the predicted class)")
    parser.add_argument("--num-classes", type=int, metavar="N",
                        help="classes of the trained network (default: the architecture's)")
    parser.add_argument("--variant", default="default", help="architecture variant")
    parser.add_argument("--mean", type=float, nargs="+", metavar="M",
                        help="per-channel mean to subtract after scaling to [0, 1]")
    parser.add_argument("--std", type=float, nargs="+", metavar="S",
                        help="per-channel standard deviation to divide by")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the PNG and .npy files")


def _framework(weights: Path, requested: str | None) -> str:
    name = weights.name
    inferred = ("torch" if weights.suffix in _TORCH_SUFFIXES
                else "keras" if name.endswith(_KERAS_SUFFIX) else None)
    if requested and inferred and requested != inferred:
        raise UsageError(f"--framework {requested} does not match the weights file {name!r}, "
                         f"which holds {inferred} weights")
    framework = requested or inferred
    if framework is None:
        raise UsageError(f"cannot tell the framework of {name!r}: name it .pt/.pth (torch) or "
                         f"{_KERAS_SUFFIX} (Keras), or pass --framework")
    return framework


def _read_image(path: Path, *, channels: int, size: tuple[int, int]):
    """(original as (H, W, C) floats in [0, 1], resized network input as (h, w, C))."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            picture = opened.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"cannot read image {str(path)!r}: {exc}") from None
    resized = picture.resize((size[1], size[0]), Image.BILINEAR)
    as_array = [np.asarray(p, dtype=np.float32) / 255.0 for p in (picture, resized)]
    return tuple(a[..., None] if a.ndim == 2 else a for a in as_array)


def _normalisation(mean, std, channels: int):
    """``--mean`` and ``--std`` as arrays that broadcast over ``(H, W, C)``."""
    import numpy as np

    for name, values in (("--mean", mean), ("--std", std)):
        if values is not None and len(values) not in (1, channels):
            takes = "1 value" if channels == 1 else f"1 or {channels} values"
            raise UsageError(f"{name} takes {takes} for this architecture ({channels} input "
                             f"channel{'s' if channels > 1 else ''}), got {len(values)}")
    if std is not None and min(std) <= 0:
        raise UsageError("--std values must be positive")
    return (np.asarray(mean if mean is not None else [0.0], dtype=np.float32),
            np.asarray(std if std is not None else [1.0], dtype=np.float32))


def _load_model(args, spec, framework: str, num_classes: int):
    from cnnlab.reference import build
    from cnnlab.reference.weights import load_keras_weights, load_torch_state_dict

    model = build(args.arch, framework, num_classes, variant=args.variant)
    if framework == "torch":
        load_torch_state_dict(model, args.weights)
        return model.eval()
    load_keras_weights(model, args.weights)
    return model


def _logits(model, batch, framework: str):
    import numpy as np

    if framework == "torch":
        import torch

        with torch.no_grad():
            return model(torch.from_numpy(batch)).numpy()
    return np.asarray(model(batch, training=False))


_TITLES = {"cam": "CAM", "gradcam": "Grad-CAM", "guided": "guided backpropagation",
           "guided_gradcam": "guided Grad-CAM"}


def _make_example(args) -> int:
    from cnnlab.reference.cam.example import make_example

    given = [flag for flag, value in (("ARCH", args.arch), ("--weights", args.weights),
                                      ("--image", args.image), ("--out", args.out))
             if value is not None]
    if given:
        raise UsageError(f"--make-example DIR writes the example's files; it takes no "
                         f"{', '.join(given)}")
    made = make_example(args.make_example, framework=args.framework or "torch")
    print(f"wrote {made.weights} (LeNet-5, {made.epochs} epochs on scikit-learn's digits at "
          f"32x32: {made.accuracy:.1%} of {made.held_out} held-out digits right) and "
          f"{made.image} (a held-out 2)")
    print(f"next: cnnlab explain lenet5 --weights {made.weights} --image {made.image} "
          "--method gradcam --out out/explain")
    return 0


def run(args) -> int:
    if args.make_example is not None:
        return _make_example(args)
    missing = [flag for flag, value in (("ARCH", args.arch), ("--weights", args.weights),
                                        ("--image", args.image), ("--out", args.out))
               if value is None]
    if missing:
        raise UsageError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} needed "
                         "(or --make-example DIR for the example's files)")
    return _explain(args)


def _explain(args) -> int:
    import numpy as np

    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference.cam import at_size, explain, module_for
    from cnnlab.reference.catalog import get
    from cnnlab.reference.weights import existing_weights_file
    from cnnlab.reports.overlay import save_explanation

    from ._common import one_line

    spec = get(args.arch)
    spec.variant(args.variant)
    output_folder(args.out, create=False)
    framework = _framework(args.weights, args.framework)
    num_classes = args.num_classes or spec.num_classes
    if args.class_index is not None and not 0 <= args.class_index < num_classes:
        raise UsageError(f"--class-index {args.class_index} is out of range: {args.arch} has "
                         f"{num_classes} classes (0 to {num_classes - 1})")
    existing_weights_file(args.weights)  # fail before the (slow) model build
    for path in args.image:
        if not path.is_file():
            raise FileNotFoundError(f"image {str(path)!r} does not exist")
    if args.method == "guided" and args.layer:
        raise UsageError("--layer does not apply to --method guided (it explains the input)")
    mean, std = _normalisation(args.mean, args.std, spec.in_channels)
    try:
        model = _load_model(args, spec, framework, num_classes)
    except ValueError as exc:  # torch's message about a foreign file runs to several lines
        raise UsageError(one_line(exc)) from None
    args.out = output_folder(args.out)
    size = tuple(spec.input_size)
    for path in args.image:
        original, resized = _read_image(path, channels=spec.in_channels, size=size)
        image = (resized - mean) / std
        batch = image[None] if framework == "keras" else image.transpose(2, 0, 1)[None]
        scores = _logits(model, batch, framework)[0]
        k = int(scores.argmax()) if args.class_index is None else args.class_index
        layer = None
        if args.method != "guided":
            layer = args.layer or module_for(framework).feature_layers(model, batch)[-1]
        result = explain(model, batch, method=args.method, layer=layer, class_index=k)[0]
        heat = args.method in ("cam", "gradcam")
        # the network saw its input size; the map is drawn over the picture at the picture's size
        enlarged = at_size(result, original.shape[:2],
                           channels_first=framework == "torch" and not heat)
        stem = f"{path.stem}_{args.method}"
        np.save(args.out / f"{stem}.npy", enlarged)
        where = f", layer {layer}" if layer else ""
        title = f"{args.arch}: {_TITLES[args.method]} of class {k} (score {scores[k]:.4g}){where}"
        label = ("guided gradient x Grad-CAM (red +, blue -)"
                 if args.method == "guided_gradcam" else None)
        out = save_explanation(args.out / f"{stem}.png", original, enlarged,
                               kind="heatmap" if heat else "gradient", title=title, label=label)
        print(f"{out}: class {k} (score {scores[k]:.4g}){where}")
    return 0
