"""The grader's side of the protocol, fed hostile replies directly (no worker): nothing
malformed gets through, nothing is unpickled, no file outside the worker's tmp is read."""

import io
import json
import os

import numpy as np
import pytest

from cnnlab.bench.grading import protocol
from cnnlab.bench.grading.protocol import ProtocolError


@pytest.fixture
def tmp_fd(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def decode(value, fd, max_bytes=2**20):
    return protocol.decode(value, dir_fd=fd, max_bytes=max_bytes)


def test_round_trip_through_encode_and_decode(tmp_path, tmp_fd):
    value = [np.arange(4.0), (1, "a", None), {"k": np.zeros((2, 2), dtype=np.int8)}, True, 2.5]
    encoded = protocol.encode(value, dir_fd=tmp_fd, prefix="x")
    assert json.loads(json.dumps(encoded)) == encoded  # plain JSON
    back = decode(encoded, tmp_fd)
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1] == (1, "a", None) and back[3:] == [True, 2.5]
    assert back[2]["k"].dtype == np.int8


@pytest.mark.parametrize("line", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"a": ' * 100000,
                                  b"9" * 5000])
def test_malformed_lines(line):
    with pytest.raises(ProtocolError):
        protocol.parse_line(line)


def test_oversized_line():
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.parse_line(b"{}" + b" " * protocol.MAX_MESSAGE)


@pytest.mark.parametrize("value", [
    {"$array": "a.npy", "$tuple": []},          # two tags
    {"$pickle": "x"},                            # unknown tag
    {"plain": "object"},                         # untagged dict
    {"$array": 5},                               # bad payload
    {"$dict": [1, 2]},
])
def test_malformed_values(value, tmp_fd):
    with pytest.raises(ProtocolError):
        decode(value, tmp_fd)


@pytest.mark.parametrize("name", ["../secret.npy", "/etc/passwd", "sub/a.npy", ".hidden.npy", "",
                                  "a" * 200 + ".npy"])
def test_array_names_cannot_leave_the_tmp(name, tmp_fd):
    with pytest.raises(ProtocolError, match="invalid file name"):
        decode({"$array": name}, tmp_fd)


def test_links_and_fifos_are_not_followed(tmp_path, tmp_fd):
    outside = tmp_path.parent / "outside.npy"
    np.save(outside, np.ones(3))
    (tmp_path / "link.npy").symlink_to(outside)
    os.mkfifo(tmp_path / "fifo.npy")
    with pytest.raises(ProtocolError, match="cannot open"):
        decode({"$array": "link.npy"}, tmp_fd)
    with pytest.raises(ProtocolError, match="not a regular file"):  # and no blocking on the FIFO
        decode({"$array": "fifo.npy"}, tmp_fd)


def test_pickled_object_arrays_are_refused(tmp_path, tmp_fd):
    np.save(tmp_path / "obj.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="Python objects"):
        decode({"$array": "obj.npy"}, tmp_fd)


def test_header_that_lies_about_the_size(tmp_path, tmp_fd):
    """A tiny file whose header claims 10**12 elements must not make the grader allocate them."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10**12,)})
    (tmp_path / "big.npy").write_bytes(buf.getvalue() + b"\0" * 64)
    with pytest.raises(ProtocolError, match="does not match its header|more elements than"):
        decode({"$array": "big.npy"}, tmp_fd)
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ProtocolError, match=r"not a valid .npy|unsupported .npy version"):
        decode({"$array": "junk.npy"}, tmp_fd)


def test_size_budget_covers_all_arrays_of_a_reply(tmp_path, tmp_fd):
    for i in range(3):
        np.save(tmp_path / f"a{i}.npy", np.zeros(1000))  # about 8 KB each
    value = [{"$array": f"a{i}.npy"} for i in range(3)]
    assert len(decode(value, tmp_fd, max_bytes=30_000)) == 3
    with pytest.raises(ProtocolError, match="larger than"):
        decode(value, tmp_fd, max_bytes=20_000)


def test_depth_and_item_limits(tmp_fd):
    deep = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ProtocolError, match="nested too deeply"):
        decode(deep, tmp_fd)


def test_encode_refuses_what_it_cannot_send(tmp_fd):
    with pytest.raises(ValueError, match="cannot send a object"):
        protocol.encode(object(), dir_fd=tmp_fd, prefix="p")
    with pytest.raises(ValueError, match="Python objects"):
        protocol.encode(np.array([None]), dir_fd=tmp_fd, prefix="p")
