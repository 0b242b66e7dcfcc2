"""cnnlab.reference.data.make_shapes: deterministic, balanced, and its boxes and classes are right."""

import numpy as np
import pytest

from cnnlab.reference.data import SHAPES, make_shapes


def test_same_seed_same_images():
    a, b = make_shapes(12, seed=5), make_shapes(12, seed=5)
    for field in ("images", "labels", "boxes"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.images, make_shapes(12, seed=6).images)


def test_layouts_channels_and_balance():
    nhwc = make_shapes(10, seed=1, channels=3)
    nchw = make_shapes(10, seed=1, channels=3, layout="nchw")
    assert nhwc.images.shape == (10, 32, 32, 3) and nhwc.images.dtype == np.float32
    np.testing.assert_array_equal(nchw.images, nhwc.images.transpose(0, 3, 1, 2))
    assert 0.0 <= nhwc.images.min() and nhwc.images.max() <= 1.0
    assert sorted(np.bincount(nhwc.labels).tolist()) == [2, 2, 3, 3]  # 10 images, 4 classes
    assert make_shapes(3, classes=("circle", "cross")).class_names == ("circle", "cross")


def _object(image):
    """The object's pixels, found independently of the generator: without noise the background
    is below 0.3 and the object above 0.6."""
    return image[..., 0] > 0.45


def test_boxes_are_the_objects_tight_boxes():
    data = make_shapes(40, noise=0.0, seed=2)
    for image, (top, left, bottom, right) in zip(data.images, data.boxes, strict=True):
        rows, cols = np.flatnonzero(_object(image).any(axis=1)), np.flatnonzero(_object(image).any(axis=0))
        assert (rows[0], cols[0], rows[-1] + 1, cols[-1] + 1) == (top, left, bottom, right)


def test_each_class_draws_its_shape():
    data = make_shapes(40, noise=0.0, seed=3)
    for image, label, (top, left, bottom, right) in zip(data.images, data.labels, data.boxes, strict=True):
        inside = _object(image)[top:bottom, left:right]
        corners = inside[[0, 0, -1, -1], [0, -1, 0, -1]]
        shape = SHAPES[label]
        if shape == "square":
            assert inside.all()
        elif shape == "circle":
            assert not corners.any() and inside[inside.shape[0] // 2].all()
        elif shape == "triangle":  # apex at the top, full base
            assert inside[-1].all() and inside[0].sum() <= 2
        else:  # cross: empty corners, a full bar through the middle each way
            assert not corners.any()
            assert inside.any(axis=0).all() and inside.any(axis=1).all()
            assert inside.all(axis=0).any() and inside.all(axis=1).any()


@pytest.mark.parametrize("kwargs,message", [
    ({"max_size": 40}, r"max_size \(40\) must fit in image_size \(32\)"),
    ({"classes": ("square", "hexagon")}, "classes must be one of 'square', 'circle', 'triangle', 'cross'"),
    ({"channels": 2}, "channels must be one of 1, 3"),
    ({"layout": "chw"}, "layout must be one of 'nhwc', 'nchw'"),
    ({"min_size": 10, "max_size": 8}, "max_size must be an int >= 10"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_shapes(4, **kwargs)
