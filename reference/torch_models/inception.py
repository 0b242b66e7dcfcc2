"""Inception v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture") in PyTorch.

Two layouts (``cnnlab.reference.catalog.inception.LAYOUTS``):

* ``"torchvision"`` (default): module paths are torchvision's ``state_dict`` keys
  (``Conv2d_1a_3x3.conv``, ``Mixed_5b.branch1x1.bn``, ``AuxLogits.fc``, ``fc``), so
  ``model.load_state_dict(torchvision.models.inception_v3().state_dict())`` works strictly.
* ``"keras"``: keras.applications' InceptionV3. The same blocks and names, but BatchNorm without
  a scale (:func:`scaleless_batch_norm2d`, Keras momentum 0.99), branch average pools that do not
  count the padding, no dropout, no auxiliary classifier.

Like torchvision with ``weights=None``, the model does not re-normalise its input
(``transform_input=False``). With the auxiliary classifier it returns :class:`InceptionOutputs`
in training mode and only the logits in eval mode.
"""

from __future__ import annotations

from collections import namedtuple
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from ..catalog.inception import (
    INCEPTION_V3_AUX_AFTER,
    INCEPTION_V3_LAYERS,
    Block,
    Conv,
    Layout,
    check_inception_v3_options,
)
from .googlenet import ConvBNReLU

#: What Inception v3 with its auxiliary classifier returns in training mode.
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])


def scaleless_batch_norm2d(num_features, *, eps, momentum):
    """A ``BatchNorm2d`` that learns a shift (``bias``) but no scale: Keras' ``scale=False``.

    Built as ``affine=False`` plus a ``bias`` parameter, so its ``weight`` is None and its
    ``state_dict`` holds ``bias``, ``running_mean``, ``running_var`` and ``num_batches_tracked``,
    which map one to one onto Keras' beta and moving statistics. It stays a plain
    ``nn.BatchNorm2d``, so code that looks for BatchNorm layers by type finds it.
    """
    bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
    bn.bias = nn.Parameter(torch.zeros(num_features))
    return bn


def _norm(layout: Layout):
    """Factory of the layout's BatchNorm, from a channel count."""
    if layout.bn_scale:
        return partial(nn.BatchNorm2d, eps=layout.bn_epsilon, momentum=layout.bn_momentum)
    return partial(scaleless_batch_norm2d, eps=layout.bn_epsilon, momentum=layout.bn_momentum)


def _branch_pool(layout: Layout):
    """The blocks' 3x3/1 average pool, padded by one pixel."""
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=layout.pool_counts_padding)


class InceptionA(nn.Module):
    """35x35 block (Figure 5): 1x1, 5x5, double 3x3, and pooled 1x1 branches."""

    def __init__(self, in_channels, pool_features, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        self.branch1x1 = unit(in_channels, 64, 1)
        self.branch5x5_1 = unit(in_channels, 48, 1)
        self.branch5x5_2 = unit(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = unit(in_channels, 64, 1)
        self.branch3x3dbl_2 = unit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = unit(96, 96, 3, padding=1)
        self.avgpool = _branch_pool(layout)
        self.branch_pool = unit(in_channels, pool_features, 1)
        self.out_channels = 64 + 64 + 96 + pool_features

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(self.avgpool(x))
        return torch.cat([b1, b5, b3, bp], dim=1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: stride-2 3x3, stride-2 double 3x3, and max pool branches."""

    def __init__(self, in_channels, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        self.branch3x3 = unit(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = unit(in_channels, 64, 1)
        self.branch3x3dbl_2 = unit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = unit(96, 96, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.out_channels = 384 + 96 + in_channels

    def forward(self, x):
        b3 = self.branch3x3(x)
        b3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, b3dbl, self.maxpool(x)], dim=1)


class InceptionC(nn.Module):
    """17x17 block (Figure 6, n=7): 7x7 convolutions factored into 1x7 and 7x1."""

    def __init__(self, in_channels, channels_7x7, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        c7 = channels_7x7
        self.branch1x1 = unit(in_channels, 192, 1)
        self.branch7x7_1 = unit(in_channels, c7, 1)
        self.branch7x7_2 = unit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = unit(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = unit(in_channels, c7, 1)
        self.branch7x7dbl_2 = unit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = unit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = unit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = unit(c7, 192, (1, 7), padding=(0, 3))
        self.avgpool = _branch_pool(layout)
        self.branch_pool = unit(in_channels, 192, 1)
        self.out_channels = 4 * 192

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        b7dbl = x
        for index in range(1, 6):
            b7dbl = getattr(self, f"branch7x7dbl_{index}")(b7dbl)
        bp = self.branch_pool(self.avgpool(x))
        return torch.cat([b1, b7, b7dbl, bp], dim=1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1x1 + stride-2 3x3, 1x1 + 1x7 + 7x1 + stride-2 3x3, max pool."""

    def __init__(self, in_channels, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        self.branch3x3_1 = unit(in_channels, 192, 1)
        self.branch3x3_2 = unit(192, 320, 3, stride=2)
        self.branch7x7x3_1 = unit(in_channels, 192, 1)
        self.branch7x7x3_2 = unit(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = unit(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = unit(192, 192, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.out_channels = 320 + 192 + in_channels

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for index in range(1, 5):
            b7 = getattr(self, f"branch7x7x3_{index}")(b7)
        return torch.cat([b3, b7, self.maxpool(x)], dim=1)


class InceptionE(nn.Module):
    """8x8 block (Figure 7): the 3x3 branches end in parallel 1x3 and 3x1 convolutions."""

    def __init__(self, in_channels, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        self.branch1x1 = unit(in_channels, 320, 1)
        self.branch3x3_1 = unit(in_channels, 384, 1)
        self.branch3x3_2a = unit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = unit(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = unit(in_channels, 448, 1)
        self.branch3x3dbl_2 = unit(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = unit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = unit(384, 384, (3, 1), padding=(1, 0))
        self.avgpool = _branch_pool(layout)
        self.branch_pool = unit(in_channels, 192, 1)
        self.out_channels = 320 + 2 * 384 + 2 * 384 + 192

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], dim=1)
        b3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        b3dbl = torch.cat([self.branch3x3dbl_3a(b3dbl), self.branch3x3dbl_3b(b3dbl)], dim=1)
        bp = self.branch_pool(self.avgpool(x))
        return torch.cat([b1, b3, b3dbl, bp], dim=1)


_BLOCKS = {"A": InceptionA, "B": InceptionB, "C": InceptionC, "D": InceptionD, "E": InceptionE}


class AuxClassifier(nn.Module):
    """Auxiliary classifier on the 17x17 map: 5x5/3 average pool, 1x1 conv, 5x5 conv, fc."""

    def __init__(self, in_channels, num_classes, *, layout):
        super().__init__()
        unit = partial(ConvBNReLU, norm=_norm(layout))
        self.conv0 = unit(in_channels, 128, 1)
        self.conv1 = unit(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = F.avg_pool2d(x, 5, stride=3)
        x = self.conv1(self.conv0(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Inception3(nn.Module):
    """Stem, eleven mixed blocks, global average pool, dropout, fc (and ``AuxLogits``)."""

    def __init__(self, *, num_classes, include_top, in_channels, aux_logits, dropout, layout):
        super().__init__()
        self.include_top = include_top
        self.aux_logits = aux_logits and include_top
        self._order = [layer.name for layer in INCEPTION_V3_LAYERS]
        channels = in_channels
        for layer in INCEPTION_V3_LAYERS:
            if isinstance(layer, Conv):
                module = ConvBNReLU(
                    channels,
                    layer.filters,
                    layer.kernel_size,
                    stride=layer.stride,
                    padding=layer.padding,
                    norm=_norm(layout),
                )
                channels = layer.filters
            elif isinstance(layer, Block):
                module = _BLOCKS[layer.kind](channels, *layer.widths, layout=layout)
                channels = module.out_channels
            else:
                module = nn.MaxPool2d(layer.kernel_size, layer.stride, ceil_mode=layer.ceil_mode)
            self.add_module(layer.name, module)
            if layer.name == INCEPTION_V3_AUX_AFTER and self.aux_logits:
                self.AuxLogits = AuxClassifier(channels, num_classes, layout=layout)
        if include_top:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's scheme: truncated N(0, 0.1), narrower for the aux head; BN as the identity
        stddev = {}
        if self.aux_logits:
            stddev = {self.AuxLogits.conv1.conv: 0.01, self.AuxLogits.fc: 0.001}
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                std = stddev.get(module, 0.1)
                nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_running_stats()
                if module.weight is not None:
                    nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        aux = None
        for name in self._order:
            x = getattr(self, name)(x)
            # the auxiliary classifier only trains the lower layers; eval skips it
            if name == INCEPTION_V3_AUX_AFTER and self.aux_logits and self.training:
                aux = self.AuxLogits(x)
        if not self.include_top:
            return x
        x = self.fc(self.dropout(self.avgpool(x)).flatten(1))
        if aux is not None:
            return InceptionOutputs(x, aux)
        return x


def inception_v3(
    *,
    num_classes=1000,
    include_top=True,
    input_size=(299, 299),
    in_channels=3,
    aux_logits=False,
    layout="torchvision",
    dropout=None,
):
    """Build Inception v3 as a ``torch.nn.Module`` taking ``(N, C, H, W)``.

    Parameters
    ----------
    num_classes : int, default=1000
        Width of the final ``fc`` layer (and of ``AuxLogits.fc``).
    include_top : bool, default=True
        False drops the average pool, dropout, ``fc`` and ``AuxLogits``: the model returns the
        ``Mixed_7c`` map, ``(N, 2048, 8, 8)`` for 299x299 inputs.
    input_size : (int, int), default=(299, 299)
        Checked (each side at least 75, at least 299 with ``aux_logits``); the network itself
        takes any size from 75 up.
    in_channels : int, default=3
        Channels of the input image.
    aux_logits : bool, default=False
        Add the auxiliary classifier ``AuxLogits`` after ``Mixed_6e``. In training mode the model
        then returns ``InceptionOutputs(logits, aux_logits)``; in eval mode only the logits.
        torchvision's layout only.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: torchvision's Inception v3. ``"keras"``: keras.applications'
        InceptionV3 (BN without scale, Keras momentum 0.99, average pools that skip the padding,
        no dropout, no auxiliary classifier).
    dropout : float, optional
        Dropout probability before ``fc``; the layout's (0.5 torchvision, 0 keras) if omitted.

    Returns
    -------
    Inception3
        An ``nn.Module`` whose parameter names are torchvision's ``state_dict`` keys.

    Raises
    ------
    ValueError
        If an option is out of range, or ``aux_logits`` is asked where it cannot be built.
    """
    layout_spec, dropout, _ = check_inception_v3_options(
        aux_logits=aux_logits,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
    )
    return Inception3(
        num_classes=num_classes,
        include_top=bool(include_top),
        in_channels=in_channels,
        aux_logits=aux_logits,
        dropout=dropout,
        layout=layout_spec,
    )
