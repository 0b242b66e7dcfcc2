"""ImageNet class names, decode_predictions and the preprocessing presets.

Oracles: ``keras.applications.imagenet_utils.preprocess_input`` (its own function, offline) for
every mode and data format; torchvision's weight metadata for the class names (the JSON's
source); numpy's sort for the top-k.
"""

import numpy as np
import pytest

from cnnlab.reference import imagenet

IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 5, 4, 3)).astype("float32")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocessing_equals_keras_applications(mode, data_format):
    keras = pytest.importorskip("keras")
    x = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    theirs = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode=mode,
                                                                data_format=data_format)
    ours = imagenet.preprocess_input(x, mode=mode, data_format=data_format)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(x, IMAGES if data_format == "channels_last" else x)  # unchanged


def test_class_names_are_torchvisions_1000():
    names = imagenet.class_names()
    assert len(names) == 1000 and names[0] == "tench" and names[386] == "African elephant"
    torchvision = pytest.importorskip("torchvision")
    assert list(names) == torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"]


def test_decode_predictions_top_k():
    preds = np.zeros((2, 1000))
    preds[0, [386, 101, 385]] = [0.6, 0.3, 0.1]  # African elephant, tusker, Indian elephant
    preds[1, 0] = 1.0
    decoded = imagenet.decode_predictions(preds, top=3)
    assert [i for i, _, _ in decoded[0]] == [386, 101, 385]
    assert decoded[0][0][1:] == ("African elephant", 0.6)
    assert decoded[1][0] == (0, "tench", 1.0) and len(decoded[1]) == 3
    with pytest.raises(ValueError, match=r"preds must have shape \(N, 1000\)"):
        imagenet.decode_predictions(np.zeros((1, 10)))
    with pytest.raises(ValueError, match="mode must be one of 'caffe', 'tf', 'torch'"):
        imagenet.preprocess_input(IMAGES, mode="inception")
