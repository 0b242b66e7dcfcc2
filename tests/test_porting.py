"""Weight porting between PyTorch and Keras: every catalog architecture, both directions.

The independent oracle is the other framework: weights drawn natively in one framework (with
random BatchNorm statistics) are ported into the other, and both must give the same logits on
the same input (NCHW for torch, NHWC for Keras), max |diff| <= 1e-4 in float32.
"""


import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("keras")

from cnnlab.bench.jobs.compare import compare_arch  # noqa: E402
from cnnlab.reference import build  # noqa: E402
from cnnlab.reference.catalog import CATALOG  # noqa: E402
from cnnlab.reference.compare import (  # noqa: E402
    ATOL,
    first_divergent_layer,
    layer_differences,
    randomize_batchnorm,
    to_nhwc,
)
from cnnlab.reference.porting import PortError, convert_checkpoint, port_weights  # noqa: E402
from cnnlab.reference.summary import count_params  # noqa: E402


def _small_size(spec, variant="default"):
    """Smallest convenient input: the default for fixed-size nets, else a little above the minimum."""
    if spec.fixed_input_size or (spec.name == "inception_v3" and variant == "aux"):
        return tuple(spec.input_size)  # the aux head of Inception v3 needs a 17x17 map
    side = max(spec.min_input_size, 64)
    return (side, side)


CASES = [
    pytest.param(name, variant, id=f"{name}-{variant}")
    for name, spec in CATALOG.items()
    for variant in spec.variants
]


# The VGG classifier is one builder for all eight VGGs; its port (with the flatten permutation)
# is compared at 224 on vgg11 and vgg11_bn, the other six compare their bases at 32x32.
FULL_SIZE_VGGS = {"vgg11", "vgg11_bn"}


@pytest.mark.parametrize("arch,variant", CASES)
def test_every_architecture_ports_both_ways(arch, variant):
    spec = CATALOG[arch]
    batch = 1 if spec.fixed_input_size and spec.input_size[0] >= 224 else 2
    if spec.family == "vgg" and arch not in FULL_SIZE_VGGS:
        records = compare_arch(arch, variant=variant, input_size=(32, 32), batch=1, include_top=False)
    else:
        records = compare_arch(arch, variant=variant, input_size=_small_size(spec, variant), batch=batch)
    assert [r.direction for r in records] == ["keras->torch", "torch->keras"]
    for rec in records:
        assert rec.max_abs_diff <= ATOL, (rec.direction, rec.max_abs_diff, rec.first_divergent_layer)
        assert rec.ok and rec.first_divergent_layer is None
        # The ported model has as many learnable values as the source: Keras' trainable count is
        # torch's count (Keras' total adds the BatchNorm moving statistics).
        assert rec.keras_trainable_params == rec.torch_params
        assert rec.torch_output_shape == rec.keras_output_shape


# One model of each family, layer by layer: every shared layer's activations agree, so a wrong
# port would be located at its layer.
FAMILY_REPRESENTATIVES = ["lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18", "densenet121",
                          "mobilenet_v2", "course_cifar", "inception_v3"]


@pytest.mark.parametrize("arch", FAMILY_REPRESENTATIVES)
def test_layer_by_layer_activations_match(arch):
    spec = CATALOG[arch]
    size = _small_size(spec)
    tm = build(arch, "torch", input_size=size)
    km = build(arch, "keras", input_size=size)
    randomize_batchnorm(tm, seed=3)
    port_weights(tm, km)
    x = np.random.default_rng(3).standard_normal((1, spec.in_channels, *size)).astype(np.float32)
    diffs = layer_differences(tm, km, x)
    weighted = {name for name, m in tm.named_modules() if list(m.parameters(recurse=False))}
    assert weighted <= {name for name, _ in diffs}, "every weight-bearing layer is compared"
    assert all(d <= ATOL for _, d in diffs), max(diffs, key=lambda p: p[1])


def test_a_wrong_batchnorm_epsilon_is_located_at_its_layer():
    tm = build("resnet18", "torch", input_size=(64, 64))
    km = build("resnet18", "keras", input_size=(64, 64))
    randomize_batchnorm(tm, seed=1)
    port_weights(tm, km)
    km.get_layer("layer2.0.bn2").epsilon = 0.5  # sabotage after porting
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    assert first_divergent_layer(layer_differences(tm, km, x)) == "layer2.0.bn2"


def test_flatten_order_is_fixed_by_the_port_and_matters():
    """VGG's first Dense reads a flattened 7x7x512 map: torch order C,H,W, Keras H,W,C."""
    tm = build("vgg11", "torch")
    km = build("vgg11", "keras")
    report = port_weights(tm, km)
    assert report.permuted_dense == ["classifier.0"]
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    from cnnlab.reference.compare import keras_forward, torch_forward

    ref = torch_forward(tm, x)
    assert np.max(np.abs(ref - keras_forward(km, to_nhwc(x)))) <= ATOL
    # Copying the kernel without the permutation (only transposed) gives another function.
    w = tm.classifier[0].weight.detach().numpy()
    km.get_layer("classifier.0").kernel.assign(w.T)
    assert np.max(np.abs(ref - keras_forward(km, to_nhwc(x)))) > 1e-3


def test_models_of_different_architectures_are_refused_naming_the_layer():
    tm = build("resnet18", "torch", input_size=(64, 64))
    km = build("resnet34", "keras", input_size=(64, 64))
    with pytest.raises(PortError, match=r"layer1\.2|layer2\.2|layer3\.[2-5]|layer4\.2"):
        port_weights(tm, km)
    km50 = build("resnet50", "keras", input_size=(64, 64))
    with pytest.raises(PortError, match="layer1.0"):
        port_weights(tm, km50)


def test_batchnorm_epsilon_mismatch_is_refused():
    tm = build("resnet50", "torch", input_size=(64, 64))
    km = build("resnet50", "keras", input_size=(64, 64))
    km.get_layer("bn1").epsilon = 1e-3
    with pytest.raises(PortError, match="bn1.*epsilon"):
        port_weights(tm, km)


def test_two_models_of_one_framework_are_refused():
    a = build("lenet5", "torch")
    b = build("lenet5", "torch")
    with pytest.raises(PortError, match="one torch and one Keras"):
        port_weights(a, b)


def test_checkpoint_round_trip_torch_to_keras_and_back(tmp_path):
    torch = pytest.importorskip("torch")

    src = build("course_cifar", "torch")
    torch.save(src.state_dict(), tmp_path / "w.pt")
    report = convert_checkpoint("course_cifar", tmp_path / "w.pt", tmp_path / "w.weights.h5")
    assert report.permuted_dense == ["fc1"] or len(report.permuted_dense) == 1
    convert_checkpoint("course_cifar", tmp_path / "w.weights.h5", tmp_path / "back.pt")
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    for key, value in src.state_dict().items():
        assert torch.equal(value, back[key]), key
    km = build("course_cifar", "keras")
    km.load_weights(str(tmp_path / "w.weights.h5"))
    assert count_params(km)[0] == count_params(src)[0]


def test_checkpoint_errors_are_clear(tmp_path):
    torch = pytest.importorskip("torch")

    with pytest.raises(FileNotFoundError, match="missing.pt"):
        convert_checkpoint("lenet5", tmp_path / "missing.pt", tmp_path / "x.weights.h5")
    with pytest.raises(ValueError, match="between a torch state_dict"):
        convert_checkpoint("lenet5", tmp_path / "a.txt", tmp_path / "b.txt")
    torch.save(build("course_mnist", "torch").state_dict(), tmp_path / "other.pt")
    with pytest.raises(ValueError, match="does not fit this model"):
        convert_checkpoint("lenet5", tmp_path / "other.pt", tmp_path / "x.weights.h5")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable torch state_dict"):
        convert_checkpoint("lenet5", tmp_path / "junk.pt", tmp_path / "x.weights.h5")
