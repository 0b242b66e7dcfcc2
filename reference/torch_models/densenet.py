"""DenseNet-121/169/201 (Huang et al. 2016) in PyTorch.

The default layout is torchvision's; its module paths are torchvision's ``state_dict`` keys, so
``model.load_state_dict(torchvision.models.densenet121().state_dict())`` works strictly.
``layout="keras"`` is keras.applications' DenseNet, which differs only in the BatchNorm constants
(see ``cnnlab.reference.catalog.densenet.LAYOUTS``).

The convolutional base ends with the final BatchNorm and its ReLU (``features.norm5``,
``features.relu5``), where keras.applications' base ends; torchvision applies that ReLU in
``forward``. ``relu5`` has no weights, so torchvision's checkpoints still load strictly.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F

from ..catalog.densenet import COMPRESSION, Layout, check_options


def _bn(channels, *, layout):
    return nn.BatchNorm2d(channels, eps=layout.bn_epsilon, momentum=layout.bn_momentum)


class DenseLayer(nn.Module):
    """BN-ReLU-conv 1x1 (``bn_size * growth_rate``), BN-ReLU-conv 3x3 (``growth_rate``).

    The output is the input with the ``growth_rate`` new channels concatenated after it, so each
    layer sees the feature maps of all the layers before it in its block.
    """

    def __init__(self, in_channels, *, growth_rate, bn_size, layout: Layout):
        super().__init__()
        width = bn_size * growth_rate
        self.norm1 = _bn(in_channels, layout=layout)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.norm2 = _bn(width, layout=layout)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)

    def forward(self, x):
        new = self.conv1(self.relu1(self.norm1(x)))
        new = self.conv2(self.relu2(self.norm2(new)))
        return torch.cat([x, new], dim=1)


def _dense_block(in_channels, num_layers, *, growth_rate, bn_size, layout):
    """``num_layers`` dense layers named ``denselayer1`` ...; returns the block and its width."""
    layers = OrderedDict()
    for index in range(num_layers):
        layers[f"denselayer{index + 1}"] = DenseLayer(
            in_channels + index * growth_rate,
            growth_rate=growth_rate,
            bn_size=bn_size,
            layout=layout,
        )
    return nn.Sequential(layers), in_channels + num_layers * growth_rate


def _transition(in_channels, out_channels, *, layout):
    """BN-ReLU-conv 1x1 to ``out_channels``, then 2x2 average pooling (halves the map)."""
    return nn.Sequential(
        OrderedDict(
            norm=_bn(in_channels, layout=layout),
            relu=nn.ReLU(inplace=True),
            conv=nn.Conv2d(in_channels, out_channels, 1, bias=False),
            pool=nn.AvgPool2d(2, stride=2),
        )
    )


class DenseNet(nn.Module):
    """Stem (7x7/2 conv, 3x3/2 max pool), dense blocks joined by transitions, BN-ReLU, classifier."""

    def __init__(
        self,
        *,
        block_config,
        growth_rate,
        num_init_features,
        bn_size,
        num_classes,
        include_top,
        in_channels,
        layout: Layout,
    ):
        super().__init__()
        self.include_top = include_top
        stages = OrderedDict(
            conv0=nn.Conv2d(in_channels, num_init_features, 7, stride=2, padding=3, bias=False),
            norm0=_bn(num_init_features, layout=layout),
            relu0=nn.ReLU(inplace=True),
            # keras.applications pads with zeros here, torch with -inf; after the ReLU both give
            # the same maximum, so one pooling serves both layouts.
            pool0=nn.MaxPool2d(3, stride=2, padding=1),
        )
        channels = num_init_features
        for index, num_layers in enumerate(block_config):
            block, channels = _dense_block(
                channels, num_layers, growth_rate=growth_rate, bn_size=bn_size, layout=layout
            )
            stages[f"denseblock{index + 1}"] = block
            if index < len(block_config) - 1:
                out_channels = int(channels * COMPRESSION)
                stages[f"transition{index + 1}"] = _transition(
                    channels, out_channels, layout=layout
                )
                channels = out_channels
        stages["norm5"] = _bn(channels, layout=layout)
        stages["relu5"] = nn.ReLU(inplace=True)
        self.features = nn.Sequential(stages)
        if include_top:
            self.classifier = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's choice: He normal (fan_in) convs, BN as identity, zero classifier bias.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.features(x)
        if not self.include_top:
            return x
        # global average pooling as a function, as torchvision has it (no module)
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def densenet(
    *,
    block_config,
    growth_rate=32,
    num_init_features=64,
    bn_size=4,
    layout="torchvision",
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
):
    """Build a DenseNet as a ``torch.nn.Module`` taking ``(N, C, H, W)``.

    Parameters
    ----------
    block_config : sequence of 4 int
        Dense layers per block: ``(6, 12, 24, 16)`` for DenseNet-121, ``(6, 12, 32, 32)`` for 169,
        ``(6, 12, 48, 32)`` for 201.
    growth_rate : int, default=32
        Channels each dense layer adds (k in the paper).
    num_init_features : int, default=64
        Channels of the stem convolution.
    bn_size : int, default=4
        Width of each layer's 1x1 bottleneck convolution, in multiples of ``growth_rate``.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: BN epsilon 1e-5, momentum 0.1. ``"keras"``: keras.applications' BN
        epsilon 1.001e-5 and momentum 0.01 (Keras' 0.99).
    num_classes : int, default=1000
        Width of the ``classifier`` layer.
    include_top : bool, default=True
        False drops the average pool and ``classifier``: the model returns ``features``' output,
        the map after the final BatchNorm and ReLU (1024 channels for DenseNet-121).
    input_size : (int, int), default=(224, 224)
        Checked (each side at least 32); the network itself accepts any size from 32 up.
    in_channels : int, default=3
        Channels of the input image.

    Returns
    -------
    DenseNet
        An ``nn.Module`` whose parameter names are torchvision's ``state_dict`` keys.

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    block_config, layout_spec, _ = check_options(
        block_config=block_config,
        growth_rate=growth_rate,
        num_init_features=num_init_features,
        bn_size=bn_size,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
    )
    return DenseNet(
        block_config=block_config,
        growth_rate=growth_rate,
        num_init_features=num_init_features,
        bn_size=bn_size,
        num_classes=num_classes,
        include_top=bool(include_top),
        in_channels=in_channels,
        layout=layout_spec,
    )
