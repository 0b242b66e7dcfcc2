"""Splits, normalisation from the training split only (and the leak the other way causes),
seeded augmentation, and mini-batches that are the same in torch and Keras."""

import numpy as np
import pytest
import scipy.ndimage

torch = pytest.importorskip("torch")
from sklearn.preprocessing import StandardScaler

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from cnnlab.reference.data import (
    ArrayBatches,
    Augmentation,
    augment,
    fit_channel_stats,
    loader,
    normalize,
    per_class_indices,
    split_indices,
)
from cnnlab.reference.data.warp import affine_matrix, warp_affine

LABELS = np.repeat(np.arange(4), [40, 30, 20, 11])


def test_split_is_stratified_disjoint_and_seeded():
    train, val, test = split_indices(LABELS, val=0.2, test=0.25, seed=3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(len(LABELS)))
    for c, n in enumerate([40, 30, 20, 11]):
        assert (LABELS[test] == c).sum() == round(0.25 * n)
        assert (LABELS[val] == c).sum() == round(0.2 * n)
    again = split_indices(LABELS, val=0.2, test=0.25, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    assert not np.array_equal(test, split_indices(LABELS, val=0.2, test=0.25, seed=4)[2])
    with pytest.raises(ValueError, match="val \\+ test must leave samples to train on"):
        split_indices(LABELS, val=0.5, test=0.5)
    with pytest.raises(ValueError, match="test must be a fraction in \\[0, 1\\)"):
        split_indices(LABELS, test=1.5)


def test_per_class_draws_n_of_each_class():
    picked = per_class_indices(LABELS, n=5, seed=0)
    assert np.bincount(LABELS[picked]).tolist() == [5, 5, 5, 5]
    assert len(set(picked)) == 20
    with pytest.raises(ValueError, match="class 3 has 11 samples, fewer than n=12"):
        per_class_indices(LABELS, n=12)


def test_channel_stats_equal_sklearns_standard_scaler():
    images = np.random.default_rng(0).normal([0.2, 1.0, -3.0], [1.0, 0.1, 2.0], (16, 5, 6, 3))
    stats = fit_channel_stats(images)
    scaler = StandardScaler().fit(images.reshape(-1, 3))  # pixels as samples, channels as features
    np.testing.assert_allclose(stats.mean, scaler.mean_, rtol=1e-6)
    np.testing.assert_allclose(stats.std, scaler.scale_, rtol=1e-6)
    np.testing.assert_allclose(normalize(images, stats).reshape(-1, 3),
                               scaler.transform(images.reshape(-1, 3)), atol=1e-5)
    nchw = fit_channel_stats(images.transpose(0, 3, 1, 2), layout="nchw")
    np.testing.assert_allclose(nchw.mean, stats.mean)
    with pytest.raises(ValueError, match="do not have the 3 channels"):
        normalize(images[..., :2], stats)


def test_statistics_from_all_the_data_leak_the_test_set_into_training():
    """With statistics of training and test images together, the normalised training images
    depend on the test images: change the test set and the training inputs change. With
    training statistics only, they do not."""
    rng = np.random.default_rng(1)
    train = rng.normal(0.3, 0.1, (50, 4, 4, 1))
    test_a, test_b = rng.normal(0.3, 0.1, (50, 4, 4, 1)), rng.normal(0.8, 0.1, (50, 4, 4, 1))
    leaky_a = normalize(train, fit_channel_stats(np.concatenate([train, test_a])))
    leaky_b = normalize(train, fit_channel_stats(np.concatenate([train, test_b])))
    assert np.abs(leaky_a - leaky_b).max() > 1.0  # the test set moved every training input
    clean = fit_channel_stats(train)
    np.testing.assert_array_equal(normalize(train, clean), normalize(train, fit_channel_stats(train)))
    # the test set keeps its shift under training statistics: the model sees what is new
    assert normalize(test_b, clean).mean() > 4.0
    assert abs(normalize(np.concatenate([train, test_b]), fit_channel_stats(np.concatenate([train, test_b]))).mean()) < 1e-6


def test_bilinear_warp_equals_scipy():
    image = np.random.default_rng(2).random((1, 9, 11, 2)).astype(np.float32)
    matrix = affine_matrix(height=9, width=11, angle=23.0, scale=1.2, shift=(1.5, -2.0))
    ours = warp_affine(image, matrix[None])
    for c in range(2):
        theirs = scipy.ndimage.affine_transform(image[0, :, :, c], matrix[:, :2], offset=matrix[:, 2],
                                                order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(ours[0, :, :, c], theirs, atol=1e-5)


def test_geometry_directions():
    image = np.random.default_rng(3).random((1, 7, 7, 1)).astype(np.float32)
    turn = warp_affine(image, affine_matrix(height=7, width=7, angle=90)[None])
    np.testing.assert_allclose(turn, np.rot90(image, axes=(1, 2)), atol=1e-6)  # counter-clockwise
    mirror = warp_affine(image, affine_matrix(height=7, width=7, flip=True)[None])
    np.testing.assert_allclose(mirror, image[:, :, ::-1], atol=1e-6)
    moved = warp_affine(image, affine_matrix(height=7, width=7, shift=(2, 1))[None])
    np.testing.assert_allclose(moved[0, 2:, 1:], image[0, :-2, :-1], atol=1e-6)
    assert not moved[0, :2].any() and not moved[0, :, :1].any()  # zeros come in


def test_flip_mirrors_about_half_the_images():
    images = np.random.default_rng(4).random((200, 6, 6, 1)).astype(np.float32)
    out = augment(images, Augmentation(flip=True), rng=0)
    flipped = [np.allclose(o, i[:, ::-1], atol=1e-6) for o, i in zip(out, images, strict=True)]
    kept = [np.allclose(o, i, atol=1e-6) for o, i in zip(out, images, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True)) and 80 < sum(flipped) < 120


def test_brightness_and_contrast_follow_tensorflows_definitions():
    images = np.random.default_rng(5).uniform(0.2, 0.8, (6, 8, 8, 3)).astype(np.float32)
    bright = augment(images, Augmentation(brightness=0.1, clip=None), rng=1)
    deltas = (bright - images).reshape(6, -1)
    assert np.allclose(deltas, deltas[:, :1], atol=1e-6) and np.abs(deltas).max() <= 0.1
    for out, image, delta in zip(bright, images, deltas[:, 0], strict=True):
        np.testing.assert_allclose(out, tf.image.adjust_brightness(image, delta).numpy(), atol=1e-6)
    contrast = augment(images, Augmentation(contrast=0.5, clip=None), rng=2)
    for out, image in zip(contrast, images, strict=True):
        mean = image.mean(axis=(0, 1))
        factor = ((out - mean) / (image - mean)).mean()
        assert 0.5 <= factor <= 1.5
        np.testing.assert_allclose(out, tf.image.adjust_contrast(image, factor).numpy(), atol=1e-5)


def test_noise_cutout_clip_and_seeds():
    images = np.full((50, 16, 16, 1), 0.5, np.float32)
    noisy = augment(images, Augmentation(noise=0.1, clip=None), rng=0)
    assert abs((noisy - images).std() - 0.1) < 0.005
    cut = augment(images, Augmentation(cutout=4), rng=1)
    zeros = (cut == 0).reshape(50, -1).sum(axis=1)
    assert zeros.max() == 16 and zeros.min() >= 4  # a 4x4 square, cut by the border at worst
    everything = Augmentation(flip=True, rotation=20, shift=0.1, zoom=0.1, brightness=0.2,
                              contrast=0.2, noise=0.05, cutout=3)
    a, b = everything(images, 7), everything(images, 7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, everything(images, 8))
    assert a.min() >= 0 and a.max() <= 1  # clipped to the image range
    with pytest.raises(ValueError, match=r"shift must be a number in \[0, 1\)"):
        Augmentation(shift=1.0)


def test_batches_are_the_same_in_torch_and_keras():
    images = np.random.default_rng(6).random((10, 8, 8, 3)).astype(np.float32)
    labels = np.arange(10)
    batches = ArrayBatches(images, labels, batch_size=4, augmentation=Augmentation(flip=True, noise=0.1), seed=3)
    torch_side, keras_side = loader(batches, "torch"), loader(batches, "keras")
    assert isinstance(keras_side, keras.utils.PyDataset) and len(torch_side) == len(keras_side) == 3
    for epoch in range(2):
        torch_batches = list(torch_side)
        keras_batches = [keras_side[i] for i in range(len(keras_side))]
        keras_side.on_epoch_end()
        for (tx, ty), (kx, ky) in zip(torch_batches, keras_batches, strict=True):
            assert isinstance(tx, torch.Tensor) and tx.shape[1] == 3  # NCHW
            np.testing.assert_array_equal(tx.permute(0, 2, 3, 1).numpy(), kx)
            np.testing.assert_array_equal(ty.numpy(), ky)
        seen = np.concatenate([y for _, y in keras_batches])
        assert sorted(seen.tolist()) == list(range(10))  # every sample once per epoch
        if epoch == 0:
            first = seen
    assert not np.array_equal(first, seen)  # a new order in the next epoch
    with pytest.raises(ValueError, match="framework must be one of 'torch', 'keras'"):
        loader(batches, "jax")
