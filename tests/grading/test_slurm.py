"""``cnnlab grade --cluster slurm:CONFIG`` against a real one-node SLURM (issue 17).

``scripts/slurm-one-node`` starts munge, slurmctld and slurmd in a temporary folder; dask-jobqueue
submits the Dask workers as SLURM jobs through ``sbatch``; the totals must be those of local
grading. Needs the Debian packages slurmctld, slurmd, slurm-client and munge, and root; where they
are missing the test says so and skips (the job script itself is tested without SLURM in
test_distributed.py).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask_jobqueue")

from cnnlab.bench.grading import grade

from .conftest import EXAMPLES

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm-one-node"
STUDENTS = ("correct", "partial_macro", "missing_function", "broken_syntax")


@pytest.fixture()
def slurm(tmp_path, monkeypatch):
    missing = [tool for tool in ("munged", "slurmctld", "slurmd", "sbatch") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"no SLURM here ({', '.join(missing)} missing): apt-get install slurmctld slurmd "
                    "slurm-client munge")
    if os.geteuid() != 0:
        pytest.skip("the one-node SLURM runs slurmd as root")
    folder = tmp_path / "slurm"
    started = subprocess.run(["bash", str(SCRIPT), str(folder)], capture_output=True, text=True,
                             timeout=120)
    try:
        if started.returncode != 0:  # SLURM itself did not come up here: not cnnlab's to test
            pytest.skip(f"the one-node SLURM did not start: {(started.stdout + started.stderr)[-500:]}")
        monkeypatch.setenv("SLURM_CONF", str(folder / "slurm.conf"))
        yield folder
    finally:
        subprocess.run(["bash", str(SCRIPT), str(folder), "stop"], timeout=60)


def test_a_one_node_slurm_grades_like_local(slurm, tmp_path):
    klass = tmp_path / "class"
    for name in STUDENTS:
        shutil.copytree(EXAMPLES / name, klass / name)
    local = grade("metrics", klass, tmp_path / "local", jobs=2, write_reports=False)
    config = tmp_path / "slurm.toml"
    # two SLURM jobs of one core, each one Dask worker; the scheduler listens on loopback
    config.write_text('[slurm]\nqueue = "cpu"\ncores = 1\nmemory = "3GB"\nwalltime = "00:20:00"\n'
                      'jobs = 2\nscheduler_host = "127.0.0.1"\nwait_s = 180\n'
                      f'python = "{sys.executable}"\n')
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "cnnlab.bench", "grade", "metrics", str(klass),
                           "--out", str(out), "--cluster", f"slurm:{config}", "--quiet"],
                          capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)  # sbatch writes each job's slurm-N.out where it is run
    assert done.returncode == 0, done.stdout + done.stderr
    log = (out / "logs" / "correct.log").read_text()
    assert log.startswith("# graded on ") and "Dask worker" in log  # it ran on a SLURM job's worker
    allocated = (slurm / "log" / "slurmctld.log").read_text().count("sched: Allocate JobId=")
    assert allocated >= 1, "no SLURM job ran"  # the workers were SLURM jobs
    db = sqlite3.connect(out / "gradebook.db")
    try:
        rows = dict(((s, (st, round(sc, 6))) for s, st, sc in
                     db.execute("SELECT student, status, score FROM submissions")))
    finally:
        db.close()
    assert rows == {r["student"]: (r["status"], round(r["score"], 6)) for r in local.records}
    assert rows["correct"] == ("graded", 100)
