"""cnnlab's worker-side harness of the transfer assignment (``[sandbox] helpers``).

The tests cannot send a model into the sandbox the student's code runs in, only numbers and
arrays. So this module builds the models there, calls the student's ``transfer_torch`` and
``transfer_keras`` functions on them, and returns what the tests compare: parameter counts,
weights before and after a training step, output shapes. The grader ships it next to the
submission, ahead of it on the import path, so a submitted file of the same name is never run.
Students can call it to see what the tests see, from the folder with their two files::

    KERAS_BACKEND=torch python -c "from cnnlab.bench.judges.helpers import transfer_harness as h
    print(h.counts('keras_vgg16', [['freeze'], ['unfreeze_last', 4]]))"

Models (``name``):

* ``keras_vgg16``, ``keras_resnet50``: keras.applications' VGG16 and ResNet50 without top
  (``weights=None``, 32x32x3 input);
* ``torch_vgg16``, ``torch_resnet50``: torchvision's VGG16 ``features`` and ResNet50 up to
  ``layer4``, with torchvision's module names, on the ``meta`` device (nothing allocated);
* ``torch_small``, ``keras_small``: a small base with BatchNorm, input 16x16x3:
  conv 8 -> BN -> ReLU -> max pool -> conv 16 -> BN -> ReLU -> max pool.

Steps are lists: ``["freeze"]`` calls ``freeze(model)``, ``["unfreeze_last", n]`` calls
``unfreeze_last(model, n)``.
"""

import importlib
from collections import OrderedDict

import numpy as np

_CACHE = {}
_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def _student(framework):
    return importlib.import_module("transfer_torch" if framework == "torch" else "transfer_keras")


def _framework(name):
    return "torch" if name.startswith("torch") else "keras"


# ------------------------------------------------------------------------------------ models


def _torch_vgg16():
    from torch import nn

    layers, channels = [], 3
    for value in _VGG16:
        if value == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, value, 3, padding=1), nn.ReLU(inplace=True)]
            channels = value
    return nn.Sequential(OrderedDict(features=nn.Sequential(*layers)))


def _torch_resnet50():
    from torch import nn

    class Bottleneck(nn.Module):  # torchvision's ResNet-50 block, its module names and order
        def __init__(self, inplanes, width, stride, downsample):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(width * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    def stage(inplanes, width, blocks, stride):
        downsample = nn.Sequential(nn.Conv2d(inplanes, width * 4, 1, stride, bias=False),
                                   nn.BatchNorm2d(width * 4))
        return nn.Sequential(Bottleneck(inplanes, width, stride, downsample),
                             *[Bottleneck(width * 4, width, 1, None) for _ in range(blocks - 1)])

    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(3, 64, 7, 2, 3, bias=False), bn1=nn.BatchNorm2d(64), relu=nn.ReLU(inplace=True),
        maxpool=nn.MaxPool2d(3, 2, 1), layer1=stage(64, 64, 3, 1), layer2=stage(256, 128, 4, 2),
        layer3=stage(512, 256, 6, 2), layer4=stage(1024, 512, 3, 2)))


def _torch_small():
    from torch import nn

    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(3, 8, 3, padding=1), bn1=nn.BatchNorm2d(8), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(8, 16, 3, padding=1), bn2=nn.BatchNorm2d(16), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2)))


def _keras_small():
    import keras
    from keras import layers

    inputs = keras.Input((16, 16, 3), name="input")
    x = layers.Conv2D(8, 3, padding="same", name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 3, padding="same", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.ReLU(name="relu2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    return keras.Model(inputs, x, name="small")


def build(name, seed=0):
    """A fresh model called ``name`` (see the module docstring)."""
    if _framework(name) == "torch":
        import torch

        torch.manual_seed(seed)
        if name == "torch_small":
            return _torch_small()
        with torch.device("meta"):
            return {"torch_vgg16": _torch_vgg16, "torch_resnet50": _torch_resnet50}[name]()
    import random

    import keras
    import torch

    # Keras' own set_random_seed would import TensorFlow to seed it too; Keras runs on torch here
    # and draws its initial seeds from Python's generator
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if name == "keras_small":
        return _keras_small()
    application = {"keras_vgg16": keras.applications.VGG16, "keras_resnet50": keras.applications.ResNet50}[name]
    return application(weights=None, include_top=False, input_shape=(32, 32, 3))


def _apply(model, steps, framework):
    student = _student(framework)
    for step in steps:
        if step[0] == "freeze":
            result = student.freeze(model)
        elif step[0] == "unfreeze_last":
            result = student.unfreeze_last(model, int(step[1]))
        else:
            raise ValueError(f"unknown step {step!r}")
        model = model if result is None else result
    return model


def _counts(model, framework):
    """(total, trainable) counted here: torch parameters; Keras weights, BatchNorm statistics
    included in the total, as ``count_params`` does."""
    if framework == "torch":
        params = list(model.parameters())
        return (int(sum(p.numel() for p in params)), int(sum(p.numel() for p in params if p.requires_grad)))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return int(model.count_params()), int(trainable)


# ------------------------------------------------------------------------------------ calls


def counts(name, steps):
    """Build ``name`` and apply ``steps`` one by one. After each (and before the first), the
    total and trainable parameters counted here and what your ``count_trainable`` says: a list
    of ``{"total", "trainable", "count_trainable", "count_error"}`` (``count_trainable`` is None
    and ``count_error`` says why where it raised)."""
    key = ("counts", name, tuple(tuple(s) for s in steps))
    if key not in _CACHE:
        framework = _framework(name)
        model = build(name)
        student = _student(framework)
        rows = []
        for index in range(len(steps) + 1):
            if index:
                model = _apply(model, [steps[index - 1]], framework)
            total, trainable = _counts(model, framework)
            try:  # a missing count_trainable must not cost the freezing tests their points
                counted, error = int(student.count_trainable(model)), ""
            except Exception as exc:  # noqa: BLE001 - reported to the counting tests
                counted, error = None, f"{type(exc).__name__}: {exc}"
            rows.append({"total": total, "trainable": trainable, "count_trainable": counted,
                         "count_error": error})
        _CACHE[key] = rows
    return _CACHE[key]


def training_step(name, steps, seed=0):
    """Build the small base ``name`` with a dense head of 3 classes, apply ``steps`` to the base,
    then train the whole model for two SGD steps (momentum 0.9, learning rate 0.1) on a random
    batch, in training mode. Returns the base's and head's weights (and BatchNorm statistics)
    before and after, by name, and whether the base then computes the same in training and in
    inference mode."""
    key = ("training_step", name, tuple(tuple(s) for s in steps), seed)
    if key not in _CACHE:
        _CACHE[key] = _training_step(name, steps, seed)
    return _CACHE[key]


def _training_step(name, steps, seed):
    framework = _framework(name)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 16, 16, 3)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    base = build(name, seed)
    if framework == "torch":
        import torch
        from torch import nn

        model = nn.Sequential(OrderedDict(base=base, head=nn.Sequential(nn.Flatten(), nn.Linear(256, 3))))
        _apply(base, steps, framework)
        before = {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        xt, yt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)
        model.train()
        for _ in range(2):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xt), yt).backward()
            optimizer.step()
        after = {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
        with torch.no_grad():
            model.train()
            in_training = base(xt).numpy()
            model.eval()
            in_inference = base(xt).numpy()
    else:
        import keras

        out = keras.layers.Dense(3, name="head")(keras.layers.Flatten(name="flatten")(base.output))
        model = keras.Model(base.input, out)
        _apply(base, steps, framework)

        def weights():
            return {f"{layer.name}/{i}": np.array(w.numpy()) for layer in model.layers
                    for i, w in enumerate(layer.weights)}

        before = weights()
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), run_eagerly=True,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        for _ in range(2):
            model.train_on_batch(x, y)
        after = weights()
        in_training = keras.ops.convert_to_numpy(base(x, training=True))
        in_inference = keras.ops.convert_to_numpy(base(x, training=False))
    names = sorted(before)
    return {"names": names, "before": [before[k] for k in names], "after": [after[k] for k in names],
            "same_in_training_and_inference": bool(np.array_equal(in_training, in_inference))}


def head_info(name, num_classes, freeze_base=True):
    """Build the base ``name`` (optionally frozen with your ``freeze``), put your head on it with
    ``add_head(base, num_classes)`` and report the model: total and trainable parameters counted
    here, whether the base's weights are part of it, the output shape for a batch of 2 (in
    inference mode), and the sums of the output rows."""
    framework = _framework(name)
    student = _student(framework)
    base = build(name)
    if freeze_base:
        base = _apply(base, [["freeze"]], framework)
    model = student.add_head(base, num_classes)
    total, trainable = _counts(model, framework)
    rng = np.random.default_rng(0)
    if framework == "torch":
        import torch

        side = 16 if name == "torch_small" else 32
        x = torch.from_numpy(rng.standard_normal((2, 3, side, side)).astype(np.float32))
        ids = {id(p) for p in model.parameters()}
        contains = all(id(p) in ids for p in base.parameters())
        model.eval()
        with torch.no_grad():
            out = model(x).numpy()
    else:
        side = 16 if name == "keras_small" else 32
        x = rng.standard_normal((2, side, side, 3)).astype(np.float32)
        ids = {id(w) for w in model.weights}
        contains = all(id(w) in ids for w in base.weights)
        import keras

        out = keras.ops.convert_to_numpy(model(x, training=False))
    return {"total": total, "trainable": trainable, "contains_base": contains,
            "output_shape": list(out.shape), "row_sums": out.sum(axis=1).tolist()}
