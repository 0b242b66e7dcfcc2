"""The sandboxed worker, driven directly: what crosses the boundary, the limits, and what student
code can no longer reach. Each test runs with bubblewrap and with the fallback (a plain child
process locked down by rlimits, Landlock and seccomp); the bare fallback (rlimits only) is
checked for the limits it claims."""

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import cnnlab
from cnnlab import paths
from cnnlab.bench.grading import client
from cnnlab.bench.grading.assignment import Limits
from cnnlab.bench.grading.client import MAX_CRASHES, StudentError, Worker

from .conftest import REPO, isolation_modes, write_submission

STUDENT = '''
import os, sys, time, signal, socket
import numpy as np
from collections import namedtuple, OrderedDict

print("imported")

def echo(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}

def shapes(a):
    return a.shape, str(a.dtype), np.asarray(a).sum()

def types():
    P = namedtuple("P", "p r")
    return [np.float32(1.5), np.int64(7), np.bool_(True), np.array(2.5), np.arange(3, dtype=np.uint8),
            P(0.5, 0.25), OrderedDict(a=1), "text", None, np.array(["a", "bc"])]

def write(name, text):
    with open(name, "w") as fh:
        fh.write(text)
    np.save("array.npy", np.eye(2))
    return os.getcwd()

def symlink(target, name):
    os.symlink(target, name)

def fifo(name):
    os.mkfifo(name)

def read(path):
    with open(path, "rb") as fh:
        return fh.read(100).decode("utf-8", "replace")

def write_to(path):
    with open(path, "w") as fh:
        fh.write("x")
    return True

def listdir(path):
    return sorted(os.listdir(path))

def environ():
    return dict(os.environ)

def fork():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    return pid

def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True

def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)

def raise_limit():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return True

def sleep(s):
    time.sleep(s)
    return s

def spin():
    while True:
        pass

def hog():
    return bytearray(3 * 2**30)

def chatter(n):
    for _ in range(n):
        print("x" * 1000)
    return n

def boom(secret):
    raise ValueError(f"the secret input was {secret}")

def leave():
    os._exit(3)

def uid():
    return os.getuid()

def fill_disk():
    block = b"x" * 2**20
    for i in range(10**6):
        with open(f"junk{i}", "wb") as fh:
            for _ in range(8):
                fh.write(block)
'''

LIMITS = Limits(call_timeout_s=2, submission_timeout_s=60, memory_mib=1024, output_kib=64, file_mib=16)


@pytest.fixture(scope="module", params=isolation_modes())
def shared(request, tmp_path_factory):
    """One worker per mode for the tests that leave it running (a start costs ~0.5 s)."""
    tmp = tmp_path_factory.mktemp(f"shared-{request.param}")
    source = write_submission(tmp / "src", STUDENT, "student.py")
    with Worker(source=source, scratch=tmp / "scratch", isolation=request.param, limits=LIMITS) as w:
        yield w


@pytest.fixture
def worker(tmp_path, isolation):
    """A worker of its own, for tests that kill it."""
    source = write_submission(tmp_path / "src", STUDENT, "student.py")
    with Worker(source=source, scratch=tmp_path / "scratch", isolation=isolation, limits=LIMITS) as w:
        yield w


@pytest.fixture
def bare(tmp_path):
    """The fallback with no layer but rlimits (what a kernel without Landlock and seccomp gets)."""
    source = write_submission(tmp_path / "src", STUDENT, "student.py")
    with Worker(source=source, scratch=tmp_path / "scratch", isolation="rlimits", limits=LIMITS,
                layers=()) as w:
        yield w


def test_values_cross_as_plain_data(shared):
    a = np.arange(6, dtype=np.int16).reshape(2, 3)
    got = shared.call("student", "echo", a, 3, "s", [1.5, None], (True,), key={"x": np.float64(2.0)})
    assert got["args"][1:] == [3, "s", [1.5, None], (True,)]
    assert type(got["args"][0]) is np.ndarray and got["args"][0].dtype == np.int16
    np.testing.assert_array_equal(got["args"][0], a)
    assert got["kwargs"] == {"key": {"x": 2.0}}
    shape, dtype, total = shared.call("student", "shapes", np.ones((4, 5), dtype=np.float32))
    assert (shape, dtype, total) == ((4, 5), "float32", 20.0)


def test_numpy_scalars_subclasses_and_zero_d_arrays(shared):
    got = shared.call("student", "types")
    assert got[:3] == [1.5, 7, True] and type(got[1]) is int and type(got[2]) is bool
    assert type(got[3]) is np.ndarray and got[3].shape == () and got[3] == 2.5
    assert got[4].dtype == np.uint8 and got[4].tolist() == [0, 1, 2]
    assert got[5] == (0.5, 0.25) and type(got[5]) is tuple  # a namedtuple arrives as a tuple
    assert got[6] == {"a": 1} and type(got[6]) is dict
    assert got[7:9] == ["text", None]
    assert got[9].tolist() == ["a", "bc"]


def test_files_written_in_the_private_tmp(shared):
    cwd = shared.call("student", "write", "notes.txt", "hello")
    assert "notes.txt" in shared.list_files() and "array.npy" in shared.list_files()
    assert shared.read_file("notes.txt") == b"hello"
    np.testing.assert_array_equal(shared.load_array("array.npy"), np.eye(2))
    assert cwd in ("/tmp", str(shared.tmp))


def test_links_fifos_and_paths_are_refused(worker, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("grader's secret")
    worker.call("student", "symlink", str(outside), "link.txt")
    worker.call("student", "fifo", "pipe.npy")
    for name in ("link.txt", "pipe.npy", "../outside.txt", str(outside)):
        with pytest.raises(StudentError, match="could not be read"):
            worker.read_file(name)
    with pytest.raises(StudentError):
        worker.load_array("pipe.npy")


def test_exception_summary_is_ours_and_detail_is_theirs(shared):
    with pytest.raises(StudentError) as info:
        shared.call("student", "boom", "s3cr3t")
    assert info.value.kind == "raised"
    assert info.value.summary == "student.boom raised ValueError"
    assert "s3cr3t" not in info.value.summary and "s3cr3t" in info.value.detail


def test_timeout_then_next_call_works(worker):
    start = time.perf_counter()
    with pytest.raises(StudentError, match=r"student.spin timed out after 2 s") as info:
        worker.call("student", "spin")
    assert info.value.kind == "timeout"
    assert time.perf_counter() - start < 10
    assert worker.call("student", "sleep", 0.01) == 0.01  # a fresh worker


def test_memory_limit(shared):
    with pytest.raises(StudentError, match="exceeded the memory limit of 1 GiB") as info:
        shared.call("student", "hog")
    assert info.value.kind == "memory"


def test_output_limit(worker):
    assert worker.call("student", "chatter", 10) == 10
    assert "imported" in worker.output()
    with pytest.raises(StudentError, match="printed more than 64 KiB of output") as info:
        worker.call("student", "chatter", 10**6)
    assert info.value.kind == "output"


def test_disk_quota(worker):
    """Files in the private tmp are capped in total (4 x file_mib = 64 MiB here)."""
    with pytest.raises(StudentError, match="wrote more than 64 MiB into its working folder") as info:
        worker.call("student", "fill_disk")
    assert info.value.kind == "disk"
    assert worker.list_files() == []  # the junk is removed with the worker


def test_a_function_that_keeps_killing_the_worker_is_given_up(worker):
    for _ in range(MAX_CRASHES):
        with pytest.raises(StudentError, match=r"ended the worker process \(exit code 3\)"):
            worker.call("student", "leave")
    starts = worker.starts
    with pytest.raises(StudentError, match="is not called again"):
        worker.call("student", "leave")
    assert worker.starts == starts  # no new worker for it
    assert worker.call("student", "sleep", 0) == 0  # the other functions still run


def test_exit_at_import_fails_every_call_without_retrying(tmp_path, isolation):
    source = write_submission(tmp_path / "src", "import os\nos._exit(0)\ndef f():\n    return 1\n", "gone.py")
    with Worker(source=source, scratch=tmp_path / "s", isolation=isolation, limits=LIMITS) as w:
        for _ in range(3):
            with pytest.raises(StudentError, match=r"importing gone.py ended the worker process \(exit code 0\)"):
                w.call("gone", "f")
        assert w.starts == 1  # the failed import is remembered, not retried


def test_missing_module_and_function(tmp_path, isolation):
    source = write_submission(tmp_path / "src", "def f():\n    return 1\n", "other.py")
    with Worker(source=source, scratch=tmp_path / "s", isolation=isolation, limits=LIMITS) as w:
        with pytest.raises(StudentError, match="metrics.py is not in the submission"):
            w.call("metrics", "f")
        with pytest.raises(StudentError, match="other.g raised AttributeError"):
            w.call("other", "g")
        assert w.call("other", "f") == 1


def test_sandbox_hides_the_grader(worker):
    """The repository (reference answers, tests, this file), the grader's environment and
    processes are out of reach; only the private tmp is writable."""
    installed = Path(cnnlab.__file__).parent  # site-packages/cnnlab, or src/cnnlab
    for secret in (REPO / "bench" / "grading" / "client.py", REPO / "reference" / "__init__.py",
                   REPO / "assignments" / "metrics" / "solution" / "metrics.py", installed / "__init__.py",
                   Path(client.__file__), paths.bundled_assignments() / "metrics" / "solution" / "metrics.py"):
        with pytest.raises(StudentError, match=r"raised (FileNotFoundError|PermissionError)"):
            worker.call("student", "read", str(secret))
    try:  # with bwrap the repository is an empty mount point for the virtual environment
        listing = worker.call("student", "listdir", str(REPO))
    except StudentError as exc:
        assert exc.summary.endswith(("FileNotFoundError", "PermissionError"))
        listing = []
    assert set(listing) <= {".venv"}
    for target in (REPO / "pwned.txt", worker.scratch / "pwned.txt", "/tmp/../pwned-cnnlab.txt"):
        with pytest.raises(StudentError, match=r"raised (FileNotFoundError|PermissionError|OSError)"):
            worker.call("student", "write_to", str(target))
        assert not os.path.exists(REPO / "pwned.txt") and not (worker.scratch / "pwned.txt").exists()
    env = worker.call("student", "environ")
    assert not any(k.startswith(("PYTEST", "CNNLAB")) for k in env)
    assert set(os.environ) - set(env) and "PYTHONPATH" not in env
    with pytest.raises(StudentError, match="raised (PermissionError|ValueError)"):  # EPERM
        worker.call("student", "raise_limit")
    with pytest.raises(StudentError, match="raised PermissionError"):
        worker.call("student", "kill_parent")
    assert worker.call("student", "sleep", 0) == 0  # the worker (and its grader) survived


def test_no_new_processes(shared):
    with pytest.raises(StudentError, match="raised PermissionError"):
        shared.call("student", "fork")


def test_no_network(shared):
    """A listening socket on this machine receives nothing from the worker."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with pytest.raises(StudentError, match=r"raised (PermissionError|OSError|ConnectionRefusedError)"):
        shared.call("student", "connect", port)
    stop.set()
    thread.join()
    server.close()
    assert accepted == []


def test_bwrap_runs_as_nobody_in_its_own_namespaces(tmp_path):
    from cnnlab.bench.grading import sandbox

    if sandbox.bwrap_problem():
        pytest.skip(sandbox.bwrap_problem())
    source = write_submission(tmp_path / "src", STUDENT, "student.py")
    with Worker(source=source, scratch=tmp_path / "s", isolation="bwrap", limits=LIMITS) as w:
        assert w.call("student", "uid") == 65534
        assert w.isolation_label == "bwrap+capabilities+seccomp+rlimits"
        # its PID namespace holds bwrap's init and the worker, nothing of the host
        assert len([p for p in w.call("student", "listdir", "/proc") if p.isdigit()]) <= 3
        # the file system is what the sandbox binds: system folders, the submission, and the
        # top folder of wherever Python and its packages are installed on this machine
        python_tops = {Path(root).parts[1] for root in sandbox._python_roots()}
        allowed = {"tmp", "dev", "proc", "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
                   "etc", "submission", "cnnlab"} | python_tops
        assert set(w.call("student", "listdir", "/")) <= allowed
        assert w.call("student", "listdir", "/submission") == ["student.py"]
        assert w.call("student", "listdir", "/etc") == ["ld.so.cache", "localtime"]


def test_fallback_reports_its_layers(tmp_path):
    source = write_submission(tmp_path / "src", STUDENT, "student.py")
    with Worker(source=source, scratch=tmp_path / "s", isolation="rlimits", limits=LIMITS) as w:
        w.call("student", "sleep", 0)
        assert w.isolation_label in ("capabilities+landlock+seccomp+rlimits",
                                     "capabilities+seccomp+rlimits", "rlimits")
        assert w.isolation_label == "capabilities+landlock+seccomp+rlimits", (
            "this kernel should offer Landlock and seccomp")


def test_bare_fallback_still_enforces_its_limits(bare):
    """rlimits alone: timeouts, memory and output limits hold; the label says it is bare."""
    bare.call("student", "sleep", 0)
    assert bare.isolation_label == "rlimits"
    with pytest.raises(StudentError, match="timed out after 2 s"):
        bare.call("student", "spin")
    with pytest.raises(StudentError, match="exceeded the memory limit of 1 GiB"):
        bare.call("student", "hog")
    with pytest.raises(StudentError, match="printed more than 64 KiB"):
        bare.call("student", "chatter", 10**6)
    assert bare.call("student", "echo", np.ones(2))["args"][0].tolist() == [1.0, 1.0]


def test_worker_processes_are_gone_after_close(tmp_path, isolation):
    source = write_submission(tmp_path / "src", STUDENT, "student.py")
    w = Worker(source=source, scratch=tmp_path / "s", isolation=isolation, limits=LIMITS)
    w.call("student", "sleep", 0)
    pid = w._proc.popen.pid
    w.close()
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_framework_tensors_come_back_as_arrays(tmp_path):
    """An assignment that declares torch and keras gets them preloaded in the worker; tensors
    cross as numpy arrays (values checked against numpy's own arithmetic)."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    source = write_submission(tmp_path / "src", (
        "import numpy as np, torch, keras\n"
        "def double(x):\n"
        "    return torch.from_numpy(x) * 2, keras.ops.convert_to_tensor(x) + 1, keras.backend.backend()\n"),
        "models.py")
    limits = LIMITS.replace(memory_mib=8192, call_timeout_s=120)
    with Worker(source=source, scratch=tmp_path / "s", isolation=isolation_modes()[0],
                limits=limits, imports=("numpy", "torch", "keras"), env={"KERAS_BACKEND": "torch"}) as w:
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        doubled, plus_one, backend = w.call("models", "double", x)
    assert type(doubled) is np.ndarray and type(plus_one) is np.ndarray and backend == "torch"
    np.testing.assert_array_equal(doubled, x * 2)
    np.testing.assert_array_equal(plus_one, x + 1)
