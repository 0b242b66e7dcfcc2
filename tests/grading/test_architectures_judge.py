"""The architectures judge (``cnnlab.bench.judges.architectures``) in-process, without a sandbox: what it
forgives because it is equivalent, and how it explains what is not.

Each case builds a LeNet-5 (an example submission or a small variation written here), exports it
with the worker-side helper in this process and judges it. Expected values come from the
assignment's README (the layers of LeNet-5, 61,706 parameters by the paper's arithmetic) and
from what each variation changes, written out in the test.
"""

import sys
import types

import numpy as np
import pytest

pytest.importorskip("torch")

from cnnlab import paths
from cnnlab.bench.judges import architectures
from cnnlab.bench.judges.helpers import model_export

from ..conftest import load_module

EXAMPLES = paths.examples_dir() / "architectures"


def _example(name):
    return load_module(EXAMPLES / name / "architectures.py", f"architectures_{name}")


def judged(build, framework, tmp_path, monkeypatch, *, arch="lenet5", variant="default"):
    """Export ``build(arch, framework, 10)`` here and judge it against ``variant``."""
    module = build if isinstance(build, types.ModuleType) else types.SimpleNamespace(build=build)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "architectures", module)
    seed = architectures.new_seed()
    x, native = architectures.grading_input(arch, framework, seed=seed)
    result = model_export.export("architectures", arch, framework, 10, native, seed)
    assert result["error"] is None, result["error"]
    return architectures.judge(result, arch=arch, framework=framework, num_classes=10, x_nchw=x, seed=seed,
                        load_array=lambda name: np.load(tmp_path / name, allow_pickle=False),
                        variant=variant)


def passed(verdict):
    return {name: check.ok for name, check in verdict.checks.items()}


ALL = {"params": True, "output": True, "layers": True, "function": True}
ALL_BUT_FUNCTION = {**ALL, "function": False}


def torch_lenet(*, act="tanh", pool="avg", conv1_padding=0, flatten="chw", acts=(True, True, True, True)):
    """A torch LeNet-5 of the README's table with the changes named by the arguments."""
    from torch import nn

    Act = {"tanh": nn.Tanh, "relu": nn.ReLU}[act]
    Pool = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}[pool]

    def a(i):
        return Act() if acts[i] else nn.Identity()

    class HWCFlatten(nn.Module):
        def forward(self, x):
            return x.permute(0, 2, 3, 1).flatten(1)

    def build(arch, framework, num_classes=10):
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=conv1_padding), a(0), Pool(2),
            nn.Conv2d(6, 16, 5), a(1), Pool(2),
            nn.Flatten() if flatten == "chw" else HWCFlatten(),
            nn.Linear(400, 120), a(2), nn.Linear(120, 84), a(3), nn.Linear(84, num_classes))

    return build


# ------------------------------------------------------------------ what differs, by operation


def test_relu_and_max_pooling_are_named_against_the_default_layout(tmp_path, monkeypatch):
    verdict = judged(_example("lenet_relu_max"), "torch", tmp_path, monkeypatch)
    assert passed(verdict) == ALL_BUT_FUNCTION  # same layers and 61,706 parameters
    assert ("after our 'features.0' (your 'conv1') the reference applies tanh then 2x2 average pooling; "
            "yours applies ReLU then 2x2 max pooling") in verdict.checks["function"].message


def test_the_same_model_is_correct_against_the_relu_max_variant(tmp_path, monkeypatch):
    verdict = judged(_example("lenet_relu_max"), "torch", tmp_path, monkeypatch, variant="relu_max")
    assert passed(verdict) == ALL, verdict.checks
    assert verdict.counts["total"] == 61_706  # the catalog's relu_max variant: the same layers


def test_a_keras_activation_inside_the_layer_is_named_too(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    verdict = judged(_example("lenet_relu_max"), "keras", tmp_path, monkeypatch)
    assert passed(verdict) == ALL_BUT_FUNCTION
    message = verdict.checks["function"].message
    assert "the reference applies tanh then 2x2 average pooling; yours applies ReLU then 2x2 max pooling" in message
    assert passed(judged(_example("lenet_relu_max"), "keras", tmp_path, monkeypatch, variant="relu_max")) == ALL


def test_a_missing_activation_is_named(tmp_path, monkeypatch):
    build = torch_lenet(act="relu", pool="max", acts=(True, False, True, True))  # no ReLU after conv2
    verdict = judged(build, "torch", tmp_path, monkeypatch, variant="relu_max")
    assert passed(verdict) == ALL_BUT_FUNCTION
    assert ("after our 'features.3' (your '3') the reference applies ReLU then 2x2 max pooling; "
            "yours applies 2x2 max pooling") in verdict.checks["function"].message


def test_a_padding_is_named_at_its_layer(tmp_path, monkeypatch):
    # padding 1: 32 -> 30 -> 15 -> 11 -> 5, so every weight keeps its shape (fc1 still reads 400)
    verdict = judged(torch_lenet(conv1_padding=1), "torch", tmp_path, monkeypatch)
    assert passed(verdict) == {**ALL_BUT_FUNCTION, "layers": False}
    assert "our layer 'features.0' gives (6, 28, 28); your '0' gives (6, 30, 30)" in verdict.checks["layers"].message
    assert ("your '0' (our 'features.0') pads 1 on every side with stride 1; the reference's pads 0 on "
            "every side with stride 1") in verdict.checks["function"].message


def test_a_torch_model_flattening_h_w_c_is_told_so(tmp_path, monkeypatch):
    verdict = judged(torch_lenet(flatten="hwc"), "torch", tmp_path, monkeypatch)
    assert passed(verdict) == ALL_BUT_FUNCTION
    assert ("your '7' (our 'classifier.0') reads the maps flattened in H, W, C order (Keras' order)"
            in verdict.checks["function"].message)


def test_a_batchnorm_epsilon_is_named(tmp_path, monkeypatch):
    """ResNet-18 in Keras with Keras' default epsilon (1e-3, the reference's 1e-5): the example."""
    pytest.importorskip("keras")
    verdict = judged(_example("bn_epsilon"), "keras", tmp_path, monkeypatch, arch="resnet18")
    assert passed(verdict) == ALL_BUT_FUNCTION
    assert "your BatchNorm epsilon is 0.001, the reference's 1e-05" in verdict.checks["function"].message


# ------------------------------------------------------------------ equivalent layouts and styles


def test_a_keras_model_flattening_channels_first_is_accepted_and_told(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    verdict = judged(_example("keras_channels_first_flatten"), "keras", tmp_path, monkeypatch)
    assert passed(verdict) == ALL, verdict.checks
    assert verdict.flatten_order == "C, H, W"
    assert "flattens C, H, W (channels first)" in verdict.checks["function"].message
    assert len(verdict.notes) == 1 and "an equivalent layout, accepted" in verdict.notes[0]
    correct = judged(_example("correct"), "keras", tmp_path, monkeypatch)  # Keras' own H, W, C
    assert passed(correct) == ALL and correct.flatten_order == "H, W, C"
    assert correct.notes == []  # nothing to tell


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_classes_named_modules_and_functional_calls_are_accepted(framework, tmp_path, monkeypatch):
    if framework == "keras":
        pytest.importorskip("keras")
    verdict = judged(_example("lenet_subclassed"), framework, tmp_path, monkeypatch)
    assert passed(verdict) == ALL, verdict.checks


def test_an_nn_sequential_and_named_modules_are_equally_correct(tmp_path, monkeypatch):
    assert passed(judged(torch_lenet(), "torch", tmp_path, monkeypatch)) == ALL


# ------------------------------------------------------------------ variants


def test_variants_are_checked_against_the_catalog():
    assert architectures.check_variants({"lenet5": "relu_max"})["lenet5"] == "relu_max"
    assert architectures.check_variants(None)["resnet50"] == "default"
    with pytest.raises(ValueError, match="valid variants: default, relu_max"):
        architectures.check_variants({"lenet5": "relu_avg"})
    with pytest.raises(ValueError, match="lenet5, alexnet, vgg16, resnet18, resnet50"):
        architectures.check_variants({"lenet": "relu_max"})


def keras_resnet18(*, stem_same=False, stem_stride=2):
    """ResNet-18 in Keras as the README asks (epsilon 1e-5, symmetric padding), except that the
    stem may use ``padding="same"``: at stride 2 on 224 it pads 2 above and 3 below (TensorFlow's
    rule: total (112 - 1) * 2 + 7 - 224 = 5, the extra row at the bottom), torch pads 3 and 3, and
    both give 112 x 112."""
    import keras
    from keras import layers

    def conv_bn(x, filters, kernel, stride=1, same=False):
        if kernel > 1 and not same:
            x = layers.ZeroPadding2D(kernel // 2)(x)
        x = layers.Conv2D(filters, kernel, strides=stride, use_bias=False, padding="same" if same else "valid")(x)
        return layers.BatchNormalization(epsilon=1e-5)(x)

    def build(arch, framework, num_classes=10):
        x = inputs = keras.Input((224, 224, 3))
        x = layers.ReLU()(conv_bn(x, 64, 7, stem_stride, same=stem_same))
        x = layers.MaxPooling2D(3, 2)(layers.ZeroPadding2D(1)(x))
        for stage, width in enumerate((64, 128, 256, 512)):
            for i in range(2):
                stride = 2 if stage and i == 0 else 1
                skip = x if stride == 1 and x.shape[-1] == width else conv_bn(x, width, 1, stride)
                y = conv_bn(layers.ReLU()(conv_bn(x, width, 3, stride)), width, 3)
                x = layers.ReLU()(layers.Add()([y, skip]))
        x = layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, layers.Dense(num_classes)(x))

    return build


def test_keras_same_padding_at_stride_2_is_named(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    verdict = judged(keras_resnet18(stem_same=True), "keras", tmp_path, monkeypatch, arch="resnet18")
    assert passed(verdict) == ALL_BUT_FUNCTION  # every shape is right: only the values shift
    assert ("(our 'conv1') pads 2 at the top and left, 3 at the bottom and right (as Keras' "
            "padding=\"same\" does at stride 2) with stride 2; the reference's pads 3 on every side "
            "with stride 2") in verdict.checks["function"].message
    assert passed(judged(keras_resnet18(stem_same=False), "keras", tmp_path, monkeypatch, arch="resnet18")) == ALL


def test_a_stride_is_named_at_its_layer(tmp_path, monkeypatch):
    """The stem at stride 1: 224 + 6 - 7 + 1 = 224 instead of 112; the global average pool keeps
    every weight's shape, so only the layer shapes and the function fail."""
    pytest.importorskip("keras")
    verdict = judged(keras_resnet18(stem_stride=1), "keras", tmp_path, monkeypatch, arch="resnet18")
    assert passed(verdict) == {**ALL_BUT_FUNCTION, "layers": False}
    assert ("(our 'conv1') pads 3 on every side with stride 1; the reference's pads 3 on every side "
            "with stride 2") in verdict.checks["function"].message
