"""Hidden tests of the architectures assignment: VGG-16, ResNet-18 and ResNet-50 in both
frameworks, graded like the public LeNet-5 and AlexNet."""

import pytest

from cnnlab.bench.judges import architectures


@pytest.mark.points(10)
@pytest.mark.parametrize("framework", architectures.FRAMEWORKS)
@pytest.mark.parametrize("arch", ["vgg16", "resnet18", "resnet50"])
def test_architecture(arch, framework, graded):
    graded(arch, framework)
