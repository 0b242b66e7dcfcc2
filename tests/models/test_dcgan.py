"""DCGAN generators and discriminators in PyTorch and Keras, and the transposed-convolution port.

Expected counts are recomputed here from the layer widths (Radford et al. 2016, Fig. 1 and Sec. 3
for ``dcgan_*``; the layer list of PyTorch's DCGAN example for ``dcgan_example_*``; cnnlab's own
table for ``dcgan_digits_*``). The transposed-convolution facts are checked against torch itself:
``torch.nn.functional.conv_transpose2d`` is the oracle of every Keras output here.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn

# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.catalog import get
from cnnlab.reference.compare import ATOL, keras_forward, to_nhwc, torch_forward
from cnnlab.reference.keras_models.dcgan import conv_transpose2d
from cnnlab.reference.porting import PortError, port_weights

from ._helpers import keras_counts, torch_count


def convt(k, cin, cout):  # no bias anywhere in DCGAN
    return k * k * cin * cout


def bn(c):
    return 2 * c


def generator_count(k, nz, widths, out):
    chans = [nz, *widths, out]
    weights = convt(4, nz, widths[0]) + sum(convt(k, a, b) for a, b in zip(chans[1:-1], chans[2:], strict=True))
    return weights + sum(bn(c) for c in widths)


def discriminator_count(k, inp, widths, dense_head):
    chans = [inp, *widths]
    weights = sum(convt(k, a, b) for a, b in zip(chans[:-1], chans[1:], strict=True))
    head = 4 * 4 * widths[-1] if dense_head else convt(4, widths[-1], 1)
    return weights + head + sum(bn(c) for c in widths[1:])


# (arch, learnable count from the layer widths, BatchNorm channels Keras adds moving stats for)
COUNTS = {
    # paper: project to 4x4x1024, 5x5 kernels 1024-512-256-128-3; D mirrors it, a dense logit
    "dcgan_g": (generator_count(5, 100, [1024, 512, 256, 128], 3), 1024 + 512 + 256 + 128),
    "dcgan_d": (discriminator_count(5, 3, [128, 256, 512, 1024], True), 256 + 512 + 1024),
    # PyTorch's example: ngf = ndf = 64, nz = 100, 4x4 kernels
    "dcgan_example_g": (generator_count(4, 100, [512, 256, 128, 64], 3), 512 + 256 + 128 + 64),
    "dcgan_example_d": (discriminator_count(4, 3, [64, 128, 256, 512], False), 128 + 256 + 512),
    "dcgan_digits_g": (generator_count(4, 32, [64, 32, 16], 1), 64 + 32 + 16),
    "dcgan_digits_d": (discriminator_count(4, 1, [16, 32, 64], False), 32 + 64),
}
SMALL = ["dcgan_example_g", "dcgan_example_d", "dcgan_digits_g", "dcgan_digits_d"]


def test_counts_of_the_pytorch_example_are_its_known_totals():
    # the PyTorch DCGAN tutorial prints these totals for its netG / netD
    assert COUNTS["dcgan_example_g"][0] == 3_576_704
    assert COUNTS["dcgan_example_d"][0] == 2_765_568


@pytest.mark.parametrize("arch", list(COUNTS))
def test_catalog_counts_are_the_layer_arithmetic(arch):
    params, bn_channels = COUNTS[arch]
    variant = get(arch).variant()
    assert variant.params.value == params
    assert variant.keras_params.value == params + 2 * bn_channels


@pytest.mark.parametrize("arch", SMALL)
def test_both_frameworks_build_the_catalog_counts(arch):
    variant = get(arch).variant()
    assert torch_count(build(arch, "torch")) == variant.params.value
    total, trainable = keras_counts(build(arch, "keras"))
    assert (total, trainable) == (variant.keras_params.value, variant.params.value)


def test_paper_sized_counts_on_the_meta_device_and_in_keras():
    for arch in ("dcgan_g", "dcgan_d"):
        with torch.device("meta"):
            assert torch_count(build(arch, "torch")) == COUNTS[arch][0]
        assert keras_counts(build(arch, "keras"))[1] == COUNTS[arch][0]


@pytest.mark.parametrize("arch,image", [("dcgan_g", (3, 64)), ("dcgan_example_g", (3, 64)),
                                        ("dcgan_digits_g", (1, 32))])
def test_generators_make_images_in_minus_one_to_one(arch, image):
    channels, side = image
    nz = get(arch).in_channels
    z = np.random.default_rng(0).standard_normal((2, nz)).astype(np.float32)
    with torch.no_grad():
        out = build(arch, "torch").eval()(torch.from_numpy(z))
    assert tuple(out.shape) == (2, channels, side, side)
    assert float(out.abs().max()) <= 1.0
    kout = build(arch, "keras")(z[:, None, None, :], training=False)
    assert tuple(kout.shape) == (2, side, side, channels)


@pytest.mark.parametrize("arch", ["dcgan_d", "dcgan_example_d", "dcgan_digits_d"])
def test_discriminators_give_one_logit_and_a_4x4_base(arch):
    spec = get(arch)
    side, c = spec.input_size[0], spec.in_channels
    with torch.device("meta"):
        tm = build(arch, "torch")
        base = build(arch, "torch", include_top=False)
        assert tuple(tm(torch.empty(2, c, side, side)).shape) == (2, 1)
        assert tuple(base(torch.empty(2, c, side, side)).shape) == (2, spec.base_channels, 4, 4)
    assert tuple(build(arch, "keras").output.shape) == (None, 1)
    assert tuple(build(arch, "keras", include_top=False).output.shape) == (None, 4, 4, spec.base_channels)


def test_the_example_layout_follows_pytorchs_module_indices():
    """``main.N`` as in the example, so its checkpoints load by name."""
    g = build("dcgan_example_g", "torch")
    kinds = [type(m) for m in g.main]
    assert kinds == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU] * 4 + [nn.ConvTranspose2d, nn.Tanh]
    assert [tuple(g.main[i].weight.shape) for i in (0, 12)] == [(100, 512, 4, 4), (64, 3, 4, 4)]
    d = build("dcgan_example_d", "torch")
    assert isinstance(d.main[1], nn.LeakyReLU) and d.main[1].negative_slope == 0.2
    assert tuple(d.main[11].weight.shape) == (1, 512, 4, 4)


@pytest.mark.parametrize("call,message", [
    (lambda: build("dcgan_g", "torch", include_top=False), "no classifier top"),
    (lambda: build("dcgan_g", "keras", num_classes=10), "num_classes does not apply"),
    (lambda: build("dcgan_digits_g", "torch", input_size=4), "only 1x1"),
    (lambda: build("dcgan_digits_d", "torch", input_size=28), "only 32x32"),
    (lambda: build("dcgan_digits_g", "torch", layout="big"), "layout must be one of 'paper', 'example'"),
    (lambda: build("dcgan_digits_g", "keras", image_size=48), "4 times a power of two"),
])
def test_bad_options_are_one_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- the transposed convolution: layout and padding -------------------------------------------


def _torch_and_keras_layer(cin, cout, k, stride, padding, output_padding):
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(cin, cout, k, stride, padding, output_padding=output_padding, bias=False)
    inputs = keras.Input((5, 5, cin))
    kmodel = keras.Model(inputs, conv_transpose2d(inputs, cout, k, stride=stride, padding=padding,
                                                  output_padding=output_padding, name="t"))
    x = np.random.default_rng(1).standard_normal((2, cin, 5, 5)).astype(np.float32)
    with torch.no_grad():
        ref = to_nhwc(layer(torch.from_numpy(x)).numpy())
    return layer.weight.detach().numpy(), kmodel, x, ref


@pytest.mark.parametrize("k,padding,output_padding", [(4, 1, 0), (5, 2, 1), (4, 0, 0), (3, 1, 1)])
def test_the_kernel_permutation_is_necessary_and_sufficient(k, padding, output_padding):
    # torch (in, out, kh, kw) -> Keras (kh, kw, out, in); 6 in, 6 out, so a wrong order still fits
    weight, kmodel, x, ref = _torch_and_keras_layer(6, 6, k, 2, padding, output_padding)
    kernel = kmodel.get_layer("t").kernel
    kernel.assign(weight.transpose(2, 3, 1, 0))
    assert np.max(np.abs(kmodel(to_nhwc(x)) - ref)) <= 1e-5
    for wrong in (weight.reshape(kernel.shape), weight.transpose(2, 3, 0, 1)):  # as-is; HWIO
        kernel.assign(wrong)
        assert np.max(np.abs(keras.ops.convert_to_numpy(kmodel(to_nhwc(x))) - ref)) > 1e-2


def test_keras_same_padding_shifts_the_papers_5x5_layer_by_one_pixel():
    weight, _, x, ref = _torch_and_keras_layer(3, 2, 5, 2, 2, 1)  # torch: 5 -> 10
    same = keras.layers.Conv2DTranspose(2, 5, strides=2, padding="same", use_bias=False)
    same.build((None, 5, 5, 3))
    same.kernel.assign(weight.transpose(2, 3, 1, 0))
    got = keras.ops.convert_to_numpy(same(to_nhwc(x)))
    assert got.shape == ref.shape  # the same size ...
    assert np.max(np.abs(got - ref)) > 1e-2  # ... another image:
    assert np.max(np.abs(got[:, 1:, 1:] - ref[:, :-1, :-1])) <= 1e-5  # torch's, one pixel down-right
    # with the example's 4x4 kernels (padding 1) "same" happens to crop what torch crops
    weight4, _, x4, ref4 = _torch_and_keras_layer(3, 2, 4, 2, 1, 0)
    same4 = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same", use_bias=False)
    same4.build((None, 5, 5, 3))
    same4.kernel.assign(weight4.transpose(2, 3, 1, 0))
    assert np.max(np.abs(keras.ops.convert_to_numpy(same4(to_nhwc(x4))) - ref4)) <= 1e-5


def test_port_refuses_a_same_padded_transposed_convolution():
    tm = nn.Sequential(nn.ConvTranspose2d(3, 2, 5, 2, 2, output_padding=1, bias=False))
    inputs = keras.Input((5, 5, 3))
    km = keras.Model(inputs, keras.layers.Conv2DTranspose(2, 5, strides=2, padding="same",
                                                          use_bias=False, name="0")(inputs))
    with pytest.raises(PortError, match="padding='same'"):
        port_weights(tm, km)


def test_generator_port_without_the_permutation_changes_the_images():
    tm, km = build("dcgan_digits_g", "torch"), build("dcgan_digits_g", "keras")
    report = port_weights(tm, km)
    assert report.layers[0] == "main.0"
    z = np.random.default_rng(0).standard_normal((2, 32, 1, 1)).astype(np.float32)
    ref = to_nhwc(torch_forward(tm, z))
    assert np.max(np.abs(keras_forward(km, to_nhwc(z)) - ref)) <= ATOL
    w = tm.main[3].weight.detach().numpy()  # (64, 32, 4, 4)
    km.get_layer("main.3").kernel.assign(w.reshape(4, 4, 32, 64))  # the right shape, wrong order
    assert np.max(np.abs(keras_forward(km, to_nhwc(z)) - ref)) > 1e-2
