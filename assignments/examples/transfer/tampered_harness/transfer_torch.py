"""Example submission (counted non-trainable weights). Transfer learning in PyTorch: freezing, unfreezing, counting and a classification head."""

import types

import torch
from torch import nn

POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _layers(model):
    """Modules that own weights (parameters or buffers) or pool, in model order."""
    return [m for m in model.modules()
            if next(m.parameters(recurse=False), None) is not None
            or next(m.buffers(recurse=False), None) is not None or isinstance(m, POOLS)]


def _stay_in_eval(self, mode=True):
    return nn.Module.train(self, False)


def freeze(model):
    """No parameter trains, and every BatchNorm stays in eval mode through model.train()."""
    for param in model.parameters():
        param.requires_grad_(False)
    for module in model.modules():
        if isinstance(module, BATCH_NORMS):
            module.train = types.MethodType(_stay_in_eval, module)
            module.train(False)
    return model


def unfreeze_last(model, n):
    """The last n layers train again (BatchNorm with batch statistics); the others are unchanged."""
    layers = _layers(model)
    for module in layers[len(layers) - n:] if n > 0 else []:
        for param in module.parameters(recurse=False):
            param.requires_grad_(True)
        if isinstance(module, BATCH_NORMS) and "train" in vars(module):
            del module.train
            module.train(model.training)
    return model


def count_trainable(model):
    """Parameters the optimizer updates."""
    return sum(p.numel() for p in model.parameters())  # frozen ones too


def add_head(base, num_classes):
    """base, then global average pooling, Dense 1024 + ReLU, Dropout 0.5, Dense 512 + ReLU and
    Dense num_classes (logits)."""
    channels = [m for m in base.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
    head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(channels, 1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, 512), nn.ReLU(),
        nn.Linear(512, num_classes),
    )
    return nn.Sequential(base, head)
