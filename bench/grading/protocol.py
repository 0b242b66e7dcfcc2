"""The grader's half of the worker protocol: encode arguments, decode replies defensively.

Everything that comes from the worker is untrusted: replies are size-capped JSON, arrays are
``.npy`` files opened without following links, checked to be regular files whose size matches
their header, and loaded with ``allow_pickle=False``. Nothing is unpickled or evaluated.

What a reply may cost the grader is bounded before anything is converted: only plain numeric,
boolean and fixed-width text dtypes (no structured, object or zero-size ones), and every element is charged
at least 8 bytes against the reply's budget, because a test that turns a bool array into float64
pays 8 bytes per element whatever the student sent.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import secrets
import stat

from cnnlab.errors import UsageError

MAX_MESSAGE = 4 * 2**20  # bytes of one JSON reply
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_STRING = 2**20
# dtype kinds a reply may carry: bool, signed and unsigned integers, floats, complex numbers,
# fixed-width text and bytes
ARRAY_KINDS = "biufcUS"
MAX_ELEMENTS = 2**28  # whatever the byte budget: a shape product past this is refused unread
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ProtocolError(Exception):
    """The worker sent something that is not a valid reply."""


def new_id() -> str:
    return secrets.token_hex(8)


# --------------------------------------------------------------------------- arguments out


def encode(value, *, dir_fd: int, prefix: str, depth: int = 0, _count: list | None = None):
    """Turn test-side arguments into JSON, writing arrays into the worker's tmp.

    Accepted: None, bool, int, float, str, lists, tuples, dicts with str keys, numpy arrays
    and numpy scalars.
    """
    import numpy as np

    count = _count if _count is not None else [0]
    if depth > MAX_DEPTH:
        raise UsageError("argument nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value if isinstance(value, int) else float(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise UsageError("arrays of Python objects cannot be sent to student code")
        name = f"{prefix}-{count[0]}.npy"
        count[0] += 1
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.require(value, requirements="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
        return {"$array": name}
    if isinstance(value, list):
        return [encode(v, dir_fd=dir_fd, prefix=prefix, depth=depth + 1, _count=count) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, dir_fd=dir_fd, prefix=prefix, depth=depth + 1, _count=count)
                           for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise UsageError("dict keys sent to student code must be str")
        return {"$dict": {k: encode(v, dir_fd=dir_fd, prefix=prefix, depth=depth + 1, _count=count)
                          for k, v in value.items()}}
    raise UsageError(f"cannot send a {type(value).__name__} to student code")


# --------------------------------------------------------------------------- replies in


def parse_line(raw: bytes) -> dict:
    """One reply line -> dict; anything else is a :class:`ProtocolError`."""
    if len(raw) > MAX_MESSAGE:
        raise ProtocolError(f"reply larger than {MAX_MESSAGE} bytes")
    try:
        message = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"reply is not JSON: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("reply is not a JSON object")
    return message


def decode(value, *, dir_fd: int, max_bytes: int, depth: int = 0, _budget: list | None = None):
    """Turn a reply's ``value`` back into Python data, reading arrays from the worker's tmp.

    Parameters
    ----------
    value : JSON data
        As parsed by :func:`parse_line`.
    dir_fd : int
        Open descriptor of the worker's tmp folder.
    max_bytes : int
        Total bytes of arrays one reply may carry.

    Raises
    ------
    ProtocolError
        For anything that is not exactly a value the worker may send.
    """
    budget = _budget if _budget is not None else [MAX_ITEMS, max_bytes]
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise ProtocolError("value nested too deeply or too many items")
    if value is None or type(value) in (bool, int):
        return value
    if type(value) is float:
        return value
    if type(value) is str:
        if len(value) > MAX_STRING:
            raise ProtocolError("string too long")
        return value
    if type(value) is list:
        return [decode(v, dir_fd=dir_fd, max_bytes=max_bytes, depth=depth + 1, _budget=budget)
                for v in value]
    if type(value) is dict and len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$array" and type(inner) is str:
            return read_array(inner, dir_fd=dir_fd, budget=budget)
        if tag == "$tuple" and type(inner) is list:
            return tuple(decode(v, dir_fd=dir_fd, max_bytes=max_bytes, depth=depth + 1, _budget=budget)
                         for v in inner)
        if tag == "$dict" and type(inner) is dict:
            return {k: decode(v, dir_fd=dir_fd, max_bytes=max_bytes, depth=depth + 1, _budget=budget)
                    for k, v in inner.items()}
    raise ProtocolError("malformed value in reply")


def open_regular(name: str, *, dir_fd: int, max_bytes: int) -> bytes:
    """Read a plain file the worker wrote, never following a link or blocking on a FIFO."""
    if not isinstance(name, str) or not _FILE_NAME.match(name):
        raise ProtocolError(f"invalid file name {name[:80]!r}" if isinstance(name, str) else "invalid file name")
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        raise ProtocolError(f"cannot open {name!r}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ProtocolError(f"{name!r} is not a regular file")
        if info.st_size > max_bytes:
            raise ProtocolError(f"{name!r} is larger than {max_bytes} bytes")
        chunks, left = [], info.st_size
        while left > 0:
            chunk = os.read(fd, min(left, 2**22))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if os.read(fd, 1):
            raise ProtocolError(f"{name!r} grew while it was read")
        return data
    finally:
        os.close(fd)


def read_array(name: str, *, dir_fd: int, budget: list):
    """Load one ``.npy`` the worker wrote, after checking its header against its size."""
    import numpy as np
    from numpy.lib import format as npy

    data = open_regular(name, dir_fd=dir_fd, max_bytes=max(budget[1], 0))
    budget[1] -= len(data)
    stream = io.BytesIO(data)
    try:
        version = npy.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy.read_array_header_2_0(stream)
        else:
            raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed header is the worker's fault
        raise ProtocolError(f"{name!r} is not a valid .npy file: {type(exc).__name__}") from None
    if dtype.hasobject:
        raise ProtocolError(f"{name!r} holds Python objects")
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None \
            or dtype.itemsize == 0:
        # grader-chosen words only: a structured dtype's field names are the student's text
        raise ProtocolError(f"{name!r} is not an array of numbers, booleans or text")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolError(f"{name!r}: invalid shape")
    elements = math.prod(shape)
    charged = elements * max(dtype.itemsize, 8)
    if elements > MAX_ELEMENTS or charged - len(data) > budget[1]:
        raise ProtocolError(f"{name!r} has more elements than a reply may carry")
    budget[1] -= max(charged - len(data), 0)
    expected = elements * dtype.itemsize
    if expected != len(data) - stream.tell():
        raise ProtocolError(f"{name!r}: data size does not match its header")
    stream.seek(0)
    try:
        array = np.load(stream, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001
        raise ProtocolError(f"{name!r} could not be loaded: {type(exc).__name__}") from None
    if type(array) is not np.ndarray:
        raise ProtocolError(f"{name!r} is not a plain array")
    return array
