"""MobileNetV2 (Sandler et al. 2018) in PyTorch.

The default layout is torchvision's; its module paths are torchvision's ``state_dict`` keys
(``features.0.0``, ``features.1.conv.0.0``, ``classifier.1``), so
``model.load_state_dict(torchvision.models.mobilenet_v2().state_dict())`` works strictly.

``layout="keras"`` is keras.applications' MobileNetV2: BN epsilon 1e-3 and momentum 0.001 (Keras'
0.999), and every stride-2 convolution pads like TensorFlow's ``'same'`` (an even side gets one row
or column of zeros at the bottom/right only). That padding is an ``nn.ZeroPad2d`` named ``pad``
in front of the convolution it serves (``features.0.pad``, ``features.2.conv.1.pad``), computed
for the ``input_size`` the model is built for, as keras.applications computes it from its input
shape; the weight-bearing modules keep their names (``features.0.0`` is still the stem conv), but
positional indexing of those blocks (``features[0][0]``) returns the pad.

The convolutional base ends with the last 1x1 convolution's BatchNorm and ReLU6 (``features.18``),
where keras.applications' base ends.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn
from torch.nn import functional as F

from ..catalog.mobilenet import Block, Layout, Plan, check_options


def _bn(channels, *, layout):
    return nn.BatchNorm2d(channels, eps=layout.bn_epsilon, momentum=layout.bn_momentum)


def _conv_bn_relu(in_channels, out_channels, kernel_size, *, stride=1, groups=1, pad=None, layout):
    """Conv, BN, ReLU6 as ``0``, ``1``, ``2`` (torchvision's ``Conv2dNormActivation``).

    ``pad`` = ``((top, bottom), (left, right))`` puts an explicit zero padding, ``pad``, in front of
    an unpadded convolution; without it the convolution pads ``kernel_size // 2`` on every side.
    """
    modules = OrderedDict()
    if pad is not None:
        (top, bottom), (left, right) = pad
        modules["pad"] = nn.ZeroPad2d((left, right, top, bottom))
    modules["0"] = nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=0 if pad is not None else kernel_size // 2,
        groups=groups,
        bias=False,
    )
    modules["1"] = _bn(out_channels, layout=layout)
    modules["2"] = nn.ReLU6(inplace=True)
    return nn.Sequential(modules)


class InvertedResidual(nn.Module):
    """1x1 expansion (if t > 1), 3x3 depthwise, linear 1x1 projection; a shortcut if shapes allow."""

    def __init__(self, block: Block, *, layout: Layout):
        super().__init__()
        layers = []
        if block.expand:
            layers.append(_conv_bn_relu(block.in_channels, block.hidden, 1, layout=layout))
        layers.append(
            _conv_bn_relu(
                block.hidden,
                block.hidden,
                3,
                stride=block.stride,
                groups=block.hidden,
                pad=block.pad,
                layout=layout,
            )
        )
        # the projection is linear: no ReLU after it (the paper's "linear bottleneck")
        layers.append(nn.Conv2d(block.hidden, block.out_channels, 1, bias=False))
        layers.append(_bn(block.out_channels, layout=layout))
        self.conv = nn.Sequential(*layers)
        self.residual = block.residual

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.residual else out


class MobileNetV2(nn.Module):
    """Stem conv, 17 inverted residual blocks, 1x1 conv to 1280, global average pool, classifier."""

    def __init__(self, plan: Plan):
        super().__init__()
        self.include_top = plan.include_top
        layout = plan.layout
        stages = [
            _conv_bn_relu(
                plan.in_channels, plan.stem_channels, 3, stride=2, pad=plan.stem_pad, layout=layout
            )
        ]
        stages += [InvertedResidual(block, layout=layout) for block in plan.blocks]
        stages.append(
            _conv_bn_relu(plan.blocks[-1].out_channels, plan.head_channels, 1, layout=layout)
        )
        self.features = nn.Sequential(*stages)
        if plan.include_top:
            self.classifier = nn.Sequential(
                nn.Dropout(plan.dropout), nn.Linear(plan.head_channels, plan.num_classes)
            )
        self._init_weights()

    def _init_weights(self):
        # torchvision's choice: He normal (fan_out) convs, BN as identity, small normal classifier.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.features(x)
        if not self.include_top:
            return x
        # global average pooling as a function, as torchvision has it (no module)
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def mobilenet_v2(
    *,
    width_mult=1.0,
    layout="torchvision",
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    dropout=None,
):
    """Build a MobileNetV2 as a ``torch.nn.Module`` taking ``(N, C, H, W)``.

    Parameters
    ----------
    width_mult : float, default=1.0
        Width multiplier alpha: every width is scaled by it and rounded to a multiple of 8 (the
        last conv keeps 1280 channels for ``width_mult < 1``).
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: symmetric padding, BN epsilon 1e-5, momentum 0.1. ``"keras"``:
        keras.applications' bottom/right padding on stride 2, BN epsilon 1e-3, momentum 0.001,
        and its channel rounding (the scaled width is truncated to an int first).
    num_classes : int, default=1000
        Width of ``classifier.1``.
    include_top : bool, default=True
        False drops the average pool and classifier: the model returns ``features``' output, the
        map after the last conv's BatchNorm and ReLU6 (1280 channels).
    input_size : (int, int), default=(224, 224)
        Checked (each side at least 32). The ``"keras"`` layout's padding is computed for this
        size; the ``"torchvision"`` layout accepts any size from 32 up.
    in_channels : int, default=3
        Channels of the input image.
    dropout : float, optional
        Dropout probability before the classifier; by default 0.2 for ``"torchvision"`` and 0 for
        ``"keras"`` (keras.applications has none).

    Returns
    -------
    MobileNetV2
        An ``nn.Module`` whose parameter names are torchvision's ``state_dict`` keys.

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    plan = check_options(
        width_mult=width_mult,
        layout=layout,
        num_classes=num_classes,
        include_top=include_top,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
    )
    return MobileNetV2(plan)
