"""DCGAN generators and discriminators (Radford, Metz and Chintala 2016) at three sizes.

Three pairs, each a generator ``*_g`` and a discriminator ``*_d``:

* ``dcgan`` -- the paper's LSUN network at 64x64x3: a 100-d noise vector projected to
  4x4x1024, then four stride-2 5x5 fractionally-strided convolutions 1024-512-256-128-3 (paper
  Fig. 1); the discriminator mirrors it, 5x5 stride-2 convolutions 128-256-512-1024 and one dense
  logit. BatchNorm everywhere except the generator's output and the discriminator's input layer,
  ReLU in the generator (tanh at its output), LeakyReLU(0.2) in the discriminator (paper Sec. 3).
  No layer has a bias (each hidden one is followed by BatchNorm's shift; the authors' code has
  none at the output either).
* ``dcgan_example`` -- the widths of PyTorch's DCGAN example (``ngf = ndf = 64``, ``nz = 100``):
  4x4 kernels, stride 2 and padding 1, a 4x4 transposed convolution from the 1x1 noise and a 4x4
  convolution to the logit.
* ``dcgan_digits`` -- the example's layout at 32x32x1 with a quarter of its widths (64-32-16) and
  ``nz = 32``: small enough to train on scikit-learn's digits in minutes on a CPU
  (``cnnlab gan-demo``).

Conventions shared by the PyTorch and the Keras twins:

* A generator takes noise shaped as an image of side 1, ``(N, nz, 1, 1)`` in torch and
  ``(N, 1, 1, nz)`` in Keras, so the catalog's ``input_size`` is ``(1, 1)`` and its
  ``in_channels`` is ``nz``. The paper's "project and reshape" is a matrix multiplication; a
  4x4 transposed convolution of a 1x1 map is that multiplication, laid out as a 4x4 map.
* A discriminator returns one logit per image, ``(N, 1)``: the sigmoid lives in the loss
  (``binary_cross_entropy_with_logits``), where it is numerically safe.

The layer tables here are framework-free: both twins are built from them.
"""

from __future__ import annotations

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from ._spec import ArchSpec, Fact, Variant

#: LeakyReLU slope of the discriminator (paper Sec. 3).
LEAKY_SLOPE = 0.2

#: Kernel, padding and output padding of a stride-2 layer, per layout. With kernel 5 a
#: stride-2 transposed convolution needs padding 2 *and* output padding 1 to double the side:
#: (n - 1) * 2 - 2 * 2 + 5 + 1 = 2n.
LAYOUTS = {
    "paper": {"kernel": 5, "padding": 2, "output_padding": 1, "dense_head": True},
    "example": {"kernel": 4, "padding": 1, "output_padding": 0, "dense_head": False},
}


def _levels(image_size: int) -> int:
    levels, side = 0, 4
    while side < image_size:
        side *= 2
        levels += 1
    if side != image_size or levels < 1:
        raise UsageError(f"image_size must be 4 times a power of two, at least 8; got {image_size!r}")
    return levels


def generator_layers(*, layout: str, nz: int, width: int, channels: int, image_size: int):
    """The generator's transposed convolutions, ``(in, out, kernel, stride, padding, output_padding)``.

    Parameters
    ----------
    layout : {"paper", "example"}
    nz : int
        Length of the noise vector.
    width : int
        Channels of the last hidden layer (``ngf``); each layer before it has twice as many.
    channels : int
        Channels of the generated image.
    image_size : int
        Side of the generated image: 4 times a power of two (8, 16, 32, 64, ...).

    Returns
    -------
    list of tuple
        One row per transposed convolution; every row but the last is followed by BatchNorm and
        ReLU, the last by tanh.
    """
    check_choice(layout, name="layout", choices=tuple(LAYOUTS))
    for option, value in (("nz", nz), ("width", width), ("channels", channels)):
        check_int(value, name=option, low=1)
    levels = _levels(image_size)
    cfg = LAYOUTS[layout]
    k, p, op = cfg["kernel"], cfg["padding"], cfg["output_padding"]
    widths = [width * 2 ** (levels - 1 - i) for i in range(levels)] + [channels]
    rows = [(nz, widths[0], 4, 1, 0, 0)]  # 1x1 -> 4x4: the projection
    rows += [(widths[i], widths[i + 1], k, 2, p, op) for i in range(levels)]
    return rows


def discriminator_layers(*, layout: str, width: int, channels: int, image_size: int):
    """The discriminator's convolutions ``(in, out, kernel, stride, padding)`` and its head.

    Returns
    -------
    (list of tuple, int)
        The stride-2 convolutions (the first without BatchNorm, the others with it, all followed
        by LeakyReLU(0.2)), and the channels of the final 4x4 map that the head reads: a 4x4
        convolution (``"example"``) or a Flatten and a dense layer (``"paper"``).
    """
    check_choice(layout, name="layout", choices=tuple(LAYOUTS))
    check_int(width, name="width", low=1)
    check_int(channels, name="channels", low=1)
    levels = _levels(image_size)
    cfg = LAYOUTS[layout]
    widths = [channels] + [width * 2**i for i in range(levels)]
    rows = [(widths[i], widths[i + 1], cfg["kernel"], 2, cfg["padding"]) for i in range(levels)]
    return rows, widths[-1]


def check_generator_call(arch: str, *, num_classes: int, include_top: bool, input_size) -> None:
    """The generator has no classifier: reject options that would silently not apply."""
    if not include_top:
        raise UsageError(f"{arch} is a generator and has no classifier top; include_top must be True")
    if num_classes != 1:
        raise UsageError(f"{arch} is a generator and outputs images; num_classes does not apply "
                         f"(got {num_classes!r})")
    if tuple(input_size) != (1, 1):
        raise UsageError(f"{arch} takes noise as a 1x1 map with nz channels; input_size must be "
                         f"1x1, got {input_size[0]}x{input_size[1]}")


# Parameter arithmetic (no biases anywhere; BatchNorm: gamma and beta learnable, moving mean and
# variance counted by Keras only). A transposed convolution from c_in to c_out with a k x k
# kernel holds k*k*c_in*c_out weights.
# paper G: 4²·100·1024 + 5²·(1024·512 + 512·256 + 256·128 + 128·3) + 2·(1024+512+256+128)
#        = 1,638,400 + 17,212,800 + 3,840 = 18,855,040; Keras adds 3,840 moving statistics.
# paper D: 5²·(3·128 + 128·256 + 256·512 + 512·1024) + 2·(256+512+1024) + 4·4·1024 (dense)
#        = 17,212,800 + 3,584 + 16,384 = 17,232,768; Keras adds 3,584.
# example G: 4²·(100·512 + 512·256 + 256·128 + 128·64 + 64·3) + 2·(512+256+128+64)
#        = 3,574,784 + 1,920 = 3,576,704; Keras adds 1,920.
# example D: 4²·(3·64 + 64·128 + 128·256 + 256·512 + 512·1) + 2·(128+256+512)
#        = 2,763,776 + 1,792 = 2,765,568; Keras adds 1,792.
# digits G: 4²·(32·64 + 64·32 + 32·16 + 16·1) + 2·(64+32+16) = 73,984 + 224 = 74,208; Keras +224.
# digits D: 4²·(1·16 + 16·32 + 32·64 + 64·1) + 2·(32+64) = 42,240 + 192 = 42,432; Keras +192.
#
# MACs of a transposed convolution are counted per input position (each input value meets each
# of the k*k*c_out kernel weights once): H_in·W_in·c_in·k²·c_out, which includes the products
# that land in the border torch's padding crops away.
# example G: 1·100·16·512 + 16·512·16·256 + 64·256·16·128 + 256·128·16·64 + 1024·64·16·3
#          = 819,200 + 33,554,432 + 33,554,432 + 33,554,432 + 3,145,728 = 104,628,224.
# example D (as a convolution, per output position): 32²·64·48 + 16²·128·1024 + 8²·256·2048
#          + 4²·512·4096 + 1·1·8192 = 3,145,728 + 33,554,432 + 33,554,432 + 33,554,432 + 8,192
#          = 103,817,216.
# paper G: 1·100·16·1024 + 16·1024·25·512 + 64·512·25·256 + 256·256·25·128 + 1024·128·25·3
#          = 1,638,400 + 3 x 209,715,200 + 9,830,400 = 640,614,400.
# paper D: 32²·128·75 + 16²·256·3200 + 8²·512·6400 + 4²·1024·12800 + 16,384 (dense) = 638,992,384.
# digits G: 32·16·64 + 16·64·16·32 + 64·32·16·16 + 256·16·16 = 1,146,880.
# digits D: 16²·16·16 + 8²·32·256 + 4²·64·512 + 64·16 = 1,115,136.

_NOTE_G = "noise (N, nz, 1, 1) -> image in [-1, 1] (tanh)"
_NOTE_D = "image -> one real/fake logit (N, 1); the sigmoid is in the loss"


def _pair(*, name, description, layout, nz, width, channels, image_size, counts, source):
    """The catalog entries of one generator/discriminator pair."""
    g, gk, d, dk, g_gmacs, d_gmacs = counts
    levels = _levels(image_size)
    common = {"layout": layout, "width": width, "image_size": image_size}
    return [
        ArchSpec(
            name=f"{name}_g",
            family="dcgan",
            builder="dcgan_generator",
            description=f"{description}: generator, {_NOTE_G}",
            input_size=(1, 1),
            in_channels=nz,
            num_classes=1,
            kwargs={**common, "channels": channels},
            fixed_input_size=True,
            min_input_size=1,
            variants={"default": Variant(
                "default", f"{layout} layout, {image_size}x{image_size}x{channels} output",
                params=Fact(g, source), keras_params=Fact(gk, source),
                gmacs=Fact(g_gmacs, source))},
        ),
        ArchSpec(
            name=f"{name}_d",
            family="dcgan",
            builder="dcgan_discriminator",
            description=f"{description}: discriminator, {_NOTE_D}",
            input_size=(image_size, image_size),
            in_channels=channels,
            num_classes=1,
            kwargs=common,
            fixed_input_size=True,
            min_input_size=2**levels,
            base_channels=width * 2 ** (levels - 1),
            base_side=4,
            variants={"default": Variant(
                "default", f"{layout} layout, {image_size}x{image_size}x{channels} input",
                params=Fact(d, source), keras_params=Fact(dk, source),
                gmacs=Fact(d_gmacs, source))},
        ),
    ]


ENTRIES = [
    *_pair(name="dcgan", description="DCGAN (Radford et al. 2016) at 64x64x3, the paper's widths",
           layout="paper", nz=100, width=128, channels=3, image_size=64, source="paper",
           counts=(18_855_040, 18_858_880, 17_232_768, 17_236_352, 0.6406144, 0.638992384)),
    *_pair(name="dcgan_example", description="DCGAN at the widths of PyTorch's example "
           "(ngf = ndf = 64, nz = 100), 64x64x3", layout="example", nz=100, width=64, channels=3,
           image_size=64, source="pytorch-examples",
           counts=(3_576_704, 3_578_624, 2_765_568, 2_767_360, 0.104628224, 0.103817216)),
    *_pair(name="dcgan_digits", description="small DCGAN for 32x32x1 digits (nz = 32, widths "
           "64-32-16)", layout="example", nz=32, width=16, channels=1, image_size=32,
           source="measured", counts=(74_208, 74_432, 42_432, 42_624, 0.00114688, 0.001115136)),
]
