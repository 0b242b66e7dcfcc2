"""A fake: torchvision's and keras.applications' models, renamed. torchvision's ResNet-18 and
VGG-16 and keras.applications' VGG16 have exactly the layout asked for; its ResNet50 (v1, with
convolution biases) and torchvision's AlexNet (64-192-384-256-256 filters) do not. The
assignment forbids model zoos (assignment.toml: forbid_model_zoo), so none of them earns
anything, and the imports are reported."""

import torch
import torchvision

try:  # the Keras half; a grader with torch alone still grades the torch half
    import keras
except ModuleNotFoundError:
    keras = None


def build(arch, framework, num_classes=1000):
    if framework == "torch":
        makers = {"alexnet": torchvision.models.alexnet, "vgg16": torchvision.models.vgg16,
                  "resnet18": torchvision.models.resnet18, "resnet50": torchvision.models.resnet50}
        if arch not in makers:
            raise NotImplementedError(arch)
        return makers[arch](weights=None, num_classes=num_classes)
    if arch == "vgg16":
        model = keras.applications.VGG16(weights=None, classes=num_classes, classifier_activation=None)
    elif arch in ("resnet18", "resnet50"):
        model = keras.applications.ResNet50(weights=None, classes=num_classes, classifier_activation=None)
    else:
        raise NotImplementedError(arch)
    model.name = f"my_{arch}"
    return model
