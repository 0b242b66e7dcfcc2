"""Offline pretrained weights: file names (facts from torchvision's weight enums and
keras.applications' sources), the cache folders (as torch.hub and Keras compute them), loading
files the tests write, and errors that name the missing file and its folder."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")
from keras.src.applications import vgg16 as keras_vgg16_module
from keras.src.applications import vgg19 as keras_vgg19_module
from keras.src.legacy.saving import legacy_h5_format

from cnnlab.reference import build
from cnnlab.reference.weights import (
    KERAS_APPLICATIONS_FILES,
    TORCHVISION_FILES,
    _fix_densenet_keys,
    find_weights,
    keras_applications_names,
    keras_models_dir,
    load_weights,
    torch_checkpoint_dir,
    weights_file,
)

ENUMS = {"alexnet_tv": "AlexNet", "googlenet": "GoogLeNet", "inception_v3": "Inception_V3",
         "mobilenet_v2": "MobileNet_V2"}


@pytest.mark.parametrize("arch", list(TORCHVISION_FILES))
def test_torch_file_names_are_torchvisions(arch):
    enum = ENUMS.get(arch) or arch.replace("vgg", "VGG").replace("resnet", "ResNet") \
        .replace("densenet", "DenseNet").replace("_bn", "_BN")
    url = getattr(torchvision.models, f"{enum}_Weights").IMAGENET1K_V1.url
    assert TORCHVISION_FILES[arch] == url.rsplit("/", 1)[1]


def test_keras_file_names_are_keras_applications():
    for arch, module in (("vgg16", keras_vgg16_module), ("vgg19", keras_vgg19_module)):
        top, notop = KERAS_APPLICATIONS_FILES[arch]
        assert module.WEIGHTS_PATH.rsplit("/", 1)[1] == top
        assert module.WEIGHTS_PATH_NO_TOP.rsplit("/", 1)[1] == notop


def test_cache_folders_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert torch_checkpoint_dir() == Path(torch.hub.get_dir()) / "checkpoints" == tmp_path / "th/hub/checkpoints"
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert torch_checkpoint_dir() == Path(torch.hub.get_dir()) / "checkpoints" == tmp_path / "xdg/torch/hub/checkpoints"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert keras_models_dir() == tmp_path / "kh" / "models"  # Keras: $KERAS_HOME/models
    assert weights_file("vgg16", "keras", include_top=False) == tmp_path / "kh/models" / KERAS_APPLICATIONS_FILES["vgg16"][1]


def test_missing_files_name_the_file_and_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    with pytest.raises(FileNotFoundError, match=f"resnet50-0676ba61.pth in {folder}"):
        find_weights("resnet50", "torch")
    with pytest.raises(FileNotFoundError, match=f"vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 in {tmp_path / 'models'}"):
        load_weights(build("vgg16", "keras", include_top=False, input_size=32), "vgg16")
    with pytest.raises(FileNotFoundError, match=f"no mine.pt in {tmp_path}"):
        find_weights("resnet18", "torch", weights=tmp_path / "mine.pt")
    with pytest.raises(ValueError, match="torchvision publishes no ImageNet weights for 'lenet5'"):
        find_weights("lenet5", "torch")
    with pytest.raises(ValueError, match="no keras.applications weights map onto cnnlab's Keras 'resnet50'"):
        find_weights("resnet50", "keras")


def test_torch_checkpoint_loads_from_torch_home(monkeypatch, tmp_path):
    """A torchvision ResNet-18 state_dict saved under the exact file name loads into our base;
    the classifier's weights are reported as left out, and the features equal torchvision's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(0)
    theirs = torchvision.models.resnet18().eval()
    path = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    path.parent.mkdir(parents=True)
    torch.save(theirs.state_dict(), path)
    ours = build("resnet18", "torch", include_top=False, input_size=32).eval()
    assert load_weights(ours, "resnet18") == ["fc.bias", "fc.weight"]
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        features = torch.nn.Sequential(*list(theirs.children())[:-2])(x)
        assert torch.equal(ours(x), features)
    with pytest.raises(ValueError, match=r"does not fit this model: missing \d+ \(first: layer1.2.conv1.weight\)"):
        load_weights(build("resnet34", "torch", include_top=False, input_size=32), "resnet34", weights=path)


def test_densenet_checkpoints_old_key_names_are_renamed():
    """torchvision's DenseNet files say ``norm.1``; its modules (and ours) ``norm1``."""
    old = {"features.denseblock1.denselayer1.norm.1.weight": 1,
           "features.denseblock1.denselayer12.conv.2.weight": 2, "features.norm5.weight": 3}
    assert _fix_densenet_keys(old) == {"features.denseblock1.denselayer1.norm1.weight": 1,
                                       "features.denseblock1.denselayer12.conv2.weight": 2,
                                       "features.norm5.weight": 3}


def walked_names(theirs):
    """keras.applications layer -> our layer, found by walking its model (as tests/models does):
    a convolution and its ReLU take two indices of features, a pooling one."""
    names, index = {}, 0
    for layer in theirs.layers:
        if isinstance(layer, keras.layers.Conv2D):
            names[layer.name], index = f"features.{index}", index + 2
        elif isinstance(layer, keras.layers.MaxPooling2D):
            names[layer.name], index = f"features.{index}", index + 1
    return names


def test_keras_applications_file_loads_through_the_name_map(monkeypatch, tmp_path):
    """keras.applications' VGG16 without top, written in the format of its published files, loads
    into cnnlab's Keras VGG16 base, which then computes what keras.applications' model does."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras.utils.set_random_seed(0)
    theirs = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert keras_applications_names("vgg16", include_top=False) == walked_names(theirs)
    path = tmp_path / "models" / KERAS_APPLICATIONS_FILES["vgg16"][1]
    path.parent.mkdir(parents=True)
    import h5py

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    ours = build("vgg16", "keras", include_top=False, input_size=32)
    assert load_weights(ours, "vgg16") == []
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 3)).astype(np.float32)
    expected = np.asarray(theirs(x, training=False))
    np.testing.assert_allclose(np.asarray(ours(x, training=False)), expected, rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())
    with pytest.raises(ValueError, match="has no weights for layer.*build the model with include_top=False"):
        load_weights(build("vgg16", "keras"), "vgg16", weights=path)


def test_cnnlab_weights_file_loads_for_any_architecture(tmp_path):
    keras.utils.set_random_seed(1)
    source = build("lenet5", "keras", include_top=False)
    path = tmp_path / "mine.weights.h5"
    source.save_weights(str(path))
    target = build("lenet5", "keras", include_top=False)
    assert load_weights(target, "lenet5", weights=path) == []
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights(), strict=True))
