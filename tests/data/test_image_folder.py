"""Image folders and ImageDataGenerator-style augmentation.

Oracles: ``keras.ops.image.affine_transform`` (the resampler behind Keras' Random* layers) on the
same images and the same affine maps, for every ``fill_mode``; ``keras.layers.Rescaling``;
``keras.utils.image_dataset_from_directory`` for the class names, file order and labels of a
folder; hand arithmetic where Keras draws its own random numbers (shear of one pixel, a crop, a
wrap shift).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from cnnlab.reference.data import (
    Augmentation,
    FolderBatches,
    augment,
    class_distribution,
    distribution_report,
    loader,
    make_image_folder,
    scan_image_folder,
    split_folder,
)
from cnnlab.reference.data.warp import affine_matrix, warp_affine

IMAGES = np.random.default_rng(0).random((2, 9, 11, 3)).astype("float32")


def _keras_transform(m):
    """Our (row, col) map as Keras' [a0, a1, a2, b0, b1, b2, c0, c1] on (x=col, y=row)."""
    return [m[1, 1], m[1, 0], m[1, 2], m[0, 1], m[0, 0], m[0, 2], 0.0, 0.0]


def _keras_warp(m, mode):
    transform = np.array([_keras_transform(m)] * len(IMAGES), "float32")
    return np.asarray(keras.ops.image.affine_transform(
        IMAGES, transform, interpolation="bilinear", fill_mode=mode, fill_value=0.0))


ALIGNED = [dict(shift=(3, -2)), dict(flip=True), dict(vertical_flip=True), dict(angle=90),
           dict(shift=(-4, 5), flip=True)]


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "wrap"])
@pytest.mark.parametrize("kw", ALIGNED, ids=lambda kw: "-".join(kw))
def test_fill_modes_equal_keras_on_pixel_aligned_maps(kw, mode):
    m = affine_matrix(height=9, width=11, **kw)
    ours = warp_affine(IMAGES, np.stack([m, m]), fill_mode=mode)
    np.testing.assert_allclose(ours, _keras_warp(m, mode), atol=1e-6)


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect"])
def test_rotation_shear_zoom_equal_keras_between_pixels(mode):
    # Keras' "wrap" between pixels wraps with another period (TensorFlow's kernel), so it is
    # held to hand arithmetic below instead
    m = affine_matrix(height=9, width=11, angle=30, shear=10, scale=(1.2, 0.8), shift=(0.5, -1.3))
    np.testing.assert_allclose(warp_affine(IMAGES, np.stack([m, m]), fill_mode=mode),
                               _keras_warp(m, mode), atol=1e-5)


def test_wrap_shift_is_a_roll_and_shear_moves_a_pixel_by_hand():
    m = affine_matrix(height=9, width=11, shift=(0, 3))
    np.testing.assert_allclose(warp_affine(IMAGES, m[None].repeat(2, 0), fill_mode="wrap"),
                               np.roll(IMAGES, 3, axis=2), atol=1e-6)
    dot = np.zeros((1, 9, 11, 1), "float32")
    dot[0, 2, 5] = 1.0
    # 45 degrees: a pixel two rows above the centre row (4) moves tan(45) * (2 - 4) = -2 columns
    out = warp_affine(dot, affine_matrix(height=9, width=11, shear=45)[None])
    assert np.argwhere(out[0, :, :, 0] > 0.99).tolist() == [[2, 3]]


def test_rescale_equals_keras_rescaling_and_crop_is_a_window():
    images = np.random.default_rng(1).integers(0, 256, (3, 12, 10, 3)).astype("float32")
    ours = augment(images, Augmentation(rescale=1 / 255, clip=None))
    np.testing.assert_allclose(ours, np.asarray(keras.layers.Rescaling(1 / 255)(images)), rtol=1e-6)
    cropped = augment(images, Augmentation(crop=(8, 6), clip=None), rng=5)
    rng = np.random.default_rng(5)
    tops, lefts = rng.integers(0, 5, 3), rng.integers(0, 5, 3)  # 12 - 8 + 1, 10 - 6 + 1 offsets
    for image, out, t, c in zip(images, cropped, tops, lefts, strict=True):
        np.testing.assert_array_equal(out, image[t:t + 8, c:c + 6])
    assert tuple(keras.layers.RandomCrop(8, 6)(images).shape) == cropped.shape
    with pytest.raises(ValueError, match="crop 20x6 is larger than the 12x10 images"):
        augment(images, Augmentation(crop=(20, 6)))


def test_from_keras_takes_image_data_generator_names():
    spec = Augmentation.from_keras(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2,
                                   shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
    assert (spec.fill_mode, spec.zoom_per_axis, spec.clip, spec.flip) == ("nearest", True, None, True)
    out = augment(IMAGES, spec, rng=0)
    assert out.shape == IMAGES.shape and np.isfinite(out).all()
    # nearest fill: no pixel outside the image's own value range (no zeros blend in)
    assert out.min() >= IMAGES.min() - 1e-6 and out.max() <= IMAGES.max() + 1e-6
    with pytest.raises(ValueError, match="fill_mode must be one of 'constant', 'nearest'"):
        Augmentation(fill_mode="mirror")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("flowers"), per_class=10, size=32, seed=0)


def test_folder_reads_as_keras_reads_it(folder):
    root = folder.files[0].parent.parent
    dataset = keras.utils.image_dataset_from_directory(root, labels="inferred", shuffle=False,
                                                       image_size=(32, 32), batch_size=64)
    assert tuple(dataset.class_names) == folder.class_names == ("circle", "square", "triangle")
    assert [str(p) for p in folder.files] == list(dataset.file_paths)
    labels = np.concatenate([y.numpy() for _, y in dataset])
    np.testing.assert_array_equal(labels, folder.labels)
    assert {p.suffix for p in folder.files} == {".png", ".jpg"}
    images = np.concatenate([x.numpy() for x, _ in dataset])
    ours = FolderBatches(folder, size=32, batch_size=64, shuffle=False).arrays()[0]
    png = np.array([p.suffix == ".png" for p in folder.files])
    np.testing.assert_allclose(ours[png], images[png], atol=1e-3)  # same pixels, no resize at 32
    # Pillow's and TensorFlow's JPEG decoders round the inverse DCT differently
    assert np.abs(ours[~png] - images[~png]).mean() < 2.0


def test_stratified_80_20_split_and_distribution(folder):
    train, val = split_folder(folder, val=0.2, seed=0)
    assert class_distribution(train) == {"circle": 8, "square": 8, "triangle": 8}
    assert class_distribution(val) == {"circle": 2, "square": 2, "triangle": 2}
    assert not set(train.files) & set(val.files)
    assert set(train.files) | set(val.files) == set(folder.files)
    report = distribution_report(train=train, val=val)
    assert "circle" in report and "total" in report and "33.3%" in report


def test_folder_batches_are_the_same_in_both_frameworks(folder):
    spec = Augmentation.from_keras(rescale=1 / 255, rotation_range=30, width_shift_range=0.2,
                                   height_shift_range=0.2, horizontal_flip=True)
    batches = FolderBatches(folder, size=32, batch_size=8, augmentation=spec, seed=3)
    x_t, y_t = next(iter(loader(batches, "torch")))
    x_k, y_k = loader(batches, "keras")[0]
    np.testing.assert_array_equal(x_t.permute(0, 2, 3, 1).numpy(), x_k)
    np.testing.assert_array_equal(y_t.numpy(), y_k)
    assert len(batches) == 4 and 0.0 <= x_k.min() and x_k.max() <= 1.0
    again = FolderBatches(folder, size=32, batch_size=8, augmentation=spec, seed=3).batch(0, 0)
    np.testing.assert_array_equal(again[0], x_k)


def test_bad_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_image_folder(tmp_path / "nope")
    with pytest.raises(ValueError, match="no class sub-folders"):
        scan_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="class folder 'empty' holds no image"):
        scan_image_folder(tmp_path)
