"""Write ``reference/fixtures/transfer/freezing_patterns.json``: trainable parameter counts of the
canonical models (keras.applications and torchvision, ``weights=None``) after each freezing
pattern, counted here with the frameworks' own switches, not with ``cnnlab.reference.transfer``.

A *layer* is a unit that carries weights or pools (see ``cnnlab.reference.transfer.selection``): a Keras
layer with weights or a pooling layer; a torch module that owns parameters or buffers, or a
pooling module. "last N" freezes everything, then makes the last N layers trainable. For
keras.applications' VGG16 this is the lecture's ``for layer in base.layers[:-4]: layer.trainable =
False``, checked below.

Run from the repository root: ``python scripts/make_transfer_fixtures.py``. It builds the models
at 32x32 (parameter counts do not depend on the input size) and takes about a minute.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import nn

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
import keras

OUT = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "transfer" / "freezing_patterns.json"
KERAS_POOLS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
               keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)
TORCH_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
LAST = (0, 1, 4, 10)


def keras_units(model):
    return [layer for layer in model.layers if layer.weights or isinstance(layer, KERAS_POOLS)]


def keras_trainable(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def keras_patterns(model, block):
    units = keras_units(model)
    rows = [{"pattern": "none", "trainable": keras_trainable(model)}]
    for layer in model.layers:
        layer.trainable = False
    rows.append({"pattern": "freeze", "trainable": keras_trainable(model)})
    for n in LAST + (len(units),):
        for layer in model.layers:
            layer.trainable = False
        for layer in units[len(units) - n:]:
            layer.trainable = True
        rows.append({"pattern": "last", "n": n, "trainable": keras_trainable(model)})
    start = next(i for i, layer in enumerate(units) if layer.name.startswith(block))
    for layer in model.layers:
        layer.trainable = False
    for layer in units[start:]:
        layer.trainable = True
    rows.append({"pattern": "from_layer", "name": block, "trainable": keras_trainable(model)})
    return units, rows


def torch_units(model):
    return [(name, m) for name, m in model.named_modules()
            if next(m.parameters(recurse=False), None) is not None
            or next(m.buffers(recurse=False), None) is not None or isinstance(m, TORCH_POOLS)]


def torch_trainable(model):
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def torch_patterns(model, block):
    units = torch_units(model)
    rows = [{"pattern": "none", "trainable": torch_trainable(model)}]
    model.requires_grad_(False)
    rows.append({"pattern": "freeze", "trainable": torch_trainable(model)})
    for n in LAST + (len(units),):
        model.requires_grad_(False)
        for _, module in units[len(units) - n:]:
            module.requires_grad_(True)
        rows.append({"pattern": "last", "n": n, "trainable": torch_trainable(model)})
    model.requires_grad_(False)
    start = next(i for i, (name, _) in enumerate(units) if name == block or name.startswith(block + "."))
    for _, module in units[start:]:
        module.requires_grad_(True)
    rows.append({"pattern": "from_layer", "name": block, "trainable": torch_trainable(model)})
    return [name for name, _ in units], rows


def case(name, framework, source, total, units, rows):
    return {"model": name, "framework": framework, "source": source, "total": total,
            "layers": len(units), "last_layers": units[-4:], "patterns": rows}


def main() -> int:
    cases = []
    keras.utils.set_random_seed(0)
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    # the lecture's recipe on keras.applications' own layer list
    for layer in vgg.layers[:-4]:
        layer.trainable = False
    lecture = keras_trainable(vgg)
    for layer in vgg.layers:  # one by one: Keras 3.15 on TensorFlow does not always cascade a
        layer.trainable = True  # model's flag to its layers
    total = int(vgg.count_params())
    units, rows = keras_patterns(vgg, "block5")
    assert lecture == next(r["trainable"] for r in rows if r.get("n") == 4) == 7_079_424
    cases.append(case("vgg16_notop", "keras", "keras.applications.VGG16(include_top=False)", total,
                      [u.name for u in units], rows))
    resnet = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    total = int(resnet.count_params())
    units, rows = keras_patterns(resnet, "conv5")
    cases.append(case("resnet50_notop", "keras", "keras.applications.ResNet50(include_top=False)",
                      total, [u.name for u in units], rows))
    with torch.device("meta"):
        features = torchvision.models.vgg16().features
        resnet = torchvision.models.resnet50()
    base = nn.Sequential(*list(resnet.children())[:-2])  # up to layer4, as include_top=False
    total = sum(p.numel() for p in features.parameters())
    names, rows = torch_patterns(features, "24")
    cases.append(case("vgg16_features", "torch", "torchvision.models.vgg16().features", total,
                      [f"features.{n}" for n in names], rows))
    total = sum(p.numel() for p in base.parameters())
    names, rows = torch_patterns(base, "7")
    children = [n for n, _ in resnet.named_children()]
    names = [children[int(n.split(".")[0])] + n[len(n.split(".")[0]):] for n in names]
    for row in rows:
        if row["pattern"] == "from_layer":
            row["name"] = "layer4"
    cases.append(case("resnet50_base", "torch", "torchvision.models.resnet50() without avgpool and fc",
                      total, names, rows))
    for row in cases[2]["patterns"]:
        if row["pattern"] == "from_layer":
            row["name"] = "features.24"
    payload = {
        "about": ("Trainable parameters after freezing patterns. A layer is a unit that carries "
                  "weights or pools (Keras: a layer with weights or a pooling layer; torch: a module "
                  "owning parameters or buffers, or a pooling module). 'freeze' freezes every "
                  "weight; 'last' freezes everything, then makes the last n layers trainable; "
                  "'from_layer' the named layer (or block) and all after it. Keras totals count "
                  "BatchNorm moving statistics, which are never trainable."),
        "versions": {"keras": keras.__version__, "torch": torch.__version__.split("+")[0],
                     "torchvision": torchvision.__version__.split("+")[0]},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    for c in cases:
        print(c["model"], c["framework"], c["total"], [(r["pattern"], r.get("n", r.get("name", "")), r["trainable"]) for r in c["patterns"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
