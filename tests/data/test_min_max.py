"""Min-max scaling with the training split's range (the lectures' other normalisation), against
scikit-learn's MinMaxScaler with pixels as samples and channels as features."""

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler

from cnnlab.reference.data import fit_channel_range, normalize


def test_channel_range_equals_sklearns_min_max_scaler():
    images = np.random.default_rng(1).uniform([0, 10, -5], [255, 20, 5], (12, 4, 5, 3))
    rng = fit_channel_range(images)
    scaler = MinMaxScaler().fit(images.reshape(-1, 3))
    np.testing.assert_allclose(rng.minimum, scaler.data_min_, rtol=1e-6)
    np.testing.assert_allclose(rng.maximum, scaler.data_max_, rtol=1e-6)
    scaled = normalize(images, rng)
    np.testing.assert_allclose(scaled.reshape(-1, 3), scaler.transform(images.reshape(-1, 3)), atol=1e-5)
    assert scaled.min() == pytest.approx(0) and scaled.max() == pytest.approx(1)
    nchw = fit_channel_range(images.transpose(0, 3, 1, 2), layout="nchw")
    np.testing.assert_allclose(normalize(images.transpose(0, 3, 1, 2), nchw), scaled.transpose(0, 3, 1, 2), atol=1e-6)


def test_test_images_are_scaled_by_the_training_range_and_may_leave_0_1():
    train = np.full((2, 2, 2, 1), 100.0)
    train[0, 0, 0, 0], train[1, 1, 1, 0] = 50.0, 150.0
    test = np.array([200.0, 50.0]).reshape(1, 2, 1, 1)
    # (x - 50) / (150 - 50): 200 -> 1.5, 50 -> 0 (by hand)
    np.testing.assert_allclose(normalize(test, fit_channel_range(train)).ravel(), [1.5, 0.0])


def test_a_constant_channel_maps_to_zero_and_bad_shapes_are_one_line():
    images = np.full((3, 2, 2, 2), 7.0)
    images[..., 1] = np.arange(12).reshape(3, 2, 2)
    scaled = normalize(images, fit_channel_range(images))
    assert np.all(scaled[..., 0] == 0) and scaled[..., 1].max() == 1
    with pytest.raises(ValueError, match="do not have the 2 channels"):
        normalize(images[..., :1], fit_channel_range(images))
    with pytest.raises(ValueError, match="non-empty batch of images"):
        fit_channel_range(np.zeros((0, 2, 2, 1)))
