"""GoogLeNet (Inception v1; Szegedy et al. 2014) in PyTorch, in torchvision's layout or the paper's.

``layout="paper"`` (catalog variant ``paper``) builds the network the paper and the lectures draw:
convolutions with biases and no BatchNorm (``<name>.conv`` without ``<name>.bn``), a true 5x5
kernel in the third branch, dropout 0.4. The module paths stay torchvision's.

The layers come from ``cnnlab.reference.catalog.inception.GOOGLENET_LAYERS``. Module paths are
torchvision's ``state_dict`` keys (``conv1.conv``, ``inception3a.branch2.1.bn``, ``aux1.fc1``,
``fc``), so ``model.load_state_dict(torchvision.models.googlenet().state_dict())`` works strictly.

Like torchvision with ``weights=None``, the model does not re-normalise its input
(``transform_input=False``). With auxiliary classifiers it returns :class:`GoogLeNetOutputs` in
training mode and only the logits in eval mode.
"""

from __future__ import annotations

from collections import namedtuple
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from ..catalog.inception import (
    GOOGLENET_AUX,
    GOOGLENET_BN_EPSILON,
    GOOGLENET_BN_MOMENTUM,
    GOOGLENET_LAYERS,
    GOOGLENET_LAYOUTS,
    Block,
    Conv,
    check_googlenet_options,
)

#: What a GoogLeNet with auxiliary classifiers returns in training mode (torchvision's order).
GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class ConvBNReLU(nn.Module):
    """A bias-free convolution (``conv``), BatchNorm (``bn``) and a ReLU.

    ``norm`` makes the BatchNorm from a channel count; Inception v3's keras.applications layout
    passes one without a learned scale.
    """

    def __init__(self, in_channels, out_channels, kernel_size, *, stride=1, padding=0, norm=None):
        super().__init__()
        if norm is None:
            norm = partial(nn.BatchNorm2d, eps=GOOGLENET_BN_EPSILON, momentum=GOOGLENET_BN_MOMENTUM)
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
        )
        self.bn = norm(out_channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvReLU(nn.Module):
    """A convolution with a bias (``conv``) and a ReLU: the paper's unit, before BatchNorm."""

    def __init__(self, in_channels, out_channels, kernel_size, *, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding)

    def forward(self, x):
        return F.relu(self.conv(x))


def _unit(layout):
    return ConvBNReLU if layout.batch_norm else ConvReLU


class InceptionBlock(nn.Module):
    """Four parallel branches concatenated along channels (the paper's Figure 2b).

    ``branch1`` 1x1; ``branch2`` 1x1 then 3x3; ``branch3`` 1x1 then the paper's "5x5" (a 3x3 in
    torchvision's layout, a 5x5 in the paper's); ``branch4`` 3x3/1 max pool then a 1x1 projection.
    """

    def __init__(self, in_channels, widths, layout=GOOGLENET_LAYOUTS["torchvision"]):
        super().__init__()
        unit, k5 = _unit(layout), layout.branch3_kernel
        c1, c3_reduce, c3, c5_reduce, c5, pool_proj = widths
        self.branch1 = unit(in_channels, c1, 1)
        self.branch2 = nn.Sequential(
            unit(in_channels, c3_reduce, 1), unit(c3_reduce, c3, 3, padding=1)
        )
        self.branch3 = nn.Sequential(
            unit(in_channels, c5_reduce, 1), unit(c5_reduce, c5, k5, padding=k5 // 2)
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            unit(in_channels, pool_proj, 1),
        )
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)


class AuxClassifier(nn.Module):
    """Auxiliary classifier: 4x4 average pool, 1x1 conv (128), fc 1024 + ReLU, dropout, fc."""

    def __init__(self, in_channels, num_classes, *, dropout, layout=GOOGLENET_LAYOUTS["torchvision"]):
        super().__init__()
        self.conv = _unit(layout)(in_channels, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        # adaptive: a 14x14 map (224x224 input) gives the paper's 5x5/3 pooling's 4x4
        x = F.adaptive_avg_pool2d(x, (4, 4))
        x = self.conv(x).flatten(1)
        x = F.relu(self.fc1(x))
        return self.fc2(self.dropout(x))


class GoogLeNet(nn.Module):
    """Stem, nine inception blocks, global average pool, dropout, fc (and two aux classifiers)."""

    def __init__(
        self,
        *,
        num_classes,
        include_top,
        in_channels,
        aux_logits,
        dropout,
        dropout_aux,
        layout=GOOGLENET_LAYOUTS["torchvision"],
    ):
        super().__init__()
        unit = _unit(layout)
        self.include_top = include_top
        self.aux_logits = aux_logits and include_top
        self._order = [layer.name for layer in GOOGLENET_LAYERS]
        self._taps = {block: aux for aux, block in GOOGLENET_AUX.items()} if self.aux_logits else {}
        channels = in_channels
        for layer in GOOGLENET_LAYERS:
            if isinstance(layer, Conv):
                module = unit(
                    channels,
                    layer.filters,
                    layer.kernel_size,
                    stride=layer.stride,
                    padding=layer.padding,
                )
                channels = layer.filters
            elif isinstance(layer, Block):
                module = InceptionBlock(channels, layer.widths, layout)
                channels = module.out_channels
            else:
                module = nn.MaxPool2d(layer.kernel_size, layer.stride, ceil_mode=layer.ceil_mode)
            self.add_module(layer.name, module)
            if layer.name in self._taps:
                aux = AuxClassifier(channels, num_classes, dropout=dropout_aux, layout=layout)
                self.add_module(self._taps[layer.name], aux)
        if include_top:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's scheme: N(0, 0.01) for conv and fc weights, BN as the identity
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(module.weight, std=0.01, a=-0.02, b=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        aux = {}
        for name in self._order:
            x = getattr(self, name)(x)
            # the auxiliary classifiers only train the lower layers; eval skips them
            if name in self._taps and self.training:
                aux[self._taps[name]] = getattr(self, self._taps[name])(x)
        if not self.include_top:
            return x
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if aux:
            return GoogLeNetOutputs(x, aux["aux2"], aux["aux1"])
        return x


def googlenet(
    *,
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    aux_logits=False,
    dropout=None,
    dropout_aux=0.7,
    layout="torchvision",
):
    """Build GoogLeNet as a ``torch.nn.Module`` taking ``(N, C, H, W)``.

    Parameters
    ----------
    num_classes : int, default=1000
        Width of the final ``fc`` layer (and of the auxiliary classifiers' ``fc2``).
    include_top : bool, default=True
        False drops the average pool, dropout, ``fc`` and the auxiliary classifiers: the model
        returns the ``inception5b`` map, ``(N, 1024, 7, 7)`` for 224x224 inputs.
    input_size : (int, int), default=(224, 224)
        Checked (each side at least 32); the network itself takes any size from 32 up.
    in_channels : int, default=3
        Channels of the input image.
    aux_logits : bool, default=False
        Add the auxiliary classifiers ``aux1`` (after ``inception4a``) and ``aux2`` (after
        ``inception4d``). In training mode the model then returns
        ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``; in eval mode only the logits.
    dropout : float, optional
        Dropout probability before ``fc``; by default the layout's (0.2 torchvision, 0.4 paper).
    dropout_aux : float, default=0.7
        Dropout probability before each auxiliary classifier's ``fc2``.
    layout : {"torchvision", "paper"}, default="torchvision"
        torchvision's layout (BatchNorm, a 3x3 "5x5" branch) or the paper's (biases, no
        BatchNorm, a true 5x5 branch).

    Returns
    -------
    GoogLeNet
        An ``nn.Module`` whose parameter names are torchvision's ``state_dict`` keys (the paper's
        layout has no ``.bn`` entries).

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    spec, dropout, _ = check_googlenet_options(
        aux_logits=aux_logits,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
        dropout_aux=dropout_aux,
        layout=layout,
    )
    return GoogLeNet(
        num_classes=num_classes,
        include_top=bool(include_top),
        in_channels=in_channels,
        aux_logits=aux_logits,
        dropout=dropout,
        dropout_aux=dropout_aux,
        layout=spec,
    )
