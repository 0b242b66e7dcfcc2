"""Classic CNN architectures in PyTorch and in Keras 3.

Implement ``build`` (see README.md for the exact layers of each network). Import torch before
keras if you use both in this file.
"""

ARCHS = ("lenet5", "alexnet", "vgg16", "resnet18", "resnet50")
FRAMEWORKS = ("torch", "keras")


def build(arch, framework, num_classes=1000):
    """Return an untrained ``arch`` model for ``framework``.

    Parameters
    ----------
    arch : {"lenet5", "alexnet", "vgg16", "resnet18", "resnet50"}
    framework : {"torch", "keras"}
        ``"torch"`` returns a ``torch.nn.Module`` taking ``(N, C, H, W)``; ``"keras"`` a
        ``keras.Model`` taking ``(N, H, W, C)``.
    num_classes : int, default=1000
        Width of the last layer, which returns logits (no softmax).
    """
    raise NotImplementedError(f"build({arch!r}, {framework!r}) is not implemented yet")
