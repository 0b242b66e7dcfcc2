"""freeze / unfreeze / trainable_summary on the canonical models and on cnnlab's twins.

Expected numbers: the lecture's figure for keras.applications' VGG16 without top (14,714,688
parameters, 0 trainable when frozen, 7,079,424 with the last 4 layers unfrozen), and
``reference/fixtures/transfer/freezing_patterns.json``, which
``scripts/make_transfer_fixtures.py`` counts on keras.applications and torchvision models with the
frameworks' own switches (``layer.trainable``, ``requires_grad_``), not with reference.transfer.
"""

import importlib.resources
import json
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch import nn

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.transfer import freeze, layer_names, trainable_summary, unfreeze

FIXTURE = importlib.resources.files("cnnlab.reference") / "fixtures" / "transfer" / "freezing_patterns.json"
CASES = {c["model"]: c for c in json.loads(FIXTURE.read_text())["cases"]}


def apply(model, row):
    """Put ``model`` in the state a fixture row describes, with reference.transfer."""
    unfreeze(model)
    if row["pattern"] == "none":
        return model
    freeze(model)
    if row["pattern"] == "last":
        unfreeze(model, last=row["n"])
    elif row["pattern"] == "from_layer":
        unfreeze(model, from_layer=row["name"])
    return model


def check_case(model, case, names=None):
    assert trainable_summary(model).total == case["total"]
    assert len(layer_names(model)) == case["layers"]
    assert layer_names(model)[-4:] == (names or case["last_layers"])
    for row in case["patterns"]:
        assert trainable_summary(apply(model, row)).trainable == row["trainable"], row


@pytest.fixture(scope="module")
def keras_resnet50():
    """cnnlab's Keras ResNet50 base, built once for this module (about 2 s)."""
    return build("resnet50", "keras", include_top=False, input_size=32)


@pytest.fixture(scope="module")
def keras_vgg16():
    return keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))


def test_lecture_figure_on_keras_applications_vgg16(keras_vgg16):
    base = keras_vgg16
    unfreeze(base)
    assert trainable_summary(base).total == 14_714_688
    freeze(base)
    assert trainable_summary(base).trainable == 0
    unfreeze(base, last=4)
    summary = trainable_summary(base)
    assert summary.trainable == 7_079_424
    assert summary.non_trainable == 14_714_688 - 7_079_424
    # the same layers as the lecture's `for layer in base.layers[:-4]: layer.trainable = False`
    trainable = {row.name for row in summary.layers if row.state == "trainable"}
    assert trainable == {layer.name for layer in base.layers[-4:] if layer.weights}
    assert layer_names(base)[-4:] == ["block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]


def test_fixture_patterns_on_keras_applications(keras_vgg16):
    check_case(keras_vgg16, CASES["vgg16_notop"])
    resnet = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    check_case(resnet, CASES["resnet50_notop"])


def test_fixture_patterns_on_torchvision():
    with torch.device("meta"):
        features = torchvision.models.vgg16().features
        resnet = torchvision.models.resnet50()
    # torchvision's module paths: the models' children up to layer4, under their own names
    check_case(nn.Sequential(OrderedDict(features=features)), CASES["vgg16_features"])
    base = nn.Sequential(OrderedDict(list(resnet.named_children())[:-2]))
    check_case(base, CASES["resnet50_base"])


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("arch, case", [("vgg16", "vgg16_features"), ("resnet50", "resnet50_base")])
def test_cnnlab_twins_follow_the_torchvision_patterns(framework, arch, case, request):
    """Our bases in both frameworks: the torchvision layout, so torchvision's trainable counts
    (Keras' total adds the BatchNorm moving statistics, two per channel)."""
    expected = CASES[case]
    with torch.device("meta"):
        torch_base = build(arch, "torch", include_top=False)
    bn_stats = 0
    if framework == "torch":
        base = torch_base
    else:
        base = request.getfixturevalue("keras_resnet50") if arch == "resnet50" else \
            build(arch, "keras", include_top=False, input_size=32)
        bn_stats = sum(2 * m.num_features for m in torch_base.modules() if isinstance(m, nn.BatchNorm2d))
    check_case(base, dict(expected, total=expected["total"] + bn_stats))


def test_torch_and_keras_twins_have_the_same_layers(keras_resnet50):
    """The same layers; in the same order except where Keras' graph order puts a block's
    shortcut convolution before its conv3 (torch lists modules as they are registered)."""
    names = {}
    for arch in ("vgg16", "resnet50"):
        with torch.device("meta"):
            torch_base = build(arch, "torch", include_top=False)
        keras_base = keras_resnet50 if arch == "resnet50" else build(arch, "keras", include_top=False, input_size=32)
        names[arch] = layer_names(torch_base), layer_names(keras_base)
    assert names["vgg16"][0] == names["vgg16"][1]
    torch_names, keras_names = names["resnet50"]
    assert sorted(torch_names) == sorted(keras_names) and len(torch_names) == 107
    assert torch_names[-12:] == keras_names[-12:]  # layer4.1 and layer4.2 have no shortcut conv
    moved = [t for t, k in zip(torch_names, keras_names, strict=True) if t != k]
    assert all(".downsample." in n or ".conv3" in n or ".bn3" in n for n in moved)


def test_unfreeze_adds_to_what_is_trainable():
    with torch.device("meta"):
        base = build("vgg16", "torch", include_top=False)
    freeze(base)
    unfreeze(base, last=4)
    unfreeze(base, names=["features.0"])  # conv1_1: 3 * 64 * 9 + 64
    assert trainable_summary(base).trainable == 7_079_424 + 1_792
    unfreeze(base, from_layer="features.17")  # block 4 and 5
    assert trainable_summary(base).trainable == 1_792 + 3 * 2_359_808 + 1_180_160 + 2 * 2_359_808 + 0
    freeze(base)
    assert trainable_summary(base).trainable == 0


def test_keras_nested_model_is_looked_into():
    """A base used as one layer of a Sequential model: its layers are the model's layers."""
    base = build("vgg11", "keras", include_top=False, input_size=32)
    model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    freeze(model)
    assert trainable_summary(model).trainable == 0
    unfreeze(model, last=2)  # the head's pooling and dense layer
    assert trainable_summary(model).trainable == 512 * 3 + 3
    unfreeze(model, last=4)  # and vgg11's last convolution and pooling
    assert trainable_summary(model).trainable == 512 * 3 + 3 + 512 * 512 * 9 + 512


def test_summary_rows_and_text():
    with torch.device("meta"):
        base = build("resnet18", "torch", include_top=False)
    freeze(base)
    unfreeze(base, from_layer="layer4.1")
    summary = trainable_summary(base)
    rows = {row.name: row for row in summary.layers}
    assert rows["layer4.1.conv1"].state == "trainable" and rows["layer4.0.conv1"].state == "frozen"
    assert rows["maxpool"].state == "-" and rows["maxpool"].params == 0
    assert rows["layer4.1.bn1"].batch_norm == "batch statistics"
    assert rows["layer4.0.bn1"].batch_norm == "inference"
    assert summary.trainable == sum(r.trainable_params for r in summary.layers)
    assert summary.total == 11_689_512 - 513_000  # torchvision resnet18 minus fc (512 * 1000 + 1000)
    text = str(summary)
    assert "layer4.1.conv2" in text and f"trainable {summary.trainable:,}" in text
    assert summary.as_dict()["layers"][0]["name"] == "conv1"


@pytest.mark.parametrize("kwargs, message", [
    ({"last": 4, "names": ["features.0"]}, "at most one of last, from_layer, names"),
    ({"last": 19}, r"last must be an int from 0 to 18"),
    ({"last": -1}, r"last must be an int from 0 to 18"),
    ({"last": True}, r"last must be an int"),
    ({"from_layer": "features.25"}, r"from_layer='features.25' names no layer.*did you mean"),
    ({"names": "features.0"}, "names must be a list of layer names"),
    ({"names": ["block5_conv1"]}, "names='block5_conv1' names no layer"),
])
def test_bad_selections_are_clear_errors(kwargs, message):
    with torch.device("meta"):
        base = build("vgg16", "torch", include_top=False)
    with pytest.raises(ValueError, match=message):
        unfreeze(base, **kwargs)


def test_not_a_model_is_a_clear_error():
    with pytest.raises(ValueError, match="expected a torch.nn.Module or a keras.Model"):
        freeze([1, 2, 3])


@pytest.mark.parametrize("framework, absent", [("torch", ("keras", "tensorflow")), ("keras", ("torch",))])
def test_one_framework_never_imports_the_other(framework, absent):
    """Freezing, summaries, heads, training and loaders for one framework, in a fresh process."""
    import subprocess
    import sys

    layout = "(4, 1, 32, 32)" if framework == "torch" else "(4, 32, 32, 1)"
    code = f"""
import sys
import numpy as np
from cnnlab.reference import build
from cnnlab.reference.data import ArrayBatches, loader
from cnnlab.reference.transfer import fit, freeze, linear_head, trainable_summary, unfreeze
base = build("lenet5", "{framework}", include_top=False)
unfreeze(freeze(base), last=2)
model = linear_head(base, 3, pooling="flatten", input_size=32)
trainable_summary(model)
x, y = np.zeros({layout}, np.float32), np.array([0, 1, 2, 0])
fit(model, (x, y), (x, y), lr=1e-3, max_epochs=1)
loader(ArrayBatches(np.zeros((4, 32, 32, 1), np.float32), y), "{framework}")
print(sorted(m for m in {absent!r} if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


# --- the two readings of "unfreeze the last 4 layers" ----------------------------------------
# Oracle: keras.applications' VGG16 with the frameworks' own switch (layer.trainable), and the
# arithmetic of VGG16's 3x3 convolutions: block5 convs 3 x (9·512·512 + 512) = 7,079,424; with
# block4_conv3 (the same shape) 4 x 2,359,808 = 9,439,232.

def test_last_4_conv_layers_reading_on_keras_applications_vgg16(keras_vgg16):
    base = keras_vgg16
    freeze(base)
    unfreeze(base, last_convs=4)
    assert trainable_summary(base).trainable == 9_439_232 == 4 * (9 * 512 * 512 + 512)
    # the same layers the frameworks' own switch picks: the last four Conv2D layers
    convs = [layer for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
    expected = {layer.name for layer in convs[-4:]}
    assert {r.name for r in trainable_summary(base).layers if r.state == "trainable"} == expected
    assert expected == {"block4_conv3", "block5_conv1", "block5_conv2", "block5_conv3"}
    unfreeze(base)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_recipe_names_what_finetuning_unfreezes(framework):
    from cnnlab.reference.transfer import FINETUNE_COUNTS, Recipe

    assert Recipe().finetune_count == "layers" and set(FINETUNE_COUNTS) == {"layers", "convs"}
    base = build("vgg16", framework, include_top=False, input_size=32)
    for count, expected in (("layers", 7_079_424), ("convs", 9_439_232)):
        freeze(base)
        Recipe(finetune_count=count).unfreeze_base(base)
        assert trainable_summary(base).trainable == expected, count
    with pytest.raises(ValueError, match="finetune_count must be one of 'layers', 'convs'"):
        Recipe(finetune_count="blocks")
    with pytest.raises(ValueError, match=r"last_convs must be an int in \[0, 13\]"):
        unfreeze(base, last_convs=14)
    with pytest.raises(ValueError, match="at most one of"):
        unfreeze(base, last=2, last_convs=2)
