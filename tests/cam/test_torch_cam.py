"""cnnlab.reference.cam._torch against the grad-cam package, the CAM/Grad-CAM identity and the boxes."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pytorch_grad_cam", reason="the Grad-CAM oracle comes with the test-full extra")
from pytorch_grad_cam import GradCAM, GuidedBackpropReLUModel  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

from cnnlab import reference
from cnnlab.reference.cam import _torch as torch_cam
from cnnlab.reference.cam import peak_in_box
from cnnlab.reference.cam.training import accuracy


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    return reference.build("resnet18", "torch", num_classes=10, input_size=64).eval()


def _package_grad_cam(model, images, layer, classes):
    module = dict(model.named_modules())[layer]
    with GradCAM(model=model, target_layers=[module]) as method:
        return method(input_tensor=torch.from_numpy(images),
                      targets=[ClassifierOutputTarget(int(k)) for k in classes])


@pytest.mark.parametrize("layer", ["features", "features.5"])
def test_grad_cam_matches_the_package_on_the_shapes_net(shapes_net, held_out, layer):
    images, classes = held_out.images[:16], held_out.labels[:16]
    ours = torch_cam.grad_cam(shapes_net, images, layer=layer, class_index=classes)
    expected = _package_grad_cam(shapes_net, images, layer, classes)
    assert ours.shape == expected.shape == (16, 32, 32)
    # maps are in [0, 1]; the package resizes in float32 with OpenCV, we in float64
    np.testing.assert_allclose(ours, expected, atol=1e-4)


@pytest.mark.parametrize("layer", ["layer4", "layer3.1.conv2", "layer2"])
def test_grad_cam_matches_the_package_on_resnet18(resnet, rng, layer):
    # torchvision's ResNet layout: in-place ReLUs after the hooked layers, residual additions
    images = rng.normal(size=(2, 3, 64, 64)).astype(np.float32)
    ours = torch_cam.grad_cam(resnet, images, layer=layer, class_index=[1, 7])
    expected = _package_grad_cam(resnet, images, layer, [1, 7])
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_predicted_class_is_the_default(resnet, rng):
    images = rng.normal(size=(2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        predicted = resnet(torch.from_numpy(images)).argmax(1).numpy()
    np.testing.assert_array_equal(torch_cam.grad_cam(resnet, images),
                                  torch_cam.grad_cam(resnet, images, layer="layer4", class_index=predicted))


def test_cam_is_grad_cam_on_a_gap_network(shapes_net, held_out, resnet, rng):
    # Selvaraju et al. 2017, section 3.1: for a GAP network Grad-CAM's channel weights are the
    # classifier's weights divided by the map size, so the normalised maps coincide
    maps = torch_cam.cam(shapes_net, held_out.images[:32])
    np.testing.assert_allclose(maps, torch_cam.grad_cam(shapes_net, held_out.images[:32]), atol=1e-5)
    images = rng.normal(size=(2, 3, 64, 64)).astype(np.float32)
    np.testing.assert_allclose(torch_cam.cam(resnet, images, layer="layer4"),
                               torch_cam.grad_cam(resnet, images, layer="layer4"), atol=1e-5)


def test_guided_backprop_matches_the_package(shapes_net, held_out):
    package = GuidedBackpropReLUModel(model=copy.deepcopy(shapes_net), device="cpu")
    for i, k in [(0, 2), (5, 0), (9, None)]:
        image = held_out.images[i:i + 1]
        ours = torch_cam.guided_backprop(shapes_net, image, class_index=k)
        expected = package(torch.from_numpy(image), target_category=k)  # (H, W, C)
        np.testing.assert_allclose(ours[0].transpose(1, 2, 0), expected, atol=1e-6)


def test_guided_backprop_catches_functional_and_inplace_relus(resnet, rng):
    # torchvision's ResNet uses nn.ReLU(inplace=True); the package swaps those modules only,
    # so both must agree here; a model calling F.relu must give the same gradient as its twin
    # built from nn.ReLU modules
    images = rng.normal(size=(1, 3, 64, 64)).astype(np.float32)
    ours = torch_cam.guided_backprop(resnet, images, class_index=3)
    package = GuidedBackpropReLUModel(model=copy.deepcopy(resnet), device="cpu")
    np.testing.assert_allclose(ours[0].transpose(1, 2, 0),
                               package(torch.from_numpy(images), target_category=3), atol=1e-6)

    class Functional(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            for layer in self.net.features:
                x = torch.nn.functional.relu(x) if isinstance(layer, torch.nn.ReLU) else layer(x)
            return self.net.fc(self.net.pool(x).flatten(1))

    net = torch_cam.build_gap_net()
    x = rng.normal(size=(2, 1, 16, 16)).astype(np.float32)
    np.testing.assert_array_equal(torch_cam.guided_backprop(Functional(net), x, class_index=1),
                                  torch_cam.guided_backprop(net, x, class_index=1))
    plain = torch.from_numpy(x).requires_grad_(True)
    net(plain)[:, 1].sum().backward()
    assert not np.allclose(plain.grad.numpy(), torch_cam.guided_backprop(net, x, class_index=1))


def test_guided_grad_cam_is_the_product(shapes_net, held_out):
    images = held_out.images[:4]
    expected = (torch_cam.guided_backprop(shapes_net, images)
                * torch_cam.grad_cam(shapes_net, images)[:, None])
    np.testing.assert_allclose(torch_cam.guided_grad_cam(shapes_net, images), expected, atol=1e-7)


def test_cam_localises_the_shapes(shapes_net, held_out):
    # the bar: the CAM peak lies inside the object's box on at least 90% of the held-out
    # images (another seed than the training images)
    assert accuracy(shapes_net, held_out) >= 0.9
    maps = torch_cam.cam(shapes_net, held_out.images)
    rate = peak_in_box(maps, held_out.boxes).mean()
    assert rate >= 0.9
    # and it is the object that does it: the same boxes moved half an image along each axis
    # (into the other half, clipped to the image) catch almost no peaks
    boxes = held_out.boxes
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    shift = np.where(centre < 16, 16, -16)
    moved = np.clip(boxes + np.concatenate([shift, shift], axis=1), 0, 32)
    assert peak_in_box(maps, moved).mean() < 0.1


def test_model_mode_and_gradients_are_left_alone(shapes_net, held_out):
    shapes_net.zero_grad(set_to_none=True)
    shapes_net.train()
    try:
        torch_cam.grad_cam(shapes_net, held_out.images[:2])
        torch_cam.guided_backprop(shapes_net, held_out.images[:2])
        assert shapes_net.training
        assert all(p.grad is None for p in shapes_net.parameters())
    finally:
        shapes_net.eval()


def test_feature_layers_and_errors(shapes_net, held_out):
    images = held_out.images[:2]
    layers = torch_cam.feature_layers(shapes_net, images)
    assert layers[-1] == "features" and "features.0" in layers and "fc" not in layers
    with pytest.raises(ValueError, match=r"unknown layer 'features.99'; valid layers: features.0, features.1"):
        torch_cam.grad_cam(shapes_net, images, layer="features.99")
    with pytest.raises(ValueError, match=r"layer 'fc' outputs \(2, 4\), not a \(N, C, H, W\) feature map"):
        torch_cam.grad_cam(shapes_net, images, layer="fc")
    with pytest.raises(ValueError, match="class_index 4 is out of range: the model has 4 classes"):
        torch_cam.cam(shapes_net, images, class_index=4)
    with pytest.raises(ValueError, match=r"images must be a \(N, C, H, W\) batch"):
        torch_cam.grad_cam(shapes_net, images[0])


def test_cam_refuses_networks_without_global_average_pooling(shapes_net, held_out):
    lenet = reference.build("lenet5", "torch").eval()
    with pytest.raises(ValueError, match="CAM needs the classifier 'classifier.4' .* use grad_cam"):
        torch_cam.cam(lenet, np.zeros((1, 1, 32, 32), np.float32))
    # the right width, but not what is pooled: features.7 is the last convolution, before its ReLU
    with pytest.raises(ValueError, match="something else sits between them"):
        torch_cam.cam(shapes_net, held_out.images[:2], layer="features.7")
