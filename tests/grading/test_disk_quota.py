"""The worker's disk quota counts what a file holds, not only the blocks the file system allocated.

A compressing file system (ZFS, btrfs; the CI's is one) stores a file of zeros in almost no
blocks, and a sparse file has none; either way a submission would pass a quota that counted
allocated blocks only. A sparse file stands in for a compressed one here: its allocated size is
about zero while its apparent size is what the student wrote.
"""

import os
import time

import pytest

from cnnlab.bench.grading.assignment import Limits
from cnnlab.bench.grading.client import StudentError, Worker


def _worker(tmp_path, file_mib):
    source = tmp_path / "source"
    source.mkdir()
    limits = Limits(file_mib=file_mib)
    return Worker(source=source, scratch=tmp_path / "scratch", isolation="rlimits", limits=limits)


def test_a_file_that_takes_no_blocks_still_counts(tmp_path):
    worker = _worker(tmp_path, file_mib=1)  # a quota of 4 MiB
    spill = worker.tmp / "spill.bin"
    with open(spill, "wb") as fh:
        fh.truncate(5 * 2**20)  # 5 MiB written as a hole: the file system allocates nothing
    assert os.stat(spill).st_blocks * 512 < worker.disk_quota  # the blocks alone pass the quota
    assert worker._tmp_usage() > worker.disk_quota


def test_a_folder_under_the_quota_passes(tmp_path):
    worker = _worker(tmp_path, file_mib=1)
    (worker.tmp / "small.bin").write_bytes(b"\1" * 2**20)
    assert 2**20 <= worker._tmp_usage() < worker.disk_quota


SPILLER = '''
import threading
import time

def _start(delay=0.0):
    def write():  # files of 1 MiB: each under the 2 MiB file limit, 12 MiB in all
        time.sleep(delay)
        for number in range(12):
            with open(f"spill-{number}.bin", "wb") as fh:
                fh.write(b"\\1" * (1 << 20))
    thread = threading.Thread(target=write)
    thread.start()
    return thread

def spill():
    # the writing starts after the reply has been read (a busy CI machine once let 12 MiB land
    # before the grader read the reply, which charged this call instead, as designed)
    _start(delay=1.0)
    return 0

def spill_and_wait():
    _start().join()
    return 0

def fine():
    return 1
'''


def test_a_worker_stopped_between_calls_is_reported_on_the_next_call(tmp_path):
    """A thread that fills the quota after its call returned: the watch stops the worker between
    calls, and the next call says why (not a silent restart, not "crashed")."""
    worker = _worker(tmp_path, file_mib=2)  # an 8 MiB quota; the thread writes 12 MiB
    (worker.source / "m.py").write_text(SPILLER)
    try:
        assert worker.call("m", "spill") == 0
        deadline = time.monotonic() + 30
        while worker._proc.popen.poll() is None:  # the watch kills it once the files pass 8 MiB
            assert time.monotonic() < deadline, "the worker was not stopped"
            time.sleep(0.05)
        with pytest.raises(StudentError) as caught:
            worker.call("m", "fine")
        assert caught.value.kind == "disk"
        assert "wrote more than 8 MiB into its working folder after a call returned" in str(caught.value)
        assert caught.value.hidden == "the student's code wrote too much into its working folder"
        assert worker.call("m", "fine") == 1  # the next call starts a fresh worker
        assert worker._tmp_usage() < worker.disk_quota  # with the spill removed
    finally:
        worker.close()


def test_a_call_whose_thread_filled_the_quota_before_it_returned_is_charged(tmp_path):
    """Checked as the reply arrives, not at the watch's next poll: the call is the one told."""
    worker = _worker(tmp_path, file_mib=2)
    (worker.source / "m.py").write_text(SPILLER)
    try:
        with pytest.raises(StudentError) as caught:
            worker.call("m", "spill_and_wait")
        assert caught.value.kind == "disk" and caught.value.what == "m.spill_and_wait"
        assert worker.call("m", "fine") == 1
    finally:
        worker.close()



def test_what_a_stopped_worker_printed_is_kept_for_the_test(tmp_path):
    """A module whose import fills the quota: the import is charged, and what it printed first
    still reaches the test's output (the student sees how far it got)."""
    worker = _worker(tmp_path, file_mib=2)
    (worker.source / "m.py").write_text('print("imported so far", flush=True)\n'
                                        + SPILLER + "\n_start().join()\n")
    try:
        worker.take_output()
        with pytest.raises(StudentError) as caught:
            worker.call("m", "fine")
        assert caught.value.kind == "disk" and caught.value.what == "importing m.py"
        assert "imported so far" in worker.take_output()
        assert worker.take_output() == ""  # taken once
    finally:
        worker.close()
