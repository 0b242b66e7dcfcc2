"""The digits as images, and the MNIST (IDX) and CIFAR-10 (pickle) loaders on small files written
here in the formats' published layouts."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn.datasets import load_digits as sklearn_digits

from cnnlab.reference.data import load_cifar10, load_digits, load_mnist, read_idx, to_layout


def test_digits_are_sklearns_images_scaled_to_one():
    ours, theirs = load_digits(), sklearn_digits()
    assert ours.images.shape == (1797, 8, 8, 1) and ours.images.dtype == np.float32
    np.testing.assert_array_equal(ours.images[..., 0] * 16, theirs.images)  # 0..16 -> [0, 1]
    np.testing.assert_array_equal(ours.labels, theirs.target)
    assert ours.class_names == tuple("0123456789")


def test_digits_upsampled_as_torch_interpolates():
    small, big = load_digits(classes=[3, 1]), load_digits(size=32, classes=[3, 1], layout="nchw")
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(to_layout(small.images, "nchw")), size=(32, 32), mode="bilinear",
        align_corners=False)
    np.testing.assert_allclose(big.images, expected.numpy(), atol=1e-6)
    target = sklearn_digits().target
    assert len(big) == np.isin(target, [1, 3]).sum()
    assert big.class_names == ("3", "1")  # label 0 is the first digit asked for
    np.testing.assert_array_equal(big.labels, np.where(target[np.isin(target, [1, 3])] == 3, 0, 1))


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 4}, "size must be an int >= 8"),
    ({"classes": [1, 1]}, "distinct digits from 0 to 9"),
    ({"classes": [10]}, "distinct digits from 0 to 9"),
    ({"layout": "chw"}, "layout must be one of 'nhwc', 'nchw'"),
])
def test_digits_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_digits(**kwargs)


def idx_bytes(array, code):
    """An IDX file by the format's definition: 0, 0, type code, ndim, big-endian uint32 sizes,
    then the values big-endian."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder, split, images, labels, gz=False):
    prefix = "train" if split == "train" else "t10k"
    for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(array, 0x08)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def test_mnist_idx_files_load(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    write_mnist(tmp_path, "train", images, labels)
    write_mnist(tmp_path, "test", images[:2], labels[:2], gz=True)
    train = load_mnist(tmp_path)
    assert train.images.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(train.images[..., 0], images / np.float32(255))
    np.testing.assert_array_equal(train.labels, labels)
    test = load_mnist(tmp_path, split="test", layout="nchw")
    assert test.images.shape == (2, 1, 28, 28) and test.labels.tolist() == [7, 2]


def test_idx_types_and_broken_files(tmp_path):
    values = np.arange(6, dtype=np.int32).reshape(2, 3) - 3
    (tmp_path / "ints.idx").write_bytes(idx_bytes(values, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "ints.idx"), values)
    (tmp_path / "bad").write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="bad is not an IDX file"):
        read_idx(tmp_path / "bad")
    (tmp_path / "type").write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="unknown IDX type code 0x07"):
        read_idx(tmp_path / "type")
    (tmp_path / "short").write_bytes(idx_bytes(np.zeros((2, 2), np.uint8), 0x08)[:-1])
    with pytest.raises(ValueError, match=r"header says \(2, 2\) of uint8 \(4 bytes\), the file holds 3"):
        read_idx(tmp_path / "short")


def test_mnist_missing_file_names_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"train-images-idx3-ubyte \\(or train-images-idx3-ubyte.gz\\) not found in {tmp_path}"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'"):
        load_mnist(tmp_path, split="val")


def write_cifar_batch(path, images, labels):
    """A batch as the CIFAR-10 python version stores it: a dict with bytes keys, ``data`` one row
    of 3072 bytes per image (the red, green and blue 32x32 planes), ``labels`` a list."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"test", b"data": rows, b"labels": list(map(int, labels))}, f,
                    protocol=2)


def test_cifar_batches_load(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    for i in range(5):
        write_cifar_batch(folder / f"data_batch_{i + 1}", images[2 * i:2 * i + 2], [i, 9 - i])
    write_cifar_batch(folder / "test_batch", images[:3], [3, 8, 8])
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [f"c{i}".encode() for i in range(10)]}, f, protocol=2)
    train = load_cifar10(tmp_path)  # the parent folder works too
    np.testing.assert_array_equal(train.images, images / np.float32(255))
    assert train.labels.tolist() == [0, 9, 1, 8, 2, 7, 3, 6, 4, 5]
    assert train.class_names[0] == "c0"
    test = load_cifar10(folder, split="test", layout="nchw")
    assert test.images.shape == (3, 3, 32, 32)
    np.testing.assert_array_equal(test.images[1, 0], images[1, :, :, 0] / np.float32(255))  # red


class Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_cifar_refuses_a_pickle_that_runs_code(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": Payload(), b"labels": []}, f, protocol=2)
    with pytest.raises(ValueError, match="refusing to load .*system from a data file"):
        load_cifar10(folder, split="test")
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(FileNotFoundError, match=f"data_batch_1, .*data_batch_5 not found in {folder}"):
        load_cifar10(folder)
