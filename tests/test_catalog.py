"""The catalog, ``cnnlab.reference.build``'s validation, and the lazy-import promise."""

import os
import subprocess
import sys

import pytest

from cnnlab.reference import build
from cnnlab.reference.catalog import CATALOG, SOURCES, get, names


def test_names_are_the_documented_lower_case_ones():
    expected = {
        "lenet5", "alexnet", "alexnet_tv", "zfnet", "vgg11", "vgg13", "vgg16", "vgg19",
        "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "googlenet", "inception_v3", "resnet18",
        "resnet34", "resnet50", "resnet101", "resnet152", "densenet121", "densenet169",
        "densenet201", "mobilenet_v2", "course_mnist", "course_cifar", "course_exam",
        "dcgan_g", "dcgan_d", "dcgan_example_g", "dcgan_example_d", "dcgan_digits_g", "dcgan_digits_d",
    }
    assert set(names()) == expected


def test_every_fact_names_its_source_and_every_variant_has_an_expected_count():
    for spec in CATALOG.values():
        for variant in spec.variants.values():
            facts = [variant.params, variant.keras_params, variant.base_params,
                     variant.base_keras_params, variant.gmacs]
            assert any(f is not None for f in facts[:2]), (spec.name, variant.name)
            for fact in facts:
                assert fact is None or fact.source in SOURCES


def test_lecture_arithmetic_matches_the_catalog():
    """Counts from the papers' layer tables, recomputed here from the layer sizes."""
    def conv(k, cin, cout):
        return k * k * cin * cout + cout

    def dense(nin, nout):
        return nin * nout + nout

    lenet = conv(5, 1, 6) + conv(5, 6, 16) + dense(16 * 5 * 5, 120) + dense(120, 84) + dense(84, 10)
    alexnet = (conv(11, 3, 96) + conv(5, 96, 256) + conv(3, 256, 384) + conv(3, 384, 384)
               + conv(3, 384, 256) + dense(6 * 6 * 256, 4096) + dense(4096, 4096) + dense(4096, 1000))
    course_mnist = conv(3, 1, 32) + dense(13 * 13 * 32, 64) + dense(64, 10)
    course_cifar = conv(3, 3, 32) + dense(15 * 15 * 32, 64) + dense(64, 10)
    assert get("lenet5").variant().params.value == lenet == 61_706
    assert get("alexnet").variant().params.value == alexnet == 62_378_344
    assert get("course_mnist").variant().params.value == course_mnist
    assert get("course_cifar").variant().params.value == course_cifar


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: build("vgg17", "torch"), "valid architectures: lenet5"),
        (lambda: build("vgg16", "tensorflow"), "valid frameworks: torch, keras"),
        (lambda: build("resnet50", "torch", variant="v2"), "valid variants: default, keras"),
        (lambda: build("vgg16", "torch", input_size=128), "only 224x224"),
        (lambda: build("resnet18", "torch", input_size=16), "at least 32x32"),
        (lambda: build("resnet18", "torch", num_classes=0), "num_classes"),
        (lambda: build("resnet18", "torch", input_size="big"), "input_size"),
    ],
)
def test_bad_arguments_give_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "framework,forbidden",
    [("torch", ("tensorflow", "keras", "jax")), ("keras", ("torch", "torchvision"))],
)
def test_building_in_one_framework_never_imports_the_other(framework, forbidden):
    code = (
        "import sys\n"
        "import cnnlab.reference, cnnlab.reference.catalog, cnnlab.reference.summary, cnnlab.reference.porting\n"
        "assert not {'torch', 'keras', 'tensorflow'} & set(sys.modules)\n"
        f"m = cnnlab.reference.build('course_cifar', {framework!r})\n"
        f"print(sorted(m for m in {forbidden!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
