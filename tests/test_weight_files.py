"""The one torch and the one Keras weight-file reader (``cnnlab.reference.weights``): each
failure has one message, whichever caller (porting, ``load_weights``, ``cnnlab explain``) reads
the file."""

from __future__ import annotations

import pytest

from cnnlab.errors import UsageError
from cnnlab.reference import build
from cnnlab.reference.weights import (
    existing_weights_file,
    load_keras_weights,
    load_torch_state_dict,
    load_weights,
)


def test_a_missing_file_names_the_file_and_its_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        existing_weights_file(tmp_path / "runs" / "lenet.pt")
    message = str(caught.value)
    assert "lenet.pt" in message and str(tmp_path / "runs") in message
    assert "put the file there" in message


def test_both_torch_readers_give_one_message_per_failure(tmp_path):
    torch = pytest.importorskip("torch")
    from cnnlab.reference.frameworks import is_installed
    from cnnlab.reference.porting import convert_checkpoint

    keras_there = is_installed("keras")

    missing = tmp_path / "missing.pt"
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    other = tmp_path / "other.pt"
    torch.save(build("course_mnist", "torch").state_dict(), other)
    model = build("lenet5", "torch")
    for path, kind in ((missing, FileNotFoundError), (junk, UsageError), (other, UsageError)):
        with pytest.raises(kind) as direct:
            load_torch_state_dict(model, path)
        with pytest.raises(kind) as via_load_weights:
            load_weights(model, "lenet5", weights=path)
        assert str(direct.value) == str(via_load_weights.value)
        if keras_there:  # porting builds the Keras twin before the file is fitted to the model
            with pytest.raises(kind) as via_porting:
                convert_checkpoint("lenet5", path, tmp_path / "out.weights.h5")
            assert str(direct.value) == str(via_porting.value)
    with pytest.raises(UsageError, match=r"'.*junk.pt' is not a readable torch state_dict"):
        load_torch_state_dict(model, junk)
    with pytest.raises(UsageError, match=r"'.*other.pt' does not fit this model: missing \d+"):
        load_torch_state_dict(model, other)


def test_strict_refuses_what_the_model_lacks_and_loose_returns_it(tmp_path):
    torch = pytest.importorskip("torch")
    full = build("lenet5", "torch")
    path = tmp_path / "lenet.pt"
    torch.save(full.state_dict(), path)
    base = build("lenet5", "torch", include_top=False)
    unused = sorted(set(full.state_dict()) - set(base.state_dict()))
    assert unused
    with pytest.raises(UsageError, match=rf"unexpected {len(unused)} \(first: "):
        load_torch_state_dict(base, path)
    assert load_torch_state_dict(base, path, strict=False) == unused
    for key, value in base.state_dict().items():
        assert torch.equal(value, full.state_dict()[key])


def test_the_keras_reader_tells_a_foreign_file_from_a_wrong_model(tmp_path):
    pytest.importorskip("keras")
    model = build("lenet5", "keras")
    path = tmp_path / "lenet.weights.h5"
    model.save_weights(str(path))
    load_keras_weights(build("lenet5", "keras"), path)  # a matching file loads
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(UsageError, match=r"'.*junk.weights.h5' is not a readable Keras weights"):
        load_keras_weights(model, junk)
    with pytest.raises(UsageError, match=r"'.*lenet.weights.h5' does not fit the Keras model"):
        load_keras_weights(build("course_mnist", "keras"), path)
    with pytest.raises(FileNotFoundError) as direct:
        load_keras_weights(model, tmp_path / "absent.weights.h5")
    with pytest.raises(FileNotFoundError) as via_load_weights:
        load_weights(model, "lenet5", weights=tmp_path / "absent.weights.h5")
    assert str(direct.value) == str(via_load_weights.value)
