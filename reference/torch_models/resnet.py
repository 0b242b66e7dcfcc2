"""ResNet-18/34/50/101/152 (He et al. 2015) in PyTorch.

The default layout is torchvision's (v1.5); its module paths are torchvision's ``state_dict``
keys, so ``model.load_state_dict(torchvision.models.resnet50().state_dict())`` works strictly.
``layout="keras"`` is keras.applications' ResNet v1 (see ``cnnlab.reference.catalog.resnet.LAYOUTS``).
"""

from __future__ import annotations

from torch import nn

from ..catalog.resnet import EXPANSION, STAGE_WIDTHS, STEM_WIDTH, Layout, check_options


def _conv(in_channels, out_channels, kernel_size, *, stride=1, layout):
    # 'same'-style padding; stride-2 3x3 convs pad symmetrically, as torch does
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=kernel_size // 2,
        bias=layout.conv_bias,
    )


def _bn(channels, *, layout):
    return nn.BatchNorm2d(channels, eps=layout.bn_epsilon, momentum=layout.bn_momentum)


def _shortcut(in_channels, out_channels, *, stride, layout):
    """Projection shortcut (option B of the paper) where the shape changes, else identity."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        _conv(in_channels, out_channels, 1, stride=stride, layout=layout),
        _bn(out_channels, layout=layout),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (ResNet-18/34)."""

    expansion = EXPANSION["basic"]

    def __init__(self, in_channels, width, *, stride, layout: Layout):
        super().__init__()
        self.conv1 = _conv(in_channels, width, 3, stride=stride, layout=layout)
        self.bn1 = _bn(width, layout=layout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv(width, width, 3, layout=layout)
        self.bn2 = _bn(width, layout=layout)
        self.downsample = _shortcut(
            in_channels, width * self.expansion, stride=stride, layout=layout
        )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) and a shortcut (ResNet-50/101/152)."""

    expansion = EXPANSION["bottleneck"]

    def __init__(self, in_channels, width, *, stride, layout: Layout):
        super().__init__()
        stride1, stride2 = (stride, 1) if layout.stride_on_1x1 else (1, stride)
        self.conv1 = _conv(in_channels, width, 1, stride=stride1, layout=layout)
        self.bn1 = _bn(width, layout=layout)
        self.conv2 = _conv(width, width, 3, stride=stride2, layout=layout)
        self.bn2 = _bn(width, layout=layout)
        self.conv3 = _conv(width, width * self.expansion, 1, layout=layout)
        self.bn3 = _bn(width * self.expansion, layout=layout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(
            in_channels, width * self.expansion, stride=stride, layout=layout
        )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


_BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


def _make_layer(block, in_channels, width, blocks, *, stride, layout):
    """One stage: the first block changes stride and width, the others keep them."""
    stage = [block(in_channels, width, stride=stride, layout=layout)]
    stage += [
        block(width * block.expansion, width, stride=1, layout=layout) for _ in range(blocks - 1)
    ]
    return nn.Sequential(*stage)


class ResNet(nn.Module):
    """Stem (7x7/2 conv, 3x3/2 max pool), four residual stages, global average pool, fc."""

    def __init__(self, *, block, layers, num_classes, include_top, in_channels, layout: Layout):
        super().__init__()
        block = _BLOCKS[block]
        self.include_top = include_top
        self.conv1 = _conv(in_channels, STEM_WIDTH, 7, stride=2, layout=layout)
        self.bn1 = _bn(STEM_WIDTH, layout=layout)
        self.relu = nn.ReLU(inplace=True)
        # keras.applications pads with zeros here, torch with -inf; after the ReLU both give the
        # same maximum, so one pooling serves both layouts.
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = STEM_WIDTH
        for index, (width, blocks) in enumerate(zip(STAGE_WIDTHS, layers, strict=True)):
            stride = 1 if index == 0 else 2
            stage = _make_layer(block, channels, width, blocks, stride=stride, layout=layout)
            self.add_module(f"layer{index + 1}", stage)
            channels = width * block.expansion
        if include_top:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self):
        # He et al. (2015) normal init with fan_out, as torchvision does; BN starts as identity.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        if not self.include_top:
            return x
        return self.fc(self.avgpool(x).flatten(1))


def resnet(
    *,
    block,
    layers,
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    layout="torchvision",
):
    """Build a ResNet as a ``torch.nn.Module`` taking ``(N, C, H, W)``.

    Parameters
    ----------
    block : {"basic", "bottleneck"}
        Residual block: two 3x3 convs (ResNet-18/34) or 1x1-3x3-1x1 (ResNet-50/101/152).
    layers : sequence of 4 int
        Blocks per stage: ``(2, 2, 2, 2)`` for ResNet-18, ``(3, 4, 6, 3)`` for 34 and 50,
        ``(3, 4, 23, 3)`` for 101, ``(3, 8, 36, 3)`` for 152.
    num_classes : int, default=1000
        Width of the final ``fc`` layer.
    include_top : bool, default=True
        False drops the average pool and ``fc``: the model returns the ``layer4`` feature map.
    input_size : (int, int), default=(224, 224)
        Checked (each side at least 32); the network itself accepts any size from 32 up.
    in_channels : int, default=3
        Channels of the input image.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: v1.5, no conv biases, BN epsilon 1e-5. ``"keras"``: keras.applications'
        v1 (stride on the first 1x1 conv, conv biases, BN epsilon 1.001e-5); bottleneck only.

    Returns
    -------
    ResNet
        An ``nn.Module`` whose parameter names are torchvision's ``state_dict`` keys.

    Raises
    ------
    ValueError
        If an option is out of range, or ``layout="keras"`` is asked with basic blocks.
    """
    layers, layout_spec, _ = check_options(
        block=block,
        layers=layers,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
    )
    return ResNet(
        block=block,
        layers=layers,
        num_classes=num_classes,
        include_top=bool(include_top),
        in_channels=in_channels,
        layout=layout_spec,
    )
