"""The worker's disk quota counts what a file holds, not only the blocks the file system allocated.

A compressing file system (ZFS, btrfs; the CI's is one) stores a file of zeros in almost no
blocks, and a sparse file has none; either way a submission would pass a quota that counted
allocated blocks only. A sparse file stands in for a compressed one here: its allocated size is
about zero while its apparent size is what the student wrote.
"""

import os

from cnnlab.bench.grading.assignment import Limits
from cnnlab.bench.grading.client import Worker


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
